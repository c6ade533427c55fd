package recordings

import (
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TestSnapshotCodec: a snapshot encoded relative to one origin decodes
// relative to another at the same offsets, its counters and histograms
// exact; a cut or empty buffer is an error, never a panic.
func TestSnapshotCodec(t *testing.T) {
	s := engine.NewSnapshot()
	origin := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s.Start, s.End = origin.Add(250*time.Millisecond), origin.Add(500*time.Millisecond)
	s.Requests, s.Status[200], s.Status[503], s.Late, s.InFlight = 7, 6, 1, 2, 3
	s.ConnectionsOpened = 2
	s.Connect = engine.NewHistogram()
	for i := range 7 {
		_ = s.Latency.RecordValue(int64(1000 + 10*i))
		_ = s.Service.RecordValue(int64(900 + 10*i))
	}
	_ = s.Connect.RecordValue(120)
	_ = s.Connect.RecordValue(180)
	b := AppendSnapshot(nil, s, origin)
	other := origin.Add(-3 * time.Hour)
	got, err := DecodeSnapshot(b, other)
	if err != nil {
		t.Fatal(err)
	}
	if got.Start != other.Add(250*time.Millisecond) || got.End != other.Add(500*time.Millisecond) {
		t.Errorf("times %s..%s: want the offsets from the decoder's origin", got.Start, got.End)
	}
	if got.Requests != 7 || got.Status[503] != 1 || got.Late != 2 || got.InFlight != 3 || got.ConnectionsOpened != 2 ||
		!sameHistogram(got.Latency, s.Latency) || !sameHistogram(got.Service, s.Service) || !sameHistogram(got.Connect, s.Connect) {
		t.Errorf("decoded %+v: want the snapshot's figures", got)
	}
	for cut := range len(b) {
		if _, err := DecodeSnapshot(b[:cut], origin); err == nil {
			t.Fatalf("cut at %d of %d bytes: no error", cut, len(b))
		}
	}
}
