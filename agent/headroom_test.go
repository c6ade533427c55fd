package agent

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/probes"
)

// TestCapacity: an agent's room for more load, from its last probed
// second.
func TestCapacity(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		name string
		rate float64
		pr   *Probe
		want float64
	}{
		{"no probe yet", 100, nil, inf},
		{"no CPU figure", 100, &Probe{CPULimit: 2}, inf},
		{"a quarter of a core of one", 100, &Probe{CPU: 0.25, CPULimit: 1}, 320},
		{"already past the headroom", 100, &Probe{CPU: 0.9, CPULimit: 1}, 100},
		{"its CPU spent", 100, &Probe{CPU: 1, CPULimit: 1, Saturated: true, Kinds: []string{probes.KindCPU}}, 100},
		{"throttled", 100, &Probe{CPU: 0.2, CPULimit: 1, Saturated: true, Kinds: []string{probes.KindThrottled}}, 100},
		{"dropping sends", 100, &Probe{CPU: 0.2, CPULimit: 1, Saturated: true, Kinds: []string{probes.KindDropped}}, 100},
		{"run delay only: judged by its CPU", 100, &Probe{CPU: 0.2, CPULimit: 1, Saturated: true, Kinds: []string{probes.KindRunDelay}}, 400},
	} {
		if got := capacity(c.rate, c.pr); math.Abs(got-c.want) > 1e-9 && !(math.IsInf(got, 1) && math.IsInf(c.want, 1)) {
			t.Errorf("%s: capacity %g, want %g", c.name, got, c.want)
		}
	}
}

// TestFill: a total split as evenly as the capacities allow, the rest
// unplaced.
func TestFill(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		name     string
		total    float64
		caps     []float64
		want     []float64
		unplaced float64
	}{
		{"room everywhere: even", 300, []float64{inf, inf}, []float64{150, 150}, 0},
		{"one capped: the other takes the rest", 300, []float64{100, inf}, []float64{100, 200}, 0},
		{"not enough room", 300, []float64{160, 100}, []float64{160, 100}, 40},
		{"even fits under the caps", 300, []float64{200, 150, 400}, []float64{100, 100, 100}, 0},
		{"the smallest first", 600, []float64{400, 100, 150}, []float64{350, 100, 150}, 0},
		{"every one at its cap", 800, []float64{400, 100, 150}, []float64{400, 100, 150}, 150},
		{"nobody left", 300, nil, []float64{}, 300},
	} {
		got, rest := fill(c.total, c.caps)
		ok := len(got) == len(c.want) && math.Abs(rest-c.unplaced) < 1e-9
		for i := range got {
			ok = ok && math.Abs(got[i]-c.want[i]) < 1e-9
		}
		if !ok {
			t.Errorf("%s: fill(%g, %v) = %v, %g unplaced; want %v, %g", c.name, c.total, c.caps, got, rest, c.want, c.unplaced)
		}
	}
}

