package probes

import (
	"runtime/metrics"
	"time"
)

// The runtime/metrics the memory probe reads.
const (
	metricHeap     = "/memory/classes/heap/objects:bytes"
	metricHeapGoal = "/gc/heap/goal:bytes"
	metricCycles   = "/gc/cycles/total:gc-cycles"
	metricPauses   = "/sched/pauses/total/gc:seconds"
)

// goRuntime reads the Go heap and garbage collector from runtime/metrics,
// reusing its samples (and the pause histogram's storage) at each read.
type goRuntime struct {
	samples    []metrics.Sample
	prevCounts []uint64
	prevCycles int64
}

func newGoRuntime() *goRuntime {
	r := &goRuntime{samples: []metrics.Sample{
		{Name: metricHeap}, {Name: metricHeapGoal}, {Name: metricCycles}, {Name: metricPauses},
	}}
	r.read(&Memory{}, true)
	return r
}

// read fills the Go part of m: the heap now, the collections and the
// longest pause since the previous read.
func (r *goRuntime) read(m *Memory, baseline bool) {
	metrics.Read(r.samples)
	if v := r.samples[0].Value; v.Kind() == metrics.KindUint64 {
		m.Heap = int64(v.Uint64())
	}
	if v := r.samples[1].Value; v.Kind() == metrics.KindUint64 {
		m.HeapGoal = int64(v.Uint64())
	}
	if v := r.samples[2].Value; v.Kind() == metrics.KindUint64 {
		c := int64(v.Uint64())
		if !baseline {
			m.GCCycles = c - r.prevCycles
		}
		r.prevCycles = c
	}
	v := r.samples[3].Value
	if v.Kind() != metrics.KindFloat64Histogram {
		return
	}
	h := v.Float64Histogram()
	if len(r.prevCounts) != len(h.Counts) {
		r.prevCounts = make([]uint64, len(h.Counts))
		baseline = true
	}
	m.GCPauseMax = 0
	for i := len(h.Counts) - 1; i >= 0 && !baseline; i-- {
		if h.Counts[i] > r.prevCounts[i] {
			upper := h.Buckets[i+1]
			if upper > 1e9 { // the last bucket is open: +Inf
				upper = h.Buckets[i]
			}
			m.GCPauseMax = time.Duration(upper * float64(time.Second))
			break
		}
	}
	copy(r.prevCounts, h.Counts)
}
