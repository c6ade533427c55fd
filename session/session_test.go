package session

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/fleet"
)

// logSink records what it saw as lines, in order, and keeps a clone of
// every tick; vandal also changes everything it is handed, after noting
// it, to prove that the next sink sees the original.
type logSink struct {
	mu       sync.Mutex
	vandal   bool
	info     Info
	lines    []string
	ticks    []*engine.Snapshot
	result   *Result
	opened   int
	closedN  int
	replicas int
}

func (s *logSink) Open(i Info) error { s.info = i; s.opened++; return nil }

func (s *logSink) Tick(t Tick) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := t.Snapshot
	s.lines = append(s.lines, fmt.Sprintf("tick %d..%d %d requests %d failed", snap.Start.UnixNano(), snap.End.UnixNano(), snap.Requests, snap.Failed()))
	s.ticks = append(s.ticks, snap.Clone())
	if t.State != nil {
		s.replicas = max(s.replicas, len(t.State.Replicas))
	}
	if s.vandal {
		snap.Requests += 1000
		snap.Status[200] += 1000
		_ = snap.Latency.RecordValue(9_000_000)
		snap.Start = snap.Start.Add(-time.Hour)
		for _, v := range snap.ByVersion {
			v.Requests += 1000
		}
		if t.State != nil {
			for i := range t.State.Replicas {
				t.State.Replicas[i].Name = "vandalized"
			}
			t.State.Desired = 99
		}
	}
}

func (s *logSink) Event(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	line := fmt.Sprintf("event %s %s %s", e.Source, e.Kind, e.Message)
	if e.Cluster != nil {
		line += " replica=" + e.Cluster.Replica
	}
	if e.Step != nil {
		line += fmt.Sprintf(" step=%s completed=%v", e.Step.Spec, e.Step.Completed)
	}
	s.lines = append(s.lines, line)
	if s.vandal {
		if e.Cluster != nil {
			e.Cluster.Message, e.Cluster.Replica = "vandalized", "vandalized"
		}
		if e.Step != nil {
			e.Step.Spec, e.Step.Completed = "vandalized", !e.Step.Completed
		}
	}
}

func (s *logSink) Close(r *Result) error { s.result = r; s.closedN++; return nil }

// countsSink is a logSink that reads no histograms (CountsOnly); dense
// counts the ticks it was handed with a histogram.
type countsSink struct {
	*logSink
	dense int
}

func (c *countsSink) CountsOnly() {}

func (c *countsSink) Tick(t Tick) {
	s := t.Snapshot
	if s.Latency != nil || s.Service != nil || s.FailedLatency != nil || s.Connect != nil || s.Effective != nil {
		c.dense++
	}
	for _, v := range s.ByVersion {
		if v.Latency != nil {
			c.dense++
		}
	}
	c.logSink.Tick(t)
}

