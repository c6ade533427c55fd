package experiments

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
)

// loadLog is a LoadControl that logs each call; a rate of 13 is refused.
type loadLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *loadLog) log(s string) { l.mu.Lock(); l.calls = append(l.calls, s); l.mu.Unlock() }
func (l *loadLog) SetRate(r float64) error {
	if r == 13 {
		return errors.New("rate 13 refused")
	}
	l.log(fmt.Sprintf("rate %g", r))
	return nil
}
func (l *loadLog) Pause() error     { l.log("pause"); return nil }
func (l *loadLog) Resume() error    { l.log("resume"); return nil }
func (l *loadLog) Stop()            { l.log("stop") }
func (l *loadLog) Note(text string) { l.log("note " + text) }
func (l *loadLog) got() []string    { l.mu.Lock(); defer l.mu.Unlock(); return slices.Clone(l.calls) }
func parseWhen(s string) (Condition, error) {
	c, err := analysis.ParseCondition(s)
	if err != nil {
		return nil, err
	}
	return analysis.NewTrigger(c), nil
}

// planStep builds a plan step of action fired by trig.
func planStep(t *testing.T, name, action string, trig Trigger) PlanStep {
	t.Helper()
	ps, err := ParseAction(action)
	if err != nil {
		t.Fatal(err)
	}
	ps.Name, ps.Trigger = name, trig
	if trig.Kind == TriggerAt {
		ps.Step.At = trig.At
	}
	return ps
}

// TestPlanRunnerTriggers runs at:, after: and when: steps of load actions
// for 1.2 s, fed 50 ms ticks of 2000 req/s: an after: step fires its delay
// after its step completed, one after a failed step is cut (and one after
// it), a when: step fires once its condition holds, and one whose
// condition never holds is not triggered.
func TestPlanRunnerTriggers(t *testing.T) {
	at := func(d time.Duration) Trigger { return Trigger{Kind: TriggerAt, At: d} }
	after := func(n string, d time.Duration) Trigger { return Trigger{Kind: TriggerAfter, After: n, Delay: d} }
	when := func(c string) Trigger { return Trigger{Kind: TriggerWhen, When: c} }
	steps := []PlanStep{
		planStep(t, "mark", "note=hello", at(0)),
		planStep(t, "faster", "set-rate=50", after("mark", 300*time.Millisecond)),
		planStep(t, "bad", "set-rate=13", at(100*time.Millisecond)),
		planStep(t, "then", "pause-load", after("bad", 0)),
		planStep(t, "chain", "resume-load", after("then", 0)),
		planStep(t, "busy", "note=busy", when("rps > 10")),
		planStep(t, "slow", "stop", when("p(99) > 10s")),
	}
	load := &loadLog{}
	var mu sync.Mutex
	var updates []Result
	r, err := NewPlanRunner(nil, steps, WithLoad(load), Conditions(parseWhen),
		OnUpdate(func(res Result) { mu.Lock(); updates = append(updates, res); mu.Unlock() }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 1200*time.Millisecond)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx, start) })
	for tick := start; ctx.Err() == nil; {
		time.Sleep(time.Until(tick.Add(50 * time.Millisecond)))
		s := engine.NewSnapshot()
		s.Start, s.End = tick, tick.Add(50*time.Millisecond)
		s.Requests, s.Status[200] = 100, 100
		r.Observe(s)
		tick = s.End
	}
	wg.Wait()
	res := r.Results(time.Now())
	by := map[string]Result{}
	for _, x := range res {
		by[x.Name] = x
	}
	if x := by["mark"]; !x.Completed || x.StartS > 0.05 {
		t.Errorf("mark: %+v, want completed at once", x)
	}
	if x := by["faster"]; !x.Completed || x.StartS < 0.3 || x.StartS > 0.45 {
		t.Errorf("faster: %+v, want completed 0.3 s after mark", x)
	}
	if x := by["bad"]; !x.StepFailed() || x.Error != "rate 13 refused" {
		t.Errorf("bad: %+v, want failed (rate 13 refused)", x)
	}
	if x := by["then"]; !x.Cut || x.Completed || x.Error != `its step bad did not complete` || x.StepFailed() {
		t.Errorf("then: %+v, want cut: its step bad did not complete", x)
	}
	if x := by["chain"]; !x.Cut || x.Error != `its step then did not complete` {
		t.Errorf("chain: %+v, want cut: its step then did not complete", x)
	}
	// rps over the last second: 100 requests a 50 ms tick, > 10 from the first tick.
	if x := by["busy"]; !x.Completed || x.StartS > 0.2 {
		t.Errorf("busy: %+v, want completed within the first ticks", x)
	}
	if x := by["slow"]; !x.Cut || x.Completed || x.Error != NotTriggered || x.StepFailed() || x.Label() != "slow" {
		t.Errorf("slow: %+v, want cut, %q", x, NotTriggered)
	}
	calls := load.got()
	for _, want := range []string{"note hello", "rate 50", "note busy"} {
		if !slices.Contains(calls, want) {
			t.Errorf("load calls %q: no %q", calls, want)
		}
	}
	for _, no := range []string{"pause", "resume", "stop"} {
		if slices.Contains(calls, no) {
			t.Errorf("load calls %q: %q should not have run", calls, no)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	cutSeen := false
	for _, u := range updates {
		cutSeen = cutSeen || u.Name == "then" && u.Cut
	}
	if !cutSeen {
		t.Errorf("no update reported step then cut: %+v", updates)
	}
}

// TestPlanRunnerLoadActionsNeedALoad: without a load (or a cluster), an
// action fails, naming what is missing.
func TestPlanRunnerLoadActionsNeedALoad(t *testing.T) {
	steps := []PlanStep{
		planStep(t, "", "note=x", Trigger{Kind: TriggerAt}),
		planStep(t, "", "scale=2", Trigger{Kind: TriggerAt, At: 10 * time.Millisecond}),
	}
	r, err := NewPlanRunner(nil, steps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	r.Run(ctx, time.Now())
	res := r.Results(time.Now())
	if !res[0].StepFailed() || res[0].Error != "note: no load to act on" {
		t.Errorf("note: %+v", res[0])
	}
	if !res[1].StepFailed() || res[1].Error != "scale: no cluster attached" {
		t.Errorf("scale: %+v", res[1])
	}
	if _, err := NewPlanRunner(nil, []PlanStep{planStep(t, "w", "stop", Trigger{Kind: TriggerWhen, When: "p(99) >"})}, Conditions(parseWhen)); err == nil {
		t.Error("a condition that does not parse: no error")
	}
}
