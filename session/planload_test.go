package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
)

// planSink keeps the target rates of the ticks and the events.
type planSink struct {
	mu     sync.Mutex
	rates  []float64
	events []Event
}

func (p *planSink) Open(Info) error { return nil }
func (p *planSink) Tick(t Tick) {
	p.mu.Lock()
	p.rates = append(p.rates, t.Snapshot.TargetRate)
	p.mu.Unlock()
}
func (p *planSink) Event(e Event)       { p.mu.Lock(); p.events = append(p.events, e); p.mu.Unlock() }
func (p *planSink) Close(*Result) error { return nil }

// TestPlanLoadActions runs a plan's load actions without a cluster, on
// a loopback server: a note is an event, set-rate changes the rate the
// ticks report, pause-load and resume-load, and stop ends a 10 s load
// within a second.
func TestPlanLoadActions(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	var steps []experiments.PlanStep
	for _, s := range []struct {
		at     time.Duration
		action string
	}{{0, "note=hello"}, {300 * time.Millisecond, "set-rate=400"}, {700 * time.Millisecond, "pause-load"},
		{900 * time.Millisecond, "resume-load"}, {1200 * time.Millisecond, "stop"}} {
		ps, err := experiments.ParseAction(s.action)
		if err != nil {
			t.Fatal(err)
		}
		ps.Step.At, ps.Trigger = s.at, experiments.Trigger{Kind: experiments.TriggerAt, At: s.at}
		steps = append(steps, ps)
	}
	sink := &planSink{}
	s, err := New(Config{Command: "test", Target: engine.Target{Method: "GET", URL: srv.URL},
		Options: []engine.Option{engine.Rate(100), engine.Duration(10 * time.Second)}, Window: 10 * time.Second,
		Steps: steps, Sinks: []Sink{sink}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	res, err := s.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if took := res.End.Sub(res.Start); took > 2500*time.Millisecond {
		t.Errorf("the load ended %s after its start, want about 1.2 s (the stop)", took)
	}
	if res.Stopped == "" {
		t.Error("Result.Stopped is empty after a stop step")
	}
	for _, st := range res.Steps {
		if !st.Completed {
			t.Errorf("step %s: %+v, want completed", st.Label(), st)
		}
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	saw := map[float64]bool{}
	for _, r := range sink.rates {
		saw[r] = true
	}
	if !saw[100] || !saw[400] || !saw[0] {
		t.Errorf("tick target rates %v: want 100, then 400, 0 while paused", sink.rates)
	}
	if last := sink.rates[len(sink.rates)-1]; last != 400 {
		t.Errorf("last tick's rate %g, want 400 after the resume", last)
	}
	noted := false
	for _, e := range sink.events {
		noted = noted || e.Kind == "note" && e.Message == "note: hello"
	}
	if !noted {
		t.Errorf("no note event in %+v", sink.events)
	}
}