// TestSessionFansOutEveryTickAndEvent runs a fleet under load with a
// step and an operator's note: both sinks see every tick and event in the
// same order (the fleet's first events before the first tick), the ticks
// sum exactly to the result, and the first sink, which changes all it is
// handed, changes nothing of what the second sees.
func TestSessionFansOutEveryTickAndEvent(t *testing.T) {
	fl, err := fleet.New(fleet.Replicas(2), fleet.ReplicaDefaults(fleet.StartupDelay(50*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	steps, err := experiments.ParseSteps([]string{"300ms:scale=3"})
	if err != nil {
		t.Fatal(err)
	}
	vandal, witness := &logSink{vandal: true}, &logSink{}
	light := &countsSink{logSink: &logSink{}}
	var s *Session
	s, err = New(Config{
		Command: "test",
		Resolve: func() (engine.Target, []engine.Option, error) {
			return engine.Target{Method: "GET", URL: fl.URL()}, nil, nil
		},
		Options: []engine.Option{engine.Rate(200), engine.Duration(1500 * time.Millisecond)},
		Window:  1500 * time.Millisecond,
		Cluster: fl,
		Steps:   experiments.AtSteps(steps),
		Sinks:   []Sink{vandal, light, witness},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	go func() {
		time.Sleep(700 * time.Millisecond)
		s.Emit(Event{Source: FromOperator, Kind: "note", Message: "halfway"})
	}()
	res, err := s.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Partial != "" {
		t.Fatalf("partial result: %s", res.Partial)
	}
	for _, k := range []*logSink{vandal, light.logSink, witness} {
		if k.opened != 1 || k.closedN != 1 || k.result != res {
			t.Fatalf("opened %d, closed %d times, result %p (want once, once, %p)", k.opened, k.closedN, k.result, res)
		}
		if k.info.Engine == nil || k.info.Cluster == nil || k.info.Target.URL != fl.URL() {
			t.Fatalf("info %+v: want the engine, the cluster and the fleet's URL", k.info)
		}
	}
	if !reflect.DeepEqual(vandal.lines, witness.lines) {
		t.Fatalf("the sinks saw different things:\n%v\n%v", vandal.lines, witness.lines)
	}
	// The sink that reads only counts saw the same counts, without a
	// histogram.
	if !reflect.DeepEqual(light.lines, witness.lines) || light.dense > 0 {
		t.Fatalf("the counts-only sink saw %d ticks with histograms, and:\n%v\nwant\n%v", light.dense, light.lines, witness.lines)
	}
	lines := witness.lines
	first := func(prefix string) int {
		for i, l := range lines {
			if len(l) >= len(prefix) && l[:len(prefix)] == prefix {
				return i
			}
		}
		t.Fatalf("no line %q in %v", prefix, lines)
		return -1
	}
	// The fleet's first replicas started before the load: their events
	// come before the first tick.
	if c, tk := first("event cluster"), first("tick "); c > tk {
		t.Fatalf("the first cluster event (line %d) after the first tick (line %d): %v", c, tk, lines)
	}
	started, completed, note := first("event step started step 300ms:scale=3"), first("event step completed"), first("event operator note halfway")
	if !(started < completed) || note < 0 {
		t.Fatalf("step started at line %d, completed at %d, note at %d", started, completed, note)
	}
	// Every tick, in order, adding up to the result exactly.
	var sum, failed uint64
	var prevEnd time.Time
	for i, snap := range witness.ticks {
		if snap.Start.Before(prevEnd) {
			t.Fatalf("tick %d starts at %v, before the previous tick's end %v", i, snap.Start, prevEnd)
		}
		prevEnd = snap.End
		sum += snap.Requests
		failed += snap.Failed()
	}
	total := res.Load.Total
	if sum != total.Requests || failed != total.Failed() || sum == 0 {
		t.Fatalf("ticks sum to %d requests, %d failed; the result has %d, %d", sum, failed, total.Requests, total.Failed())
	}
	if len(witness.ticks) < 2 {
		t.Fatalf("%d ticks over 1.5 s at %s", len(witness.ticks), Interval)
	}
	merged := engine.NewSnapshot()
	for _, snap := range witness.ticks {
		merged.Merge(snap)
	}
	if merged.Latency.TotalCount() != total.Latency.TotalCount() || merged.Latency.Max() != total.Latency.Max() {
		t.Fatalf("the witness's latency: %d values, max %d µs; the result's %d, %d", merged.Latency.TotalCount(),
			merged.Latency.Max(), total.Latency.TotalCount(), total.Latency.Max())
	}
	if witness.replicas < 3 {
		t.Fatalf("the witness saw at most %d replicas in the ticks' states, want the scaled 3", witness.replicas)
	}
	if len(res.Steps) != 1 || !res.Steps[0].Completed || res.Steps[0].Spec != "300ms:scale=3" {
		t.Fatalf("steps %+v: want the scale completed", res.Steps)
	}
}
