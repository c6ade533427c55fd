package session

import (
	"reflect"
	"testing"
	"time"
)

// TestRecordedRollbacks: the recorded rollback events are the actions
// as they ended, in order; one the recording ends in is not OK, not
// ended; other events are not rollbacks.
func TestRecordedRollbacks(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	ev := func(at time.Duration, kind string, r RollbackResult) Event {
		return Event{Time: t0.Add(at), Source: FromRollback, Kind: kind, Rollback: &r}
	}
	scale := RollbackResult{Action: "scale=4"}
	done := RollbackResult{Action: "scale=4", OK: true, DurationS: 1.5}
	up := RollbackResult{Action: "rollback"}
	failed := RollbackResult{Action: "rollback", Error: "refused", DurationS: 0.2}
	got := recordedRollbacks([]Event{
		{Time: t0, Source: FromStep, Kind: "started"},
		ev(0, "started", scale), ev(1500*time.Millisecond, "completed", done),
		ev(2*time.Second, "started", up), ev(2200*time.Millisecond, "failed", failed),
		ev(3*time.Second, "started", scale),
	})
	want := []RollbackResult{done, failed, {Action: "scale=4", Error: NotEndedRollback}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rollbacks %+v, want %+v", got, want)
	}
	if got := recordedRollbacks(nil); got != nil {
		t.Fatalf("no events: %+v", got)
	}
}
