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
	for i := range 10 { // ten 100 ms ticks, 50 requests each, 5 failing from 300 to 500 ms
		s := engine.NewSnapshot()
		s.Start, s.End = at(i*100), at(i*100+100)
		s.Requests = 50
		s.Status[200] = 50
		if i == 3 || i == 4 {
			s.Status[200], s.Status[502] = 45, 5
		}
		r.Observe(s)
	}
	r.runs = []*run{
		{step: Step{Spec: "0.3s:kill=1", Action: "kill", At: 300 * time.Millisecond}, started: true, start: at(310), end: at(450), done: true},
		{step: Step{Spec: "0.6s:scale=3", Action: "scale", At: 600 * time.Millisecond}, started: true, start: at(600), end: at(600), done: true,
			err: errors.New("scale to 3: superseded")},
		{step: Step{Spec: "0.9s:upgrade=v2", Action: "upgrade", Version: "v2", At: 900 * time.Millisecond}, started: true, start: at(905)},
		{step: Step{Spec: "5s:rollback", Action: "rollback", At: 5 * time.Second}},
	}
	res := r.Results(at(1000))
	want := []Result{
		{Spec: "0.3s:kill=1", Action: "kill", StartS: 0.31, DurationS: 0.14, Completed: true, Requests: 100, Errors: 10, Availability: 0.9},
		{Spec: "0.6s:scale=3", Action: "scale", StartS: 0.6, Requests: 50, Availability: 1, Error: "scale to 3: superseded"},
		{Spec: "0.9s:upgrade=v2", Action: "upgrade", StartS: 0.905, DurationS: 0.095, Requests: 50, Availability: 1,
			Error: "still running when the run ended (rolling out v2)"},
		{Spec: "5s:rollback", Action: "rollback", StartS: 5, Error: "not reached: the run ended before 5s"},
	}
	for i := range want {
		if res[i] != want[i] {
			t.Errorf("step %d:\n got %+v\nwant %+v", i, res[i], want[i])
		}
	}
}

// TestRunnerDrivesAFleetUnderLoad fires steps at a real fleet taking real
// load and checks what each step reports.
func TestRunnerDrivesAFleetUnderLoad(t *testing.T) {
	f, err := fleet.New(fleet.Replicas(2),
		fleet.ReplicaDefaults(fleet.StartupDelay(50*time.Millisecond), fleet.Drain(time.Second)),
		fleet.BalancerOptions(fleet.CheckInterval(50*time.Millisecond), fleet.TimeoutFailures(1000)),
		fleet.ReplaceDelay(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer f.Stop(context.Background())
	steps, err := ParseSteps([]string{"200ms:scale=3", "400ms:upgrade=v2", "1h:rollback"})
	if err != nil {
		t.Fatal(err)
	}
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
		if !s.Completed || s.Requests == 0 || s.Errors != 0 || s.Availability != 1 || s.DurationS <= 0 {
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
