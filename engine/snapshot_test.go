package engine_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// window returns a snapshot over [from, to) seconds after t0.
func window(from, to float64) *engine.Snapshot {
	s := engine.NewSnapshot()
	s.Start = t0.Add(time.Duration(from * float64(time.Second)))
	s.End = t0.Add(time.Duration(to * float64(time.Second)))
	return s
}

// TestMergeHistogramsEqualOneOfAllValues records random latencies into
// several snapshots and into one histogram, and checks the merge is exact.
func TestMergeHistogramsEqualOneOfAllValues(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	all, allSvc := engine.NewHistogram(), engine.NewHistogram()
	parts := make([]*engine.Snapshot, 7)
	for i := range parts {
		parts[i] = window(float64(i), float64(i+1))
		for range 1000 + rng.IntN(5000) {
			// Log-uniform from 1 µs to about 1000 s: every bucket range.
			v := int64(1) << rng.IntN(30)
			v += rng.Int64N(v)
			svc := max(v/2, 1)
			if err := parts[i].Latency.RecordValue(v); err != nil {
				t.Fatal(err)
			}
			_ = parts[i].Service.RecordValue(svc)
			_ = all.RecordValue(v)
			_ = allSvc.RecordValue(svc)
		}
	}
	merged := engine.NewSnapshot()
	for _, p := range parts {
		merged.Merge(p)
	}
	if !merged.Latency.Equals(all) {
		t.Error("merged latency histogram differs from one histogram of all values")
	}
	if !merged.Service.Equals(allSvc) {
		t.Error("merged service histogram differs from one histogram of all values")
	}
	for _, q := range []float64{0, 50, 90, 95, 99, 99.9, 99.99, 100} {
		if g, w := merged.Latency.ValueAtQuantile(q), all.ValueAtQuantile(q); g != w {
			t.Errorf("p%g: merged %d, all %d", q, g, w)
		}
	}
	if merged.Latency.Max() != all.Max() || merged.Latency.Min() != all.Min() || merged.Latency.Mean() != all.Mean() {
		t.Errorf("merged min/max/mean %d/%d/%g, all %d/%d/%g", merged.Latency.Min(), merged.Latency.Max(),
			merged.Latency.Mean(), all.Min(), all.Max(), all.Mean())
	}
	if engine.PercentilesOf(merged.Latency) != engine.PercentilesOf(all) {
		t.Error("merged percentiles differ")
	}

	// Merging in another order, or pairwise, gives the same histogram.
	left, right := engine.NewSnapshot(), engine.NewSnapshot()
	for i := len(parts) - 1; i >= 0; i-- {
		if i%2 == 0 {
			left.Merge(parts[i])
		} else {
			right.Merge(parts[i])
		}
	}
	left.Merge(right)
	if !left.Latency.Equals(all) {
		t.Error("histogram merged in another order differs")
	}
}

