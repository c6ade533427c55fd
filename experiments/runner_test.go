package experiments

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/fleet"
)

func TestResultsAttributeTicksToSteps(t *testing.T) {
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	r := NewRunner(nil, nil)
	r.t0 = t0
	for i := range 10 { // ten 100 ms ticks, 50 requests each, 5 failing from 300 to 500 ms (2 without an answer)
		s := engine.NewSnapshot()
		s.Start, s.End = at(i*100), at(i*100+100)
		s.Requests = 50
		s.Status[200] = 50
		if i == 3 || i == 4 {
			s.Status[200], s.Status[502] = 45, 3
			s.Errors[engine.ErrReset] = 2
		}
		r.Observe(s)
	}
	r.runs = []*run{
		{step: Step{Spec: "0.3s:kill=1", Action: "kill", At: 300 * time.Millisecond}, started: true, start: at(310), end: at(450), done: true},
		{step: Step{Spec: "0.6s:scale=3", Action: "scale", At: 600 * time.Millisecond}, started: true, start: at(600), end: at(600), done: true,
			err: errors.New("scale to 3: superseded")},
		{step: Step{Spec: "0.9s:upgrade=v2", Action: "upgrade", Version: "v2", At: 900 * time.Millisecond}, started: true, start: at(910)},
		{step: Step{Spec: "5s:rollback", Action: "rollback", At: 5 * time.Second}},
	}
	res := r.Results(at(1000))
	want := []Result{
		// 90% of tick 3 and 50% of tick 4: 45+25 requests, 4.5+2.5 failed, 1.8+1 transport errors.
		{Spec: "0.3s:kill=1", Action: "kill", StartS: 0.31, DurationS: 0.14, Completed: true, Requests: 70, Failed: 7, Errors: 3, Availability: ptr(0.9),
			From: at(310), To: at(450)},
		{Spec: "0.6s:scale=3", Action: "scale", StartS: 0.6, Error: "scale to 3: superseded", From: at(600), To: at(600)},
		{Spec: "0.9s:upgrade=v2", Action: "upgrade", StartS: 0.91, DurationS: 0.09, Requests: 45, Availability: ptr(1),
			Error: "still running when the run ended (rolling out v2)", Cut: true, From: at(910), To: at(1000)},
		{Spec: "5s:rollback", Action: "rollback", StartS: 5, Error: "not reached: the run ended before 5s", Cut: true},
	}
	for i := range want {
		got, w := res[i], want[i]
		if (got.Availability == nil) != (w.Availability == nil) || got.Availability != nil && *got.Availability != *w.Availability {
			t.Errorf("step %d: availability %v, want %v", i, got.Availability, w.Availability)
		}
		got.Availability, w.Availability = nil, nil
		if got != w {
			t.Errorf("step %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
}

func ptr(v float64) *float64 { return &v }

// TestMeasureProratesPartialTicks checks that a 1.001 s step at 100
// requests a second, measured in 250 ms ticks, counts the 100 requests of
// its second, not the 150 of the ticks it overlaps.
func TestMeasureProratesPartialTicks(t *testing.T) {
	t0 := time.Now()
	var ticks []Tick
	for i := range 8 {
		ticks = append(ticks, Tick{Start: t0.Add(time.Duration(i) * 250 * time.Millisecond),
			End: t0.Add(time.Duration(i+1) * 250 * time.Millisecond), Requests: 25, Failed: 5, Errors: 1})
	}
	from := t0.Add(240 * time.Millisecond)
	got := Measure(ticks, from, from.Add(1001*time.Millisecond))
	if got != (Figures{Requests: 100, Failed: 20, Errors: 4}) {
		t.Errorf("Measure = %+v, want 100 requests, 20 failed, 4 transport errors", got)
	}
	if a := got.Availability(); a != 0.8 {
		t.Errorf("availability %g, want 0.8", a)
	}
	if got := Measure(ticks, t0.Add(-time.Second), t0.Add(time.Hour)); got.Requests != 200 {
		t.Errorf("every tick: %d requests, want 200", got.Requests)
	}
	if got := Measure(ticks, from, from); got.Requests != 0 {
		t.Errorf("an empty span: %d requests, want 0", got.Requests)
	}
}

// TestRunnerDrivesAFleetUnderLoad fires steps at a real fleet taking real
// load and checks what each step reports.
func TestRunnerDrivesAFleetUnderLoad(t *testing.T) {
	ctx, f := startFleet(t, fleet.Replicas(2),
		fleet.ReplicaDefaults(fleet.StartupDelay(50*time.Millisecond), fleet.Drain(time.Second)),
		fleet.BalancerOptions(fleet.CheckInterval(50*time.Millisecond), fleet.TimeoutFailures(1000)),
		fleet.ReplaceDelay(100*time.Millisecond))
	steps := mustParse(t, "200ms:scale=3", "400ms:upgrade=v2", "1h:rollback")
	var mu sync.Mutex
	var updates []Result
	r := NewRunner(f, steps, OnUpdate(func(res Result) {
		mu.Lock()
		updates = append(updates, res)
		mu.Unlock()
	}))
	// The steps' clock starts with the load, as in scalelab demo: at the
	// first snapshot's start, so that a starved machine that starts the
	// engine late does not leave a short step without load to measure.
	started := make(chan time.Time, 1)
	eng, err := engine.New(engine.Target{URL: f.URL()}, engine.Rate(200), engine.Tick(100*time.Millisecond),
		engine.OnSnapshot(func(s *engine.Snapshot) {
			select {
			case started <- s.Start:
			default:
			}
			r.Observe(s)
		}))
	if err != nil {
		t.Fatal(err)
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		select {
		case start := <-started:
			r.Run(loadCtx, start)
		case <-loadCtx.Done():
		}
	}()
	go func() {
		// Stop the load once the upgrade completed.
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if st := f.State(); st.Version == "v2" && !st.Rollout.Active && st.Rollout.Ready == 3 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		stopLoad()
	}()
	if _, err := eng.Run(loadCtx); err != nil {
		t.Fatal(err)
	}
	<-runDone
	res := r.Results(time.Now())
	if len(res) != 3 {
		t.Fatalf("results %+v", res)
	}
	for _, i := range []int{0, 1} {
		s := res[i]
		if !s.Completed || s.Requests == 0 || s.Failed != 0 || s.Availability == nil || *s.Availability != 1 || s.DurationS <= 0 {
			t.Errorf("step %s: %+v, want completed without errors under load", s.Spec, s)
		}
	}
	if res[0].StartS < 0.2 || res[1].StartS < 0.4 || res[1].StartS > 5 {
		t.Errorf("steps started at %gs and %gs, want about 0.2 and 0.4", res[0].StartS, res[1].StartS)
	}
	if res[2].Completed || !strings.Contains(res[2].Error, "not reached") {
		t.Errorf("step due in an hour: %+v", res[2])
	}
	if st := f.State(); st.Desired != 3 || st.Version != "v2" {
		t.Errorf("fleet after the steps: %d replicas of %s", st.Desired, st.Version)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(updates) != 4 { // two starts, two ends
		t.Errorf("updates: %+v", updates)
	}
}

var _ cluster.Cluster = (*fleet.Fleet)(nil)

// TestRunnerMeasuresAFaultUntilItIsHealed runs errors=replica-1:100% on
// a fleet of 2 under load, healed 1 s later: the fault step is measured
// over its effect (about half the requests fail), not over its 0 s action,
// and the heal ends it.
func TestRunnerMeasuresAFaultUntilItIsHealed(t *testing.T) {
	ctx, f := startFleet(t, fleet.Replicas(2),
		fleet.ReplicaDefaults(fleet.StartupDelay(50*time.Millisecond), fleet.Drain(500*time.Millisecond)),
		fleet.BalancerOptions(fleet.CheckInterval(50*time.Millisecond)))
	steps := mustParse(t, "200ms:errors=replica-1:100%", "1200ms:heal", "1500ms:latency=replica-2:1ms")
	var mu sync.Mutex
	var updates []Result
	r := NewRunner(f, steps, OnUpdate(func(res Result) {
		mu.Lock()
		updates = append(updates, res)
		mu.Unlock()
	}))
	eng, err := engine.New(engine.Target{URL: f.URL()}, engine.Rate(200), engine.Tick(100*time.Millisecond),
		engine.Duration(2500*time.Millisecond), engine.OnSnapshot(r.Observe))
	if err != nil {
		t.Fatal(err)
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	runDone := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(runDone)
		r.Run(loadCtx, start)
	}()
	if _, err := eng.Run(loadCtx); err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	stopLoad()
	<-runDone
	res := r.Results(end)
	e, heal, lat := res[0], res[1], res[2]
	t.Logf("errors step %+v\nheal step %+v\nlatency step %+v", e, heal, lat)
	if !e.Completed || e.Until != "healed" || e.EffectS < 0.8 || e.EffectS > 1.6 || e.DurationS > 0.2 {
		t.Errorf("errors step: %+v, want completed at once, its effect about 1 s until healed", e)
	}
	if e.Requests < 100 || e.Availability == nil || *e.Availability < 0.3 || *e.Availability > 0.7 || e.Failed == 0 || e.Errors != 0 {
		t.Errorf("errors step measured %d requests, %d failed, %d transport errors, availability %v: want about half failed with an answer",
			e.Requests, e.Failed, e.Errors, e.Availability)
	}
	if !heal.Completed || heal.Failed > 2 {
		t.Errorf("heal step: %+v", heal)
	}
	if !lat.Completed || lat.Until != "the run ended" || lat.EffectS < 0.5 || lat.Requests == 0 {
		t.Errorf("latency step still in effect at the end: %+v, want it measured until the run ended", lat)
	}
	mu.Lock()
	defer mu.Unlock()
	ended := 0
	for _, u := range updates {
		if u.Spec == e.Spec && u.Until == "healed" {
			ended++
			if u.EffectS < 0.8 {
				t.Errorf("effect-ended update %+v", u)
			}
		}
	}
	if ended != 1 {
		t.Errorf("%d updates say the errors fault's effect ended, want 1: %+v", ended, updates)
	}
}
