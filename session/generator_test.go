package session

import (
	"encoding/json"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/probes"
)

// generatorTicks feeds s n one-second ticks of sent requests, late of
// them late, calling during(i) before each.
func generatorTicks(t *testing.T, s *GeneratorSink, n int, sent, late uint64, during func(i int)) {
	t.Helper()
	start := time.Now()
	for i := range n {
		during(i)
		snap := engine.NewSnapshot()
		snap.Start, snap.End = start.Add(time.Duration(i)*time.Second), start.Add(time.Duration(i+1)*time.Second)
		snap.Requests, snap.Late = sent, late
		s.Tick(Tick{Snapshot: snap})
	}
}

// TestGeneratorSinkCPUBound pins the process to one core and spins beside
// the ticks: the seconds are judged saturated, the run generator-bound,
// and the reason names the CPU, with how long it held.
func TestGeneratorSinkCPUBound(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	s := NewGenerator(probes.Thresholds{}, probes.Options{})
	if err := s.Open(Info{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close(nil)
	var res Result
	generatorTicks(t, s, 3, 1000, 0, func(int) {
		for end := time.Now().Add(time.Second); time.Now().Before(end); {
		}
	})
	s.Finish(&res)
	g := res.Generator
	if g == nil || !g.Saturated || g.SampledS != 3 || g.SaturatedS < 2 {
		t.Fatalf("judgement %+v: want generator-bound over the 3 s sampled", g)
	}
	cpu := false
	for _, r := range g.Reasons {
		cpu = cpu || strings.HasPrefix(r, "cpu ") && strings.Contains(r, "of 1 core") && strings.HasSuffix(r, "of 3 s)")
	}
	// A loaded machine may lend the spinning less than the core: its
	// threads then wait (run delay), a reason of its own.
	if !cpu && !strings.HasPrefix(strings.Join(g.Reasons, ";"), "run delay") {
		t.Errorf("reasons %q: want the CPU's (or the run delay's)", g.Reasons)
	}
	t.Logf("reasons %q", g.Reasons)
}

// TestGeneratorSinkLateSends: a second with a tenth of its sends late is
// saturated, one with a few late is not (the scheduler's noise), and the
// run is generator-bound when a tenth of its seconds were.
func TestGeneratorSinkLateSends(t *testing.T) {
	s := NewGenerator(probes.Thresholds{CPU: 100, RunDelay: time.Hour}, probes.Options{})
	if err := s.Open(Info{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close(nil)
	late := []uint64{0, 5, 120, 0, 0, 0, 0, 0, 0, 0}
	start := time.Now()
	for i, l := range late {
		snap := engine.NewSnapshot()
		snap.Start, snap.End = start.Add(time.Duration(i)*time.Second), start.Add(time.Duration(i+1)*time.Second)
		snap.Requests, snap.Late = 1000, l
		s.Tick(Tick{Snapshot: snap})
	}
	g := s.Result()
	if g == nil || !g.Saturated || g.SaturatedS != 1 || g.SampledS != 10 {
		t.Fatalf("judgement %+v: want 1 of 10 s saturated, generator-bound", g)
	}
	if len(g.Reasons) != 1 || g.Reasons[0] != "120 sends late (1 s of 10 s)" {
		t.Errorf("reasons %q", g.Reasons)
	}
	if _, j := s.Last(); j.Saturated {
		t.Errorf("the last second judged %+v: want it keeping up", j)
	}
}

// TestGeneratorBoundBetween: the reasons of the saturated seconds that
// overlap a span, one a kind (the first second's figure, with the seconds
// it held); none for a span of seconds that kept up.
func TestGeneratorBoundBetween(t *testing.T) {
	o := time.Unix(1000, 0)
	s := NewGenerator(probes.Thresholds{}, probes.Options{})
	s.origin = o
	for i := 1; i <= 6; i++ {
		sec := analysis.GeneratorSecond{End: time.Duration(i) * time.Second, Span: time.Second}
		switch i {
		case 3:
			sec.Saturated, sec.Reasons, sec.Kinds = true, []string{"cpu 1.96 of 2 cores"}, []string{probes.KindCPU}
		case 4:
			sec.Saturated, sec.Reasons = true, []string{"cpu 1.99 of 2 cores", "run delay 214 ms/s"}
			sec.Kinds = []string{probes.KindCPU, probes.KindRunDelay}
		}
		s.seconds = append(s.seconds, sec)
	}
	for _, c := range []struct {
		from, to int
		want     string
	}{
		{0, 2, ""}, {0, 3, "cpu 1.96 of 2 cores"}, {2, 5, "cpu 1.96 of 2 cores (2 s), run delay 214 ms/s"}, {4, 6, ""},
	} {
		got := strings.Join(s.BoundBetween(o.Add(time.Duration(c.from)*time.Second), o.Add(time.Duration(c.to)*time.Second)), ", ")
		if got != c.want {
			t.Errorf("%d s to %d s: %q, want %q", c.from, c.to, got, c.want)
		}
	}
}

// TestGeneratorReplayFollowsTheReadings: the live sink sends each second's
// reading out as a GeneratorSampled event (with its sample, sends and
// judgement) beside the judgement's changes; a replay's sink handed those
// events (as a recording gives them back, through JSON) has the live
// run's judgement, seconds, bound spans and last reading, and a replay's
// sink ignores the change events and probes nothing.
func TestGeneratorReplayFollowsTheReadings(t *testing.T) {
	live := NewGenerator(probes.Thresholds{CPU: 100, RunDelay: time.Hour}, probes.Options{})
	var evs []Event
	fan := newFanout([]Sink{live, eventsOf(&evs)})
	start := time.Now()
	if err := live.Open(Info{Start: start, Control: Control{fan: fan}}); err != nil {
		t.Fatal(err)
	}
	fan.opened(nil)
	defer live.Close(nil)
	late := []uint64{0, 150, 200, 0, 0}
	for i, l := range late {
		snap := engine.NewSnapshot()
		snap.Start, snap.End = start.Add(time.Duration(i)*time.Second), start.Add(time.Duration(i+1)*time.Second)
		snap.Requests, snap.Late = 1000, l
		fan.tick(snap)
	}
	var sampled, changes int
	replay := NewGeneratorReplay()
	if err := replay.Open(Info{Start: start}); err != nil {
		t.Fatal(err)
	}
	first := engine.NewSnapshot()
	first.Start, first.End = start, start.Add(time.Second)
	replay.Tick(Tick{Snapshot: first}) // the first frame: the load's start
	for _, e := range evs {
		if e.Source != FromGenerator {
			continue
		}
		if e.Kind != GeneratorSampled {
			changes++
			replay.Event(e)
			continue
		}
		sampled++
		if e.Generator == nil || e.Generator.Sent != 1000 || !strings.Contains(e.Message, "1000 sends") {
			t.Fatalf("reading %+v, message %q: want the second's 1000 sends", e.Generator, e.Message)
		}
		data, err := json.Marshal(*e.Generator)
		if err != nil {
			t.Fatal(err)
		}
		var back GeneratorReading
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		replay.Event(Event{Time: e.Time, Source: FromGenerator, Kind: GeneratorSampled, Generator: &back})
	}
	if sampled != len(late) || changes != 2 {
		t.Fatalf("%d readings and %d changes: want %d and 2 (saturated, recovered)", sampled, changes, len(late))
	}
	want, got := live.Result(), replay.Result()
	if want == nil || !want.Saturated || got == nil || !reflect.DeepEqual(*got, *want) {
		t.Fatalf("replay's judgement %+v, want the live one %+v", got, want)
	}
	if !reflect.DeepEqual(replay.Seconds(0), live.Seconds(0)) {
		t.Errorf("replay's seconds %+v, want %+v", replay.Seconds(0), live.Seconds(0))
	}
	from, to := start.Add(time.Second), start.Add(3*time.Second)
	if b, w := replay.BoundBetween(from, to), live.BoundBetween(from, to); len(w) != 1 || !reflect.DeepEqual(b, w) {
		t.Errorf("replay's bound reasons %q, want the live %q", b, w)
	}
	ls, lj := live.Last()
	rs, rj := replay.Last()
	if !rs.At.Equal(ls.At) || rs.CPU != ls.CPU || rj.Saturated != lj.Saturated {
		t.Errorf("replay's last %+v %+v, want %+v %+v", rs, rj, ls, lj)
	}
}
