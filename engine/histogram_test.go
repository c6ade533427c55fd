package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// randomValues returns one of the value sets the property tests draw:
// none, a single value, the range's ends, values beyond it (which no
// histogram records), values spread over the whole range, and a tick's
// worth of 2..10 ms.
func randomValues(rng *rand.Rand) []int64 {
	switch rng.IntN(7) {
	case 0:
		return nil
	case 1:
		return []int64{rng.Int64N(histHighest) + 1}
	case 2:
		return []int64{histLowest, histHighest, histHighest, 0}
	case 3:
		return []int64{histHighest + 1, histHighest * 2, -1, 500}
	case 4:
		vs := make([]int64, rng.IntN(2000))
		for i := range vs {
			vs[i] = int64(1) << rng.IntN(32) // 1 µs .. 35 min, every bucket size
			vs[i] += rng.Int64N(vs[i])
		}
		return vs
	}
	vs := make([]int64, rng.IntN(300))
	for i := range vs {
		vs[i] = 2000 + rng.Int64N(8000)
	}
	return vs
}

// randomHistogram records a random value set, mostly into a histogram of
// the snapshots' geometry, sometimes into one of another geometry (merged
// by walking it), sometimes nil.
func randomHistogram(rng *rand.Rand) *hdrhistogram.Histogram {
	var h *hdrhistogram.Histogram
	switch rng.IntN(10) {
	case 0:
		return nil
	case 1:
		h = hdrhistogram.New(1, 10_000_000, 2)
	default:
		h = NewHistogram()
	}
	for _, v := range randomValues(rng) {
		_ = h.RecordValues(v, 1+rng.Int64N(3))
	}
	return h
}

// randomSnapshot is a snapshot of random histograms, split by up to
// three versions (or not at all).
func randomSnapshot(rng *rand.Rand, at int) *Snapshot {
	s := &Snapshot{Status: map[int]uint64{}, Latency: randomHistogram(rng), Service: randomHistogram(rng),
		FailedLatency: randomHistogram(rng)}
	s.Start = time.Unix(int64(at), 0)
	s.End = s.Start.Add(time.Second)
	s.Requests = uint64(rng.IntN(100))
	s.Status[200] = s.Requests
	for _, name := range []string{"v1", "v2", UnknownVersion}[:rng.IntN(4)] {
		vs := s.VersionEntry(name)
		vs.Requests, vs.Latency = uint64(rng.IntN(50)), randomHistogram(rng)
	}
	return s
}

// TestMergePackedIsMerge: merging and copying from the packed form gives
// exactly what the library's Merge gives, bucket by bucket, for many
// random snapshots merged into random ones, and into an empty one.
func TestMergePackedIsMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 13))
	var p Packed // reused, as a session reuses it
	var copied Snapshot
	for i := range 60 {
		o := randomSnapshot(rng, i)
		base := randomSnapshot(rng, i+rng.IntN(3)-1)
		want, got := base.Clone(), base.Clone()
		want.Merge(o)
		p.Pack(o)
		got.MergePacked(o, &p)
		if !equalSnapshots(got, want) || !sameTotals(got, want) {
			t.Fatalf("case %d: MergePacked differs from Merge", i)
		}
		copied.CopyFromPacked(o, &p)
		wantCopy := NewSnapshot()
		wantCopy.Merge(o)
		if !equalSnapshots(&copied, wantCopy) || !sameTotals(&copied, wantCopy) {
			t.Fatalf("case %d: CopyFromPacked differs from a merge into an empty snapshot", i)
		}
	}
}

// sameTotals compares the histograms' total counts (equalSnapshots
// compares their buckets).
func sameTotals(a, b *Snapshot) bool {
	tot := func(h *hdrhistogram.Histogram) int64 {
		if h == nil {
			return -1
		}
		return h.TotalCount()
	}
	if tot(a.Latency) != tot(b.Latency) || tot(a.Service) != tot(b.Service) || tot(a.FailedLatency) != tot(b.FailedLatency) {
		return false
	}
	for name, av := range a.ByVersion {
		if tot(av.Latency) != tot(b.ByVersion[name].Latency) {
			return false
		}
	}
	return true
}

// TestMergeHistMatchesLibrary compares one histogram's merge from its
// twin with the library's, value set by value set, and checks that a twin
// whose histogram changed since it was packed is not trusted.
func TestMergeHistMatchesLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var p Packed
	for i := range 100 {
		src, dst := randomHistogram(rng), randomHistogram(rng)
		if src == nil {
			src = NewHistogram()
		}
		var want, got *hdrhistogram.Histogram
		if dst != nil {
			want, got = dst.Clone(), dst.Clone()
		}
		if want == nil {
			want = NewHistogram()
		}
		want.Merge(src)
		p.Reset()
		p.pack(src)
		mergeHist(&got, src, &p)
		if !got.Equals(want) || !reflect.DeepEqual(got.Export(), want.Export()) {
			t.Fatalf("case %d: merge from the twin differs from the library's (total %d, want %d)", i, got.TotalCount(), want.TotalCount())
		}
	}
	src := NewHistogram()
	_ = src.RecordValue(100)
	p.Pack(&Snapshot{Latency: src})
	_ = src.RecordValue(5000) // changed after packing
	var got *hdrhistogram.Histogram
	mergeHist(&got, src, &p)
	if got.TotalCount() != 2 || got.Max() < 5000 {
		t.Fatalf("a stale twin was trusted: total %d, max %d", got.TotalCount(), got.Max())
	}
}

// TestPackedTwin: a decoder's twin, recorded alongside its histogram,
// merges as the histogram does.
func TestPackedTwin(t *testing.T) {
	var p Packed
	h := NewHistogram()
	tw := p.Twin(h)
	for _, v := range []int64{1, 2000, 2000, histHighest} {
		_ = h.RecordValue(v)
		_ = tw.RecordValue(v)
	}
	got, want := NewHistogram(), NewHistogram()
	mergeHist(&got, h, &p)
	want.Merge(h)
	if !got.Equals(want) {
		t.Fatal(fmt.Sprintf("twin merge: total %d, want %d", got.TotalCount(), want.TotalCount()))
	}
}
