package ui

import (
	"testing"
	"time"

	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/session"
	"github.com/scalelab/scalelab/ui/common"
)

// TestReplayCanaryEntries: a recorded canary judge's event (format 1.6)
// is the event log's entry the live run showed, mark and level alike;
// one the live log leaves out stays out.
func TestReplayCanaryEntries(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, e := range []session.Event{
		{Time: at, Source: session.FromCanary, Kind: session.CanaryIntervalJudged, Title: "canary 1/6 fail",
			Message: "v3 errors 30.4% vs v2 0.00% (+30.4 pp > 0.5 pp, p < 0.001)"},
		{Time: at, Source: session.FromCanary, Kind: session.CanaryDecided, Title: "canary rollback",
			Message: "v3 errors 30.4% vs v2 0.00% (+30.4 pp, p < 0.001, in 1 of 1 interval): roll back"},
		{Time: at, Source: session.FromCanary, Kind: session.CanaryRolledBack, Message: "canary v3: rolled back in 1.2s"},
		{Time: at, Source: session.FromCanary, Kind: session.CanaryActionFailed, Message: "canary v3: roll back failed"},
		{Time: at, Source: session.FromCanary, Kind: "unknown-kind", Message: "x"},
	} {
		live, liveOK := canaryEntry(canaryEvent(e))
		rec := recordings.Event{Time: e.Time, Source: recordings.FromCanary, Kind: e.Kind, Message: e.Message, Label: e.Title}
		got, ok := replayEntry(rec)
		if ok != liveOK || got != live {
			t.Errorf("%s: replayed %+v (%v), live %+v (%v)", e.Kind, got, ok, live, liveOK)
		}
	}
	if en, _ := replayEntry(recordings.Event{Time: at, Source: recordings.FromCanary, Kind: session.CanaryDecided,
		Label: "canary rollback", Message: "m"}); !en.Major || en.Text != "canary rollback: m" || en.Level == common.Error {
		t.Errorf("the decision's entry %+v: want a major mark with its title", en)
	}
}
