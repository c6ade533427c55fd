package session

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/fleet"
)

// switchable is a loopback server that answers 200 or, while failing is
// set, 500.
type switchable struct {
	srv     *httptest.Server
	failing atomic.Bool
}

func newSwitchable(t *testing.T) *switchable {
	s := &switchable{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if s.failing.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func mustPlanSteps(t *testing.T, actions ...string) []experiments.PlanStep {
	t.Helper()
	var out []experiments.PlanStep
	for _, a := range actions {
		at, action, _ := strings.Cut(a, ":")
		d, err := time.ParseDuration(at)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := experiments.ParseAction(action)
		if err != nil {
			t.Fatal(err)
		}
		ps.Step.At, ps.Trigger = d, experiments.Trigger{Kind: experiments.TriggerAt, At: d}
		out = append(out, ps)
	}
	return out
}

func steadyRun(t *testing.T, srv *switchable, window time.Duration, ss SteadyState, steps []experiments.PlanStep, sinks ...Sink) (*Result, time.Duration) {
	t.Helper()
	s, err := New(Config{
		Command: "test", Target: engine.Target{Method: "GET", URL: srv.srv.URL},
		Options: []engine.Option{engine.Rate(200), engine.Duration(window)}, Window: window,
		Steps: steps, SteadyState: &ss, Sinks: sinks, Drain: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return res, time.Since(begin)
}

// TestSteadyStateNotMetBeforeRunsNoStep: a target that fails from the
// start does not hold the baseline's availability: the session stops the
// load at the baseline's end (1 s of a 5 s window), no step runs (each is
// reported not run for the steady state), and the verdict is
// steady-state-not-met, naming the threshold and its value.
func TestSteadyStateNotMetBeforeRunsNoStep(t *testing.T) {
	srv := newSwitchable(t)
	srv.failing.Store(true)
	witness := &logSink{}
	ss := SteadyState{Before: time.Second, Thresholds: []analysis.Threshold{mustThreshold(t, "availability", "rate>0.99")}}
	res, took := steadyRun(t, srv, 5*time.Second, ss, mustPlanSteps(t, "1s:note=never", "2s:set-rate=100"), witness)
	if res.Verdict != analysis.VerdictSteadyStateNotMet {
		t.Fatalf("verdict %q, want %q", res.Verdict, analysis.VerdictSteadyStateNotMet)
	}
	if took > 2500*time.Millisecond {
		t.Errorf("the run took %s: the load should stop at the 1s baseline's end", took)
	}
	b := res.SteadyState.Before
	if b == nil || b.OK || len(b.Statuses) != 1 || b.Statuses[0].NoData || b.Statuses[0].Value > 0.01 {
		t.Fatalf("before %+v", b)
	}
	if b.To < 750*time.Millisecond || b.To > 1250*time.Millisecond {
		t.Errorf("judged at %s, want about 1s", b.To)
	}
	if got := b.Failed(); !strings.Contains(got, "availability rate>0.99 = 0%") {
		t.Errorf("failed %q", got)
	}
	if res.SteadyState.After != nil {
		t.Errorf("after %+v, want none: no after window", res.SteadyState.After)
	}
	if !strings.HasPrefix(res.Stopped, "steady state not met before the method") {
		t.Errorf("stopped %q", res.Stopped)
	}
	for _, st := range res.Steps {
		if st.Error != NotRunSteadyState || !st.Cut || st.StepFailed() {
			t.Errorf("step %s: %+v, want not run", st.Label(), st)
		}
	}
	lines := strings.Join(witness.lines, "\n")
	if !strings.Contains(lines, "event judge "+SteadyStateNotMet+" steady state not met before the method: availability rate>0.99 = 0%") {
		t.Errorf("no steady-state-not-met event in\n%s", lines)
	}
	if strings.Contains(lines, "event step") {
		t.Errorf("a step ran:\n%s", lines)
	}
}

// TestSteadyStateHoldsBeforeAndAfter: a healthy target holds the
// baseline, the step due at its end runs once it was judged, and the
// window after the step holds too: the verdict passes.
func TestSteadyStateHoldsBeforeAndAfter(t *testing.T) {
	srv := newSwitchable(t)
	witness := &logSink{}
	ss := SteadyState{Before: time.Second, After: time.Second, Thresholds: []analysis.Threshold{mustThreshold(t, "availability", "rate>0.99")}}
	res, _ := steadyRun(t, srv, 2500*time.Millisecond, ss, mustPlanSteps(t, "1s:note=go"), witness)
	if res.Verdict != analysis.VerdictPass {
		t.Fatalf("verdict %q, steady state %+v %+v", res.Verdict, res.SteadyState.Before, res.SteadyState.After)
	}
	if len(res.Steps) != 1 || !res.Steps[0].Completed {
		t.Fatalf("steps %+v", res.Steps)
	}
	b, a := res.SteadyState.Before, res.SteadyState.After
	if b == nil || !b.OK || a == nil || !a.OK || a.Note != "" {
		t.Fatalf("before %+v after %+v", b, a)
	}
	stepAt := time.Duration(res.Steps[0].StartS * float64(time.Second))
	if stepAt < b.To-tolerance {
		t.Errorf("the step ran at %s, before the baseline was judged at %s", stepAt, b.To)
	}
	if a.From < stepAt || a.To-a.From < 750*time.Millisecond {
		t.Errorf("after window %s..%s, step at %s", a.From, a.To, stepAt)
	}
	lines := strings.Join(witness.lines, "\n")
	met := strings.Index(lines, "event judge "+SteadyStateMet)
	step := strings.Index(lines, "event step started")
	if met < 0 || step < 0 || step < met {
		t.Errorf("want the steady-state-met event before the step's start:\n%s", lines)
	}
}

// TestSteadyStateNotMetAfterFails: the target starts failing once the
// step ran: the baseline held, the window after the method does not, and
// the verdict fails (not steady-state-not-met, which is the baseline's).
func TestSteadyStateNotMetAfterFails(t *testing.T) {
	srv := newSwitchable(t)
	ss := SteadyState{Before: time.Second, After: time.Second, Thresholds: []analysis.Threshold{mustThreshold(t, "availability", "rate>0.99")}}
	w := &funcSink{open: func(Info) {}, event: func(e Event) {
		if e.Source == FromStep && e.Kind == "completed" {
			srv.failing.Store(true)
		}
	}}
	res, _ := steadyRun(t, srv, 2500*time.Millisecond, ss, mustPlanSteps(t, "1s:note=break"), w)
	if res.Verdict != analysis.VerdictFail {
		t.Fatalf("verdict %q", res.Verdict)
	}
	if b := res.SteadyState.Before; b == nil || !b.OK {
		t.Errorf("before %+v", b)
	}
	a := res.SteadyState.After
	if a == nil || a.OK || a.Note != "" || len(a.Statuses) != 1 || a.Statuses[0].Value > 0.1 {
		t.Fatalf("after %+v", a)
	}
}

// TestSteadyStateAfterNeedsTheWholeWindow: a run that ends before the
// window after the method closed did not show the steady state held: not
// met, with a note saying so.
func TestSteadyStateAfterNeedsTheWholeWindow(t *testing.T) {
	srv := newSwitchable(t)
	ss := SteadyState{After: 2 * time.Second, Thresholds: []analysis.Threshold{mustThreshold(t, "availability", "rate>0.99")}}
	res, _ := steadyRun(t, srv, 1500*time.Millisecond, ss, mustPlanSteps(t, "500ms:note=late"))
	a := res.SteadyState.After
	if res.Verdict != analysis.VerdictFail || a == nil || a.OK || !strings.Contains(a.Note, "into the 2s window after the method") {
		t.Fatalf("verdict %q after %+v", res.Verdict, a)
	}
}

// TestRollbacksDue is Chaos Toolkit's strategies as the session applies
// them.
func TestRollbacksDue(t *testing.T) {
	const (
		pass, fail, aborted, ssnm = analysis.VerdictPass, analysis.VerdictFail, analysis.VerdictAborted, analysis.VerdictSteadyStateNotMet
	)
	for _, c := range []struct {
		strategy experiments.RollbackStrategy
		v        analysis.Verdict
		failed   int
		want     bool
	}{
		{experiments.RollbackAlways, pass, 0, true},
		{experiments.RollbackAlways, ssnm, 0, true},
		{experiments.RollbackNever, aborted, 1, false},
		{experiments.RollbackDefault, pass, 0, false},
		{experiments.RollbackDefault, fail, 0, false},
		{experiments.RollbackDefault, fail, 1, true},
		{experiments.RollbackDefault, aborted, 0, true},
		{experiments.RollbackDefault, ssnm, 0, false},
		{experiments.RollbackDeviated, pass, 0, false},
		{experiments.RollbackDeviated, "", 0, false},
		{experiments.RollbackDeviated, fail, 0, true},
		{experiments.RollbackDeviated, aborted, 0, true},
		{experiments.RollbackDeviated, ssnm, 0, true},
	} {
		if got := RollbacksDue(c.strategy, c.v, c.v == aborted, c.failed); got != c.want {
			t.Errorf("%s with %s, %d failed steps: %v, want %v", c.strategy, c.v, c.failed, got, c.want)
		}
	}
}

// TestRollbacksRunOnTheFleetBeforeItStops: a fleet upgraded to v2 by a
// step, under a threshold that fails: the deviated strategy rolls it
// back once the load ended, while the fleet is still up: every replica
// is v1 again when the rollback completed, and the result and the events
// report it.
func TestRollbacksRunOnTheFleetBeforeItStops(t *testing.T) {
	fl, err := fleet.New(fleet.Replicas(2), fleet.ReplicaDefaults(fleet.StartupDelay(50*time.Millisecond), fleet.Drain(50*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	judge, err := NewThresholds([]analysis.Threshold{mustThreshold(t, "requests", "count<1")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	witness := &logSink{}
	peek := &funcSink{open: func(Info) {}, event: func(e Event) {
		if e.Source == FromRollback && e.Kind == "completed" {
			for _, r := range fl.State().Replicas {
				if r.Phase == cluster.Ready {
					versions = append(versions, r.Version)
				}
			}
		}
	}}
	s, err := New(Config{
		Command: "test",
		Resolve: func() (engine.Target, []engine.Option, error) {
			return engine.Target{Method: "GET", URL: fl.URL()}, nil, nil
		},
		Options: []engine.Option{engine.Rate(100), engine.Duration(1500 * time.Millisecond)},
		Window:  1500 * time.Millisecond, Cluster: fl,
		Steps:     mustPlanSteps(t, "200ms:upgrade=v2"),
		Rollbacks: experiments.Rollbacks{Strategy: experiments.RollbackDeviated, Actions: []experiments.Step{{Spec: "rollback", Action: "rollback"}}},
		Sinks:     []Sink{judge, peek, witness}, StopTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != analysis.VerdictFail {
		t.Fatalf("verdict %q", res.Verdict)
	}
	if len(res.Rollbacks) != 1 || !res.Rollbacks[0].OK || res.Rollbacks[0].Action != "rollback" {
		t.Fatalf("rollbacks %+v", res.Rollbacks)
	}
	if len(versions) != 2 || versions[0] != "v1" || versions[1] != "v1" {
		t.Errorf("replicas' versions after the rollback: %v, want [v1 v1]", versions)
	}
	lines := strings.Join(witness.lines, "\n")
	ended := strings.Index(lines, "event session load-ended")
	started := strings.Index(lines, "event rollback started rollback rollback started")
	done := strings.Index(lines, "event rollback completed rollback rollback completed in")
	if ended < 0 || started < ended || done < started {
		t.Errorf("want load-ended, then the rollback's start and completion:\n%s", lines)
	}
}
