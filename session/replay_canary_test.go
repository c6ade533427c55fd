package session

import (
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/recordings"
)

// TestRecordedCanaryRoundTrip: a canary analysis kept in a header is
// rebuilt exactly; one that does not validate (a damaged or foreign file)
// is not judged again, and the replay says why.
func TestRecordedCanaryRoundTrip(t *testing.T) {
	cfg := canary.DefaultConfig()
	cfg.Interval, cfg.DeadBand, cfg.MinSamples, cfg.OnInconclusive = 1500*time.Millisecond, 3*time.Millisecond, 50, canary.OnInconclusivePromote
	got, err := RecordingCanary(RecordedCanary(cfg))
	if err != nil || got != cfg {
		t.Fatalf("rebuilt %+v (%v), want %+v", got, err, cfg)
	}
	bad := RecordedCanary(cfg)
	bad.IntervalS, bad.Count = 0, 0
	sinks, judged, why := rejudgeCanary(recordings.Header{Canary: bad}, nil, NewGeneratorReplay())
	if judged || len(sinks) != 0 || !strings.Contains(why, "interval") || !strings.Contains(why, "count") {
		t.Fatalf("a bad analysis: judged %v, %d sinks, why %q", judged, len(sinks), why)
	}
	if sinks, judged, why := rejudgeCanary(recordings.Header{}, nil, NewGeneratorReplay()); judged || len(sinks) != 0 || why != "" {
		t.Fatalf("no analysis (an older file): judged %v, why %q", judged, why)
	}
	sinks, judged, _ = rejudgeCanary(recordings.Header{Canary: RecordedCanary(cfg)}, nil, NewGeneratorReplay())
	if cs, ok := sinks[0].(*CanarySink); !judged || !ok || !cs.replayed || cs.cfg != cfg {
		t.Fatalf("the replay's canary judge: %+v", sinks)
	}
}
