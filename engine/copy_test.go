package engine

import (
	"reflect"
	"testing"
	"time"
)

// TestCopyFromIsExactAndSharesNothing: a copy reused over ticks of
// different shapes equals each tick, and changing it leaves the tick alone.
func TestCopyFromIsExactAndSharesNothing(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tick := func(i int, versions ...string) *Snapshot {
		s := NewSnapshot()
		s.Start, s.End = t0.Add(time.Duration(i)*time.Second), t0.Add(time.Duration(i+1)*time.Second)
		s.Requests = uint64(10 + i)
		s.Status[200] = uint64(8 + i)
		s.Status[503] = 1
		s.Errors[ErrTimeout] = 1
		s.Errors[ErrOther] = 1
		s.Causes[ErrOther][i%int(numErrorCauses)] = 1
		s.InFlight, s.TargetRate = int64(i), 100
		for j := range 10 + i {
			us := int64(100 * (j + 1))
			_ = s.Latency.RecordValue(us)
			_ = s.Service.RecordValue(us / 2)
		}
		_ = s.FailedLatency.RecordValue(5000)
		for k, v := range versions {
			vs := s.VersionEntry(v)
			vs.Requests, vs.Failed = uint64(5+k), 1
			vs.Latency = NewHistogram()
			_ = vs.Latency.RecordValue(int64(200 * (k + 1)))
		}
		return s
	}
	var dst, light Snapshot
	for i, vs := range [][]string{{"v1"}, {"v1", "v2"}, nil, {"v2"}} {
		src := tick(i, vs...)
		want := NewSnapshot()
		want.Merge(src)
		dst.CopyFrom(src)
		if !equalSnapshots(&dst, want) {
			t.Fatalf("tick %d: copy differs from the tick:\n got %+v\nwant %+v", i, dst, *want)
		}
		// CopyCounts: the same window, gauges and counters, no histogram.
		light.CopyCounts(src)
		if light.Latency != nil || light.Service != nil || light.FailedLatency != nil || light.Connect != nil ||
			light.Effective != nil || len(light.ByVersion) != len(want.ByVersion) {
			t.Fatalf("tick %d: CopyCounts kept a histogram or lost a version: %+v", i, light)
		}
		for name, lv := range light.ByVersion {
			wv := want.ByVersion[name]
			if wv == nil || lv.Latency != nil || lv.Requests != wv.Requests || lv.Failed != wv.Failed || lv.Errors != wv.Errors {
				t.Fatalf("tick %d: version %q: %+v, want %+v without a histogram", i, name, lv, wv)
			}
		}
		if light.Start != src.Start || light.End != src.End || light.Requests != src.Requests || light.Errors != src.Errors ||
			light.Causes != src.Causes || light.InFlight != src.InFlight || light.TargetRate != src.TargetRate ||
			!reflect.DeepEqual(light.Status, src.Status) {
			t.Fatalf("tick %d: CopyCounts differs from the tick:\n got %+v\nwant %+v", i, light, *src)
		}
		light.Status[200] += 1000
		for _, v := range light.ByVersion {
			v.Requests += 1000
		}
		// Changing the copy leaves the source alone.
		dst.Status[200] += 1000
		_ = dst.Latency.RecordValue(9_000_000)
		for _, v := range dst.ByVersion {
			v.Requests += 1000
			_ = v.Latency.RecordValue(9_000_000)
		}
		if !equalSnapshots(src, want) {
			t.Fatalf("tick %d: changing the copy changed the source", i)
		}
	}
}

// equalSnapshots compares counters, windows and histograms' counts.
func equalSnapshots(a, b *Snapshot) bool {
	if a.Start != b.Start || a.End != b.End || a.Requests != b.Requests || a.Errors != b.Errors || a.Causes != b.Causes ||
		a.InFlight != b.InFlight || a.TargetRate != b.TargetRate || !reflect.DeepEqual(a.Status, b.Status) {
		return false
	}
	if !reflect.DeepEqual(a.Latency.Export().Counts, b.Latency.Export().Counts) ||
		!reflect.DeepEqual(a.Service.Export().Counts, b.Service.Export().Counts) ||
		!reflect.DeepEqual(a.FailedLatency.Export().Counts, b.FailedLatency.Export().Counts) {
		return false
	}
	if len(a.ByVersion) != len(b.ByVersion) {
		return false
	}
	for name, av := range a.ByVersion {
		bv, ok := b.ByVersion[name]
		if !ok || av.Requests != bv.Requests || av.Failed != bv.Failed || av.Errors != bv.Errors ||
			!reflect.DeepEqual(av.Latency.Export().Counts, bv.Latency.Export().Counts) {
			return false
		}
	}
	return true
}

// BenchmarkSnapshotCopyFrom measures a sink's copy of a tick: no
// allocation once the copy has the tick's shape. The tick is one of a
// rollout at 500 requests a second: 125 requests of 2..10 ms, split
// between two versions and the unknown one, a few failed.
// Walk is CopyFrom; packed is CopyFromPacked from the tick packed once.
func BenchmarkSnapshotCopyFrom(b *testing.B) {
	src := benchTick()
	var p Packed
	p.Pack(src)
	for _, packed := range []bool{false, true} {
		b.Run(map[bool]string{false: "walk", true: "packed"}[packed], func(b *testing.B) {
			var dst Snapshot
			dst.CopyFrom(src)
			b.ReportAllocs()
			for b.Loop() {
				if packed {
					dst.CopyFromPacked(src, &p)
				} else {
					dst.CopyFrom(src)
				}
			}
		})
	}
}
