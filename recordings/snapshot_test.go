package recordings

import (
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
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

// TestSnapshotMergerIsMerge: adding encoded snapshots with a
// SnapshotMerger gives what decoding them and merging gives: the same
// counters, gauges, window, by-version split and histograms, bucket by
// bucket.
func TestSnapshotMergerIsMerge(t *testing.T) {
	origin := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var encoded [][]byte
	for i := range 4 {
		s := engine.NewSnapshot()
		s.Start = origin.Add(time.Duration(i%2) * time.Millisecond)
		s.End = s.Start.Add(250 * time.Millisecond)
		s.Requests, s.Status[200], s.Status[502], s.InFlight, s.TargetRate = 10, 9, 1, int64(i), 100
		s.ConnectionsOpened = uint64(i)
		if i > 0 {
			s.Connect = engine.NewHistogram()
			_ = s.Connect.RecordValue(int64(100 * i))
		}
		for j := range 10 {
			_ = s.Latency.RecordValue(int64(1000*(i+1) + j))
			_ = s.Service.RecordValue(int64(900*(i+1) + j))
		}
		_ = s.FailedLatency.RecordValue(int64(1000 * (i + 1)))
		v1 := s.VersionEntry("v1")
		v1.Requests, v1.Failed = 6, 1
		v1.Latency = engine.NewHistogram()
		for j := range 6 {
			_ = v1.Latency.RecordValue(int64(1000*(i+1) + j))
		}
		v2 := s.VersionEntry("v2")
		v2.Requests = 4
		v2.Latency = engine.NewHistogram()
		for j := 6; j < 10; j++ {
			_ = v2.Latency.RecordValue(int64(1000*(i+1) + j))
		}
		encoded = append(encoded, AppendSnapshot(nil, s, origin))
	}
	want := engine.NewSnapshot()
	for _, b := range encoded {
		s, err := DecodeSnapshot(b, origin)
		if err != nil {
			t.Fatal(err)
		}
		want.Merge(s)
	}
	got := engine.NewSnapshot()
	m := NewSnapshotMerger(origin)
	for _, b := range encoded {
		if err := m.Merge(got, b); err != nil {
			t.Fatal(err)
		}
	}
	if got.Requests != want.Requests || got.Status[502] != want.Status[502] || got.InFlight != want.InFlight ||
		got.TargetRate != want.TargetRate || !got.Start.Equal(want.Start) || !got.End.Equal(want.End) ||
		got.ConnectionsOpened != want.ConnectionsOpened {
		t.Errorf("merged %+v, want %+v", got, want)
	}
	for name, pair := range map[string][2]*hdrhistogram.Histogram{
		"latency": {got.Latency, want.Latency}, "service": {got.Service, want.Service},
		"failed": {got.FailedLatency, want.FailedLatency}, "connect": {got.Connect, want.Connect},
		"v1": {got.ByVersion["v1"].Latency, want.ByVersion["v1"].Latency},
		"v2": {got.ByVersion["v2"].Latency, want.ByVersion["v2"].Latency},
	} {
		if !sameHistogram(pair[0], pair[1]) {
			t.Errorf("%s: %v, want %v", name, pair[0], pair[1])
		}
	}
	if g, w := got.ByVersion["v1"], want.ByVersion["v1"]; g.Requests != w.Requests || g.Failed != w.Failed {
		t.Errorf("v1 %+v, want %+v", g, w)
	}
	if start, err := m.Start(encoded[1]); err != nil || !start.Equal(origin.Add(time.Millisecond)) {
		t.Errorf("start %s, %v", start, err)
	}
}