func TestMergeCountersAdd(t *testing.T) {
	t.Parallel()
	a := window(0, 1)
	a.Requests, a.Status[200], a.Status[503] = 12, 9, 1
	a.Errors[engine.ErrReset] = 2
	a.BytesIn, a.BytesOut, a.Dropped, a.Late = 100, 10, 3, 4
	a.LagSum, a.LagMax = 5*time.Millisecond, 3*time.Millisecond
	b := window(1, 2)
	b.Requests, b.Status[200], b.Status[404] = 8, 5, 1
	b.Errors[engine.ErrReset], b.Errors[engine.ErrTimeout] = 1, 1
	b.BytesIn, b.BytesOut, b.Dropped, b.Late = 50, 5, 1, 2
	b.LagSum, b.LagMax = 2*time.Millisecond, 7*time.Millisecond

	m := &engine.Snapshot{} // the zero value merges too
	m.Merge(a)
	m.Merge(b)
	if m.Requests != 20 || m.Status[200] != 14 || m.Status[503] != 1 || m.Status[404] != 1 {
		t.Errorf("requests %d status %v, want 20 {200:14 404:1 503:1}", m.Requests, m.Status)
	}
	if m.ErrorCount(engine.ErrReset) != 3 || m.ErrorCount(engine.ErrTimeout) != 1 || m.TotalErrors() != 4 {
		t.Errorf("errors %v, want reset 3 timeout 1", m.Errors)
	}
	if m.BytesIn != 150 || m.BytesOut != 15 || m.Dropped != 4 || m.Late != 6 {
		t.Errorf("bytes %d/%d dropped %d late %d, want 150/15 4 6", m.BytesIn, m.BytesOut, m.Dropped, m.Late)
	}
	if m.LagSum != 7*time.Millisecond || m.LagMax != 7*time.Millisecond {
		t.Errorf("lag sum %s max %s, want 7ms and 7ms", m.LagSum, m.LagMax)
	}
	if !m.Start.Equal(a.Start) || !m.End.Equal(b.End) || m.Elapsed() != 2*time.Second {
		t.Errorf("window %s..%s, want the union of both", m.Start, m.End)
	}
	if m.Failed() != 5 { // 4 errors + one 503
		t.Errorf("failed = %d, want 5", m.Failed())
	}
	if a.Requests != 12 || b.Requests != 8 {
		t.Error("Merge changed its argument or the first operand's source")
	}
}

// TestMergeGauges checks the rule in Merge's doc: gauges are taken from the
// later snapshot over consecutive windows (one agent over time) and add up
// over overlapping windows (several agents over one period).
func TestMergeGauges(t *testing.T) {
	t.Parallel()
	gauge := func(s *engine.Snapshot, inflight int64, rate float64, conc int) *engine.Snapshot {
		s.InFlight, s.TargetRate, s.Concurrency = inflight, rate, conc
		return s
	}
	// One agent, tick after tick.
	m := engine.NewSnapshot()
	m.Merge(gauge(window(0, 1), 5, 100, 0))
	m.Merge(gauge(window(1, 2), 7, 200, 0))
	if m.InFlight != 7 || m.TargetRate != 200 {
		t.Errorf("consecutive: in flight %d rate %g, want the later 7 and 200", m.InFlight, m.TargetRate)
	}
	// An older window merged late does not roll the gauges back.
	m.Merge(gauge(window(-2, -1), 1, 50, 0))
	if m.InFlight != 7 || m.TargetRate != 200 || !m.Start.Equal(t0.Add(-2*time.Second)) {
		t.Errorf("older window: in flight %d rate %g start %s, want 7 200 and the older start", m.InFlight, m.TargetRate, m.Start)
	}
	// Three agents over the same second.
	agents := gauge(window(0, 1), 3, 100, 4)
	agents.Merge(gauge(window(0, 1), 4, 150, 8))
	agents.Merge(gauge(window(0.1, 1.1), 5, 250, 16))
	if agents.InFlight != 12 || agents.TargetRate != 500 || agents.Concurrency != 28 {
		t.Errorf("overlapping: in flight %d rate %g concurrency %d, want the sums 12 500 28",
			agents.InFlight, agents.TargetRate, agents.Concurrency)
	}
	// Three agents' ticks merged, tick after tick, into a second: the
	// agents' clocks 40 ms apart make consecutive merged ticks overlap by
	// that; the second's gauges are the last tick's, not four ticks' sum.
	sec := engine.NewSnapshot()
	for k := 0; k < 4; k++ {
		tick := engine.NewSnapshot()
		for a := 0; a < 3; a++ {
			from := float64(k)*0.25 + float64(a)*0.02
			tick.Merge(gauge(window(from, from+0.25), 1, 100, 0))
		}
		if tick.TargetRate != 300 || tick.InFlight != 3 {
			t.Fatalf("tick %d: rate %g in flight %d, want the agents' sums 300 and 3", k, tick.TargetRate, tick.InFlight)
		}
		sec.Merge(tick)
	}
	if sec.TargetRate != 300 || sec.InFlight != 3 {
		t.Errorf("ticks of skewed agents: rate %g in flight %d, want the last tick's 300 and 3", sec.TargetRate, sec.InFlight)
	}
}
