package ui

import (
	"testing"
	"time"

	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/ui/common"
)

// TestReplayListsTheRollbacks: a recorded rollback action (1.9) is listed
// as the live UI listed it: its start a warning, its failure an error,
// its completion a line; nothing of it is taken for a step's note.
func TestReplayListsTheRollbacks(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		kind, msg string
		level     common.Level
	}{
		{"started", "rollback scale=4 started", common.Warn},
		{"completed", "rollback scale=4 completed in 1.5s", common.Info},
		{"failed", "rollback scale=4 failed after 0.2s: refused", common.Error},
	} {
		e := recordings.Event{Time: t0, Source: recordings.FromRollback, Kind: c.kind, Message: c.msg, Label: "rollback scale=4",
			Data: []byte(`{"action":"scale=4","ok":false,"duration_s":0}`)}
		en, ok := replayEntry(e)
		if !ok || en.Text != c.msg || en.Level != c.level || !en.Time.Equal(t0) {
			t.Errorf("%s: entry %+v (%v), want %q at level %v", c.kind, en, ok, c.msg, c.level)
		}
		if got := withoutStepNotes([]recordings.Event{e}); len(got) != 1 {
			t.Errorf("%s: dropped as a step's note", c.kind)
		}
	}
}
