package agent

import (
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/recordings"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

const tick = 250 * time.Millisecond

// frame is snap encoded as an agent's stream carries it.
func frame(s *engine.Snapshot) []byte { return recordings.AppendSnapshot(nil, s, t0) }

// add adds s as agent a's frame, failing the test on an error.
func add(t *testing.T, m *Merger, a int, s *engine.Snapshot) []Merged {
	t.Helper()
	out, err := m.Add(a, frame(s))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// snap is a tick k of n requests at lat µs, started skew after its
// interval's start.
func snap(k int, n uint64, lat int64, skew time.Duration) *engine.Snapshot {
	s := engine.NewSnapshot()
	s.Start = t0.Add(time.Duration(k)*tick + skew)
	s.End = s.Start.Add(tick)
	s.Requests, s.Status[200] = n, n
	for range n {
		_ = s.Latency.RecordValue(lat)
		_ = s.Service.RecordValue(lat)
	}
	return s
}

// TestMergerAddsTheAgentsTicks: a tick goes out once each agent
// delivered it, in order, its counts and histogram the sum of theirs; an
// agent lag ticks behind is left out of a tick (named missing), and its
// snapshot, when it comes, is added to the next tick to go out; an agent
// ended is not waited for; Flush hands out the rest; the ticks add up to
// everything sent.
func TestMergerAddsTheAgentsTicks(t *testing.T) {
	m := NewMerger(3, t0, tick, 2)
	var out []Merged
	add := func(a, k int, n uint64, lat int64) {
		out = append(out, add(t, m, a, snap(k, n, lat, 3*time.Millisecond))...)
	}
	add(0, 0, 10, 1000)
	add(1, 0, 20, 2000)
	if len(out) != 0 {
		t.Fatalf("tick 0 out before agent 2 delivered it: %+v", out)
	}
	add(2, 0, 30, 3000)
	if len(out) != 1 || out[0].Index != 0 || out[0].Snapshot.Requests != 60 || len(out[0].Missing) != 0 {
		t.Fatalf("tick 0: %+v", out)
	}
	if h := out[0].Snapshot.Latency; h.TotalCount() != 60 || h.Max() < 3000 || h.Min() > 1000 {
		t.Errorf("tick 0's latency: %d values %d..%d, want the three agents' 60", h.TotalCount(), h.Min(), h.Max())
	}
	// Agent 2 falls behind: ticks 1 and 2 go out without it once agent 0
	// is two ticks past them.
	for k := 1; k <= 4; k++ {
		add(0, k, 10, 1000)
		add(1, k, 20, 2000)
	}
	if len(out) != 3 || out[1].Index != 1 || out[2].Index != 2 || out[1].Snapshot.Requests != 30 ||
		len(out[1].Missing) != 1 || out[1].Missing[0] != 2 {
		t.Fatalf("ticks 1 and 2 without agent 2: %+v", out[1:])
	}
	add(2, 1, 30, 3000) // late: into the next tick to go out
	add(2, 3, 30, 3000)
	out = append(out, m.End(2)...)
	if len(out) != 5 || out[3].Index != 3 || out[3].Snapshot.Requests != 90 || len(out[3].Missing) != 0 ||
		out[4].Index != 4 || out[4].Snapshot.Requests != 30 {
		t.Fatalf("tick 3 with agent 2's late tick 1, then tick 4 not waiting for agent 2 (ended): %+v", out[3:])
	}
	out = append(out, m.End(0)...)
	out = append(out, m.End(1)...)
	out = append(out, m.Flush()...)
	var total uint64
	for i, o := range out {
		total += o.Snapshot.Requests
		if i > 0 && o.Index <= out[i-1].Index {
			t.Errorf("tick %d after tick %d", o.Index, out[i-1].Index)
		}
	}
	if sent := uint64(60 + 4*30 + 30 + 30); total != sent {
		t.Errorf("the ticks add up to %d requests, the agents sent %d", total, sent)
	}
}

// TestMergerIndexesByStart: a snapshot belongs to the tick its start is
// nearest to, so that an agent's last short tick (the window's end) is
// its own, and a tick no agent delivered is passed over.
func TestMergerIndexesByStart(t *testing.T) {
	m := NewMerger(1, t0, tick, 0)
	last := snap(3, 1, 100, 0)
	last.End = last.Start.Add(20 * time.Millisecond)
	var out []Merged
	for _, s := range []*engine.Snapshot{snap(0, 1, 100, 40*time.Millisecond), snap(2, 1, 100, -30*time.Millisecond), last} {
		out = append(out, add(t, m, 0, s)...)
	}
	out = append(out, m.End(0)...)
	if len(out) != 3 || out[0].Index != 0 || out[1].Index != 2 || out[2].Index != 3 {
		t.Fatalf("ticks %+v: want 0, 2 and 3", out)
	}
}

// TestMergedPercentilesAreNotAveraged: a fast agent and one whose tail is
// slow: the merged tick's p99 is that of one histogram of every value
// (the slow agent's 5% tail puts it at 50 ms), not the mean of the
// agents' p99s (25 ms), which is what an aggregator that averages
// reports.
func TestMergedPercentilesAreNotAveraged(t *testing.T) {
	fast := snap(0, 100, 1000, 0)
	slow := engine.NewSnapshot()
	slow.Start, slow.End = fast.Start, fast.End
	slow.Requests, slow.Status[200] = 100, 100
	all := engine.NewHistogram()
	for i := range 100 {
		v := int64(1000)
		if i >= 95 {
			v = 50000
		}
		_ = slow.Latency.RecordValue(v)
		_ = slow.Service.RecordValue(v)
		_ = all.RecordValue(v)
		_ = all.RecordValue(1000)
	}
	m := NewMerger(2, t0, tick, 0)
	add(t, m, 0, fast)
	out := add(t, m, 1, slow)
	if len(out) != 1 {
		t.Fatalf("ticks %+v", out)
	}
	got := out[0].Snapshot.Latency.ValueAtQuantile(99)
	mean := (fast.Latency.ValueAtQuantile(99) + slow.Latency.ValueAtQuantile(99)) / 2
	if got != all.ValueAtQuantile(99) || got < 49000 || mean > 26000 {
		t.Errorf("merged p99 %d µs, one histogram's %d, mean of the agents' p99s %d", got, all.ValueAtQuantile(99), mean)
	}
}

// TestMergerGaugesCountEachAgentOnce: an agent that made two snapshots
// of one tick (a rate change cut it) counts once in the tick's gauges,
// with its later snapshot's; an ended agent's target still counts in
// the ticks after (the model stands, as the engine's after its window),
// a lost one's does not; a late snapshot added to the next tick leaves
// that tick's gauges its own: the target rate is the agents' current
// shares summed, never an agent's old and new share added.
func TestMergerGaugesCountEachAgentOnce(t *testing.T) {
	m := NewMerger(3, t0, tick, 0)
	var out []Merged
	gauge := func(s *engine.Snapshot, rate float64, inFlight int64) *engine.Snapshot {
		s.TargetRate, s.InFlight = rate, inFlight
		return s
	}
	first := gauge(snap(0, 5, 1000, 0), 200, 1)
	first.End = first.Start.Add(tick * 2 / 5)
	second := gauge(snap(0, 7, 1000, tick*2/5), 300, 2) // its start is nearest tick 0's
	second.End = t0.Add(tick)
	out = append(out, add(t, m, 0, first)...)
	out = append(out, add(t, m, 1, gauge(snap(0, 10, 1000, 0), 300, 4))...)
	out = append(out, add(t, m, 0, second)...)
	out = append(out, add(t, m, 2, gauge(snap(0, 10, 1000, 0), 300, 8))...)
	if len(out) != 1 || out[0].Snapshot.Requests != 32 || out[0].Snapshot.TargetRate != 900 || out[0].Snapshot.InFlight != 14 {
		t.Fatalf("tick 0: %+v, want 32 requests at a target of 3×300 and 2+4+8 in flight", *out[0].Snapshot)
	}
	out = append(out, m.End(2)...) // agent 2 ended: its model stands, none in flight
	out = append(out, add(t, m, 0, gauge(snap(1, 10, 1000, 0), 300, 1))...)
	out = append(out, m.Drop(1)...) // agent 1 is lost: tick 1 goes out with agent 0's
	out = append(out, add(t, m, 1, gauge(snap(0, 3, 1000, 0), 300, 9))...)
	out = append(out, add(t, m, 0, gauge(snap(2, 10, 1000, 0), 300, 1))...)
	out = append(out, m.Flush()...)
	if len(out) != 3 || out[1].Snapshot.TargetRate != 600 || out[1].Snapshot.InFlight != 1 {
		t.Fatalf("tick 1: %+v, want agent 0's and ended agent 2's target, agent 0's in flight", out[1:])
	}
	if out[2].Snapshot.Requests != 13 || out[2].Snapshot.TargetRate != 600 || out[2].Snapshot.InFlight != 1 {
		t.Fatalf("tick 2 with lost agent 1's late tick 0: %+v, want 13 requests at agent 0's and agent 2's target, agent 0's in flight", *out[2].Snapshot)
	}
}

// TestMergerCarriesALateAgentsGauges: a tick that goes out without a
// late agent (still running) has its target and in flight of before:
// the load's model does not seem to change while its frame is on the
// way.
func TestMergerCarriesALateAgentsGauges(t *testing.T) {
	m := NewMerger(2, t0, tick, 1)
	var out []Merged
	for a := range 2 {
		s := snap(0, 10, 1000, 0)
		s.TargetRate, s.InFlight = 100, 2
		out = append(out, add(t, m, a, s)...)
	}
	for k := 1; k <= 2; k++ {
		s := snap(k, 10, 1000, 0)
		s.TargetRate, s.InFlight = 100, 1
		out = append(out, add(t, m, 0, s)...)
	}
	if len(out) != 2 || len(out[1].Missing) != 1 || out[1].Snapshot.TargetRate != 200 || out[1].Snapshot.InFlight != 3 {
		t.Fatalf("tick 1 without agent 1: %+v, want the target 100+100 and 1+2 in flight", out)
	}
}