// TestPoolReassignsWithinHeadroom: three agents at 300 req/s in all, one
// lost 1.5 s in; of the two left, one has spent its CPU (its probes say
// so) and the other has room for 60% more: the lost share goes to the
// one with room, up to its headroom (160/s), and what neither has room
// for (40/s) is not reassigned: the lost agent's not_reassigned_rps,
// counted in its missing requests to the run's end. The probes are set
// by the test (a pool's own white box): an agent really out of CPU is
// not a loopback test's to make.
func TestPoolReassignsWithinHeadroom(t *testing.T) {
	target, _ := countingTarget(t)
	addrs, srvs, _ := agents(t, 3, "tok")
	spec := Spec{Target: engine.Target{URL: target.URL + "/"}, Interval: 250 * time.Millisecond, Rate: 300,
		Window: 3 * time.Second, Timeout: 2 * time.Second, KeepAlive: true}
	var lost AgentStats
	p, err := NewPool(addrs, "tok", spec, PoolOptions{Lead: 300 * time.Millisecond, OnLost: func(s AgentStats) { lost = s }})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300*time.Millisecond + 1500*time.Millisecond) // between two of the agents' probes
		p.probed(0, Probe{CPU: 0.5, CPULimit: 1})
		p.probed(2, Probe{CPU: 1, CPULimit: 1, Saturated: true, Reasons: []string{"cpu 1.00 of 1"}, Kinds: []string{probes.KindCPU}})
		srvs[1].CloseClientConnections()
		srvs[1].Config.SetKeepAlivesEnabled(false)
		srvs[1].Listener.Close()
	}()
	if _, err := p.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "agent 1") {
		t.Fatalf("run: %v, want agent 1 lost", err)
	}
	st := p.Stats()
	if st[1].State != "lost" || st[0].Rate != 160 || st[2].Rate != 100 || st[1].NotReassigned != 40 || lost.NotReassigned != 40 {
		t.Fatalf("agents %+v: want agent 0 at 160/s, agent 2 kept at 100/s, 40/s not reassigned", st)
	}
	// Missing: its share from its last tick to the reassignment, then
	// the 40/s not reassigned to the window's end.
	if want := 40 * (3 - st[1].LostAt); st[1].Missing < want || st[1].Missing > want+100*1.0 {
		t.Errorf("missing %.0f requests: want the 40/s from %.1fs to 3 s (%.0f) and at most a second of its 100/s share", st[1].Missing, st[1].LostAt, want)
	}
	t.Logf("lost at %.2fs: %.0f missing, %.0f/s not reassigned; shares now %g and %g", st[1].LostAt, st[1].Missing, st[1].NotReassigned, st[0].Rate, st[2].Rate)
}

// TestPoolKeepsTheRampsOfTheOthers: three agents on a ramp (Stages), one
// lost 1.5 s in: the two left keep their ramps (their ticks' target
// rates go on climbing; before, the reassignment set every agent to the
// ramp's flat rate of 0), and the lost agent's part, at its last
// tick's rate, is not reassigned and counted missing.
func TestPoolKeepsTheRampsOfTheOthers(t *testing.T) {
	target, _ := countingTarget(t)
	addrs, srvs, _ := agents(t, 3, "tok")
	var got ticks
	spec := Spec{Target: engine.Target{URL: target.URL + "/"}, Interval: 250 * time.Millisecond, Timeout: 2 * time.Second, KeepAlive: true,
		Stages: []engine.Stage{{Duration: time.Second, Rate: 300}, {Duration: 2 * time.Second, Rate: 600}}}
	p, err := NewPool(addrs, "tok", spec, PoolOptions{OnSnapshot: got.add, Lead: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300*time.Millisecond + 1500*time.Millisecond)
		srvs[1].CloseClientConnections()
		srvs[1].Config.SetKeepAlivesEnabled(false)
		srvs[1].Listener.Close()
	}()
	if _, err := p.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "agent 1") {
		t.Fatalf("run: %v, want agent 1 lost", err)
	}
	st := p.Stats()
	if st[1].State != "lost" || st[1].NotReassigned < 50 || st[1].Missing < st[1].NotReassigned {
		t.Fatalf("agents %+v: want agent 1 lost, its part (about 130/s) not reassigned and missing", st)
	}
	// The last full tick before the window's end: the two left at their
	// ramps' rate near its top (2 × 180..200/s), not 0.
	ts := got.all()
	best := 0.0
	for _, s := range ts[len(ts)/2:] {
		best = max(best, s.TargetRate)
	}
	if best < 300 {
		t.Errorf("the ticks after the loss have target rates up to %g: want the two ramps going on (over 300)", best)
	}
	t.Logf("lost at %.2fs: %.0f/s not reassigned, %.0f missing; the others' target up to %g/s", st[1].LostAt, st[1].NotReassigned, st[1].Missing, best)
}
