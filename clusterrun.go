package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/report"
)

// clusterRun is a headless run with a cluster attached (the demo's fleet,
// a Kubernetes Deployment): the load and the scripted steps, the cluster's
// events and the steps' progress printed on stderr as they happen, a live
// line a second, the summary at the end.
type clusterRun struct {
	command string
	target  engine.Target
	model   string
	opts    []engine.Option
	cluster cluster.Cluster
	steps   []experiments.Step
	rec     *recorder
	// origin is what event times on stderr count from (unix nanoseconds):
	// the cluster's start until the load starts, then the load's start.
	origin *atomic.Int64
	// showSecrets prints the target URL as given, not redacted.
	showSecrets bool
}

// run runs the load and the steps until the load ends (its window, or
// ctx) and returns the summary.
func (r clusterRun) run(ctx context.Context, io streams) (report.WithSteps, error) {
	since := func() float64 { return float64(time.Now().UnixNano()-r.origin.Load()) / 1e9 }
	runner := experiments.NewRunner(r.cluster, r.steps, experiments.OnUpdate(func(res experiments.Result) {
		r.rec.step(res)
		report.StepLine(io.err, since(), res)
	}))
	perSecond := report.NewSecondly(report.NewLiveLine(io.err).Print)
	opts := append(r.opts, engine.Tick(demoTick), engine.OnSnapshot(func(s *engine.Snapshot) {
		r.rec.frame(s)
		runner.Observe(s)
		perSecond.Add(s)
	}))
	eng, err := engine.New(r.target, opts...)
	if err != nil {
		return report.WithSteps{}, usageError{err}
	}
	stepsCtx, stopSteps := context.WithCancel(ctx)
	stepsDone := make(chan struct{})
	start := time.Now()
	r.origin.Store(start.UnixNano())
	go func() {
		defer close(stepsDone)
		runner.Run(stepsCtx, start)
	}()
	res, err := eng.Run(ctx)
	end := time.Now()
	stopSteps()
	<-stepsDone
	if err != nil {
		return report.WithSteps{}, err
	}
	rep := report.WithSteps{Summary: report.New(r.command, shownURL(r.target.URL, r.showSecrets), r.model, res), Steps: stepsResults(runner, end)}
	r.rec.finish(rep)
	return rep, nil
}

// printStepsReport prints the summary with its steps: one JSON object on
// stdout, or the text summary and the steps table. When a step failed, it
// then returns a verdictError naming each failed step and why.
func printStepsReport(io streams, rep report.WithSteps, jsonOut bool) error {
	if jsonOut {
		if err := json.NewEncoder(io.out).Encode(rep); err != nil {
			return err
		}
	} else {
		rep.WriteText(io.out)
		report.WriteSteps(io.out, rep.Steps, false)
	}
	return stepsVerdict(rep.Steps)
}

// stepsVerdict is a verdictError naming each failed step and why, or nil
// when none failed (a step cut short by the run's end did not fail).
func stepsVerdict(steps []experiments.Result) error {
	var failed []string
	for _, s := range steps {
		if s.StepFailed() {
			failed = append(failed, fmt.Sprintf("step %q failed: %s", s.Spec, s.Error))
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return verdictError{errors.New(strings.Join(failed, "; "))}
}

// stepsResults is the runner's results at end for a summary (an empty
// array, not null, when there were no steps).
func stepsResults(runner *experiments.Runner, end time.Time) []experiments.Result {
	if res := runner.Results(end); res != nil {
		return res
	}
	return []experiments.Result{}
}

// runInteractiveSteps runs s in the terminal UI with the scripted steps
// on s.cluster (recorded in s.rec), then prints the summary with the
// steps.
func runInteractiveSteps(ctx context.Context, io streams, s session, steps []experiments.Step, jsonOut bool) error {
	runner := experiments.NewRunner(s.cluster, steps, experiments.OnUpdate(s.rec.step))
	s.observe, s.alongside = runner.Observe, runner.Run
	rep, err := runInteractive(ctx, io, s)
	if err != nil {
		return err
	}
	srep := report.WithSteps{Summary: rep, Steps: stepsResults(runner, time.Now())}
	s.rec.finish(srep)
	return printStepsReport(io, srep, jsonOut)
}

// startedIn sets origin, what event times on stderr count from, to now.
func startedIn(origin *atomic.Int64) { origin.Store(time.Now().UnixNano()) }
