package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"
	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/session"
	"github.com/scalelab/scalelab/ui"
	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/agents"
	"github.com/spf13/cobra"
)

// quitDrain bounds the wait for requests in flight after the operator
// stops a run (the UI's q, a signal): those still in flight then count as
// abandoned.
const quitDrain = 2 * time.Second

// quitGrace bounds a quit: the drain, then the session's grace for a load
// that does not return (its summary is then made of the ticks received).
const quitGrace = quitDrain + time.Second

// runSpec is what a command runs: everything its session's configuration
// needs beyond the load flags.
type runSpec struct {
	cmd *cobra.Command
	io  streams
	lf  *loadFlags
	// command names the command in the summary ("load", "run", "demo").
	command string
	// target is the load's target, or resolve gives it once the cluster
	// started (with engine options: a balance over its endpoints).
	target  engine.Target
	resolve func() (engine.Target, []engine.Option, error)
	opts    []engine.Option
	// newLoad (optional) is the load in place of the local engine: the
	// agents' (--agents-at); agents their part of the summary.
	newLoad   session.NewLoad
	agents    func() *report.AgentsResult
	agentRows func() []agents.Row
	// more are the command's own sinks, after the others.
	more  []session.Sink
	model string
	// cluster (optional) is started, watched and stopped by the session,
	// within stopTimeout; kind names it in the recording ("fleet",
	// "kubernetes"). steps run on it and on the load (a plan's load
	// actions need no cluster).
	cluster     session.Driver
	kind        string
	steps       []experiments.PlanStep
	stopTimeout time.Duration
	// opened (optional) prints what the session runs once it opened,
	// before the load.
	opened func(session.Info)
	// plan is the plan's name (--plan), shown in the summary and
	// recorded; "" without a plan. planDef is the plan, recorded as data.
	plan    string
	planDef *experiments.Plan
	// thresholds are a plan's; the run is judged on them and the
	// --threshold flags' (judged).
	thresholds []analysis.Threshold
	// steady is the plan's steady state (nil: none), rollbacks its
	// rollbacks.
	steady    *session.SteadyState
	rollbacks experiments.Rollbacks
	// search runs the plan's capacity search, nil without one.
	search *session.SearchSink
	// canaryUI is the UI's part in the canary judge (interactive only).
	canaryUI canaryUI
}

// judged are the thresholds the run is judged on, in order: the plan's,
// then the --threshold flags'.
func (r runSpec) judged() []analysis.Threshold {
	return append(append([]analysis.Threshold(nil), r.thresholds...), r.lf.ths...)
}

// shown is the target URL as printed: redacted unless --show-secrets.
func (r runSpec) shown(url string) string { return r.lf.shown(url) }

// sinks are the consumers every presenter has: the recording, the load
// model's track, the --out streams (closed by closeOuts), the
// --metrics-listen endpoint, and the line that says what runs.
func (r runSpec) sinks(sig *interrupt) (rec *recordSink, model *modelSink, sinks []session.Sink, closeOuts func(), err error) {
	outs, closeOuts, err := r.lf.out.open(r.io.out, r.lf.jsonOut)
	if err != nil {
		return nil, nil, nil, closeOuts, err
	}
	ths := r.judged()
	rec = &recordSink{flags: &r.lf.rec, cmd: r.cmd, errOut: r.io.err, opened: sig.record,
		info: func(i session.Info) recordInfo {
			return recordInfo{target: i.Target.URL, model: r.model, closed: i.Closed, window: i.Window, cluster: r.kind,
				load: r.lf.recordedLoad(), steps: stepSpecs(r.steps), start: i.Start, plan: r.plan,
				planDef: recordedPlan(r.planDef, r.steps), thresholds: session.RecordedThresholds(ths),
				canary: r.lf.canary.recordedCanary(r.steps, r.canaryUI), steady: session.RecordedSteadyState(r.steady),
				search: r.recordedSearch()}
		}}
	model = &modelSink{model: r.model}
	sinks = append([]session.Sink{rec, model}, r.more...)
	// The generator probes judge this process: not the load's when
	// agents send it (their probes are theirs).
	// With agents the sink follows their readings (agentsFlags.probe):
	// no figures of this process for --metrics-listen's generator series.
	gen := session.NewGenerator(probes.Thresholds{}, probes.Options{})
	genLast := gen.Last
	if r.newLoad != nil {
		genLast = nil
	}
	sinks = append(sinks, gen)
	if sc, err := r.lf.scrape.sink(); err != nil {
		return nil, nil, nil, closeOuts, err
	} else if sc != nil {
		sinks = append(sinks, sc)
	}
	var statuses func() []analysis.Status
	if len(ths) > 0 {
		// First: its events and its stop reach the others at once. Steps
		// are known by their plan name, or their spec (a --step flag's).
		judge, err := session.NewThresholds(ths, nil)
		if err != nil {
			return nil, nil, nil, closeOuts, usageError{err}
		}
		judge.WithGenerator(gen)
		sinks = append([]session.Sink{judge}, sinks...)
		statuses = judge.Statuses
	}
	genOpts, err := r.lf.canary.generatorOptions(gen)
	if err != nil {
		return nil, nil, nil, closeOuts, err
	}
	if cs, err := r.lf.canary.canarySink(r.steps, r.canaryUI, genOpts...); err != nil {
		return nil, nil, nil, closeOuts, err
	} else if cs != nil {
		// First: its events reach the others at once.
		sinks = append([]session.Sink{cs}, sinks...)
	}
	if r.search != nil {
		// First: it sets the rate at the tick that ends a step.
		sinks = append([]session.Sink{r.search}, sinks...)
	}
	if r.opened != nil {
		sinks = append(sinks, openedSink(r.opened))
	}
	// Last: it listens once nothing else can fail.
	if m, err := r.lf.metrics.sink(r.io.err, ths, statuses, genLast); err != nil {
		return nil, nil, nil, closeOuts, err
	} else if m != nil {
		outs = append(outs, m)
	}
	return rec, model, append(sinks, outs...), closeOuts, nil
}

// timedSteps are the steps that come at a time (at:), each at it, for the
// UI's countdown to the next: a triggered step's time is not known ahead.
func timedSteps(steps []experiments.PlanStep) []ui.TimedStep {
	var out []ui.TimedStep
	for _, s := range steps {
		if s.Trigger.Kind == experiments.TriggerAt {
			st := s.Step
			st.At = s.Trigger.At
			out = append(out, ui.TimedStep{Step: st, Name: s.Name})
		}
	}
	return out
}

// config is the session's configuration with sinks; its summary is the
// report the command prints (with the steps when a cluster is attached).
func (r runSpec) config(sinks []session.Sink, model *modelSink) session.Config {
	return session.Config{
		Command: r.command, Target: r.target, Resolve: r.resolve, Options: r.opts, NewLoad: r.newLoad, Window: r.lf.window(),
		Cluster: r.cluster, Steps: r.steps, Sinks: sinks, StopTimeout: r.stopTimeout, Drain: quitDrain,
		SteadyState: r.steady, Rollbacks: r.rollbacks,
		Summarize: func(res *session.Result) any {
			sum := report.New(r.command, r.shown(res.Target.URL), r.model, res.Load)
			model.track.Apply(&sum)
			var aborted *report.AbortResult
			if a := res.Aborted; a != nil {
				aborted = report.NewAbortResult(a.Threshold, a.Status, a.At)
			}
			sum.Judged(res.Verdict, res.Thresholds, aborted)
			sum.SteadyState, sum.Rollbacks = steadyResult(res.SteadyState), rollbackResults(res.Rollbacks)
			sum.Plan = r.plan
			sum.Canary = canaryResult(res.Canary)
			sum.Generator = generatorResult(res.Generator)
			sum.Scrape = scrapeResults(res.Scrape)
			if r.agents != nil {
				sum.Agents = r.agents()
			}
			sum.Search = searchResult(res.Search)
			if r.cluster == nil && len(r.steps) == 0 {
				return sum
			}
			return report.NewWithSteps(sum, res.Steps)
		},
	}
}

// headless runs r without the UI: a live line a second, the cluster's
// events and the steps on stderr, the summary at the end.
func (r runSpec) headless() error {
	r.io.settled()
	sig := newInterrupt(r.cmd.Context(), r.io.err)
	defer sig.stop()
	_, model, sinks, closeOuts, err := r.sinks(sig)
	defer closeOuts()
	if err != nil {
		return err
	}
	sinks = append(sinks, newLiveSink(r.io.err))
	if r.cluster != nil || len(r.steps) > 0 {
		sinks = append(sinks, newEventsSink(r.io.err))
	}
	s, err := session.New(r.config(sinks, model))
	if err != nil {
		return err
	}
	res, err := s.Run(sig.ctx)
	if err != nil {
		return sessionError(err)
	}
	if res.Partial != "" {
		fmt.Fprintf(r.io.err, "scalelab %s: %s\n", r.command, res.Partial)
	}
	return printSummary(r.io, res.Summary, r.lf.jsonOut, r.lf.junit)
}

// interactive runs r under the terminal UI: it opens once the session
// opened (the cluster started, the recording open), the keys drive the
// load and the cluster, and q quits with the summary on the normal screen.
func (r runSpec) interactive() error {
	out, err := terminal(r.io)
	if err != nil {
		return err
	}
	r.io.settled()
	sig := newInterrupt(r.cmd.Context(), r.io.err)
	defer sig.stop()
	asker := ui.NewCanaryAsker()
	r.canaryUI = canaryUI{canary: true, opts: []session.CanaryOption{session.CanaryConfirm(asker.Ask)}}
	rec, model, sinks, closeOuts, err := r.sinks(sig)
	defer closeOuts()
	if err != nil {
		return err
	}
	view := ui.NewSink()
	cfg := r.config(append(sinks, view), model)
	cfg.Hold = true // the UI shows the run's end until the operator quits
	s, err := session.New(cfg)
	if err != nil {
		return err
	}
	uiCtx, stopUI := context.WithCancel(sig.ctx)
	defer stopUI()
	type ran struct {
		res *session.Result
		err error
	}
	results := make(chan ran, 1)
	go func() {
		res, err := s.Run(uiCtx)
		results <- ran{res, err}
	}()
	info, ok := <-view.Opened()
	if !ok { // the session ended before the load: a cluster that did not start
		r := <-results
		return sessionError(r.err)
	}
	ucfg := ui.Config{
		Target: r.shown(info.Target.URL), Model: r.model, Load: info.Engine, Feed: view.Feed, Window: info.Window,
		Context: uiCtx, Renderer: lipgloss.NewRenderer(out), Recording: rec.rec.path(),
		OnEntry: func(e common.Entry) {
			s.Emit(session.Event{Time: e.Time, Source: session.FromOperator, Kind: e.Kind, Message: e.Text, Title: e.Label})
		},
	}
	if info.Cluster != nil {
		ucfg.Cluster, ucfg.Events = info.Cluster, view.Events()
	}
	if r.agentRows != nil {
		ucfg.Agents = r.agentRows
	}
	// The UI shows the judge's live statuses and the steps to come.
	ucfg.Thresholds, ucfg.Steps = r.judged(), timedSteps(r.steps)
	for _, sink := range sinks {
		if j, ok := sink.(*session.ThresholdSink); ok {
			ucfg.Statuses = j.Statuses
		}
		if c, ok := sink.(*session.CanarySink); ok {
			ucfg.Canary, ucfg.Asks = c, asker.Asks() // the panel, the c key and the operator's yes or no
		}
		if g, ok := sink.(*session.GeneratorSink); ok {
			ucfg.Generator = g.Last // the generator panel says the probes' judgement
		}
		if sc, ok := sink.(*session.ScrapeSink); ok {
			ucfg.Scrape = sc.Endpoints // the scrapes' lines under the charts
		}
	}
	giveBack := savedTerminal(out)
	defer restoreOnPanic(giveBack)()
	// sig handles the signals, bubbletea does not: a stop signal cancels
	// the context, which ends the UI, and one after the UI quit quits at
	// once.
	popts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithOutput(out), tea.WithContext(sig.ctx), tea.WithoutSignalHandler()}
	if !term.IsTerminal(os.Stdin.Fd()) {
		popts = append(popts, tea.WithInputTTY())
	}
	prog := tea.NewProgram(ui.New(ucfg), popts...)
	rec.rec.warnVia(func(text string) { prog.Send(ui.WarningMsg{Text: text}) })
	sig.holdTerminal(giveBack)
	_, uiErr := prog.Run()
	sig.holdTerminal(nil)
	rec.rec.warnVia(nil)
	stopUI()
	res := <-results
	if res.err != nil {
		return sessionError(res.err)
	}
	if uiErr != nil && !errors.Is(uiErr, tea.ErrInterrupted) && !errors.Is(uiErr, tea.ErrProgramKilled) && !hungUp(uiErr) {
		return fmt.Errorf("%s: terminal UI: %w", r.command, uiErr)
	}
	if res.res.Partial != "" {
		fmt.Fprintf(r.io.err, "scalelab %s: %s\n", r.command, res.res.Partial)
	}
	return printSummary(r.io, res.res.Summary, r.lf.jsonOut, r.lf.junit)
}

// sessionError maps a session's error to the command's: a load the
// engine refused is bad input.
func sessionError(err error) error {
	var le *session.LoadError
	if errors.As(err, &le) {
		return usageError{le.Err}
	}
	return err
}

// printSummary prints the summary as one JSON object on stdout, or as
// text (with the steps table when there are steps, then the thresholds
// and the verdict), under the plan's name when there is one, and writes
// the JUnit file when junit names one; when the verdict is not a pass it
// then returns a verdictError naming each failed threshold and step
// (aborted: the threshold that stopped it).
func printSummary(io streams, summary any, jsonOut bool, junit string) error {
	if jsonOut {
		if err := json.NewEncoder(io.out).Encode(summary); err != nil {
			return err
		}
	}
	sum, steps, ok := report.Base(summary)
	if !ok {
		return nil
	}
	if !jsonOut {
		if sum.Plan != "" {
			fmt.Fprintf(io.out, "plan: %s\n", sum.Plan)
		}
		sum.WriteText(io.out)
		if _, withSteps := summary.(report.WithSteps); withSteps {
			report.WriteSteps(io.out, steps, false)
		}
		sum.WriteVerdict(io.out, steps)
	}
	if junit != "" {
		if err := writeJUnit(junit, sum, steps); err != nil {
			return err
		}
	}
	switch sum.Verdict {
	case analysis.VerdictSteadyStateNotMet:
		return verdictError{err: errors.New(sum.VerdictLine(steps))}
	case analysis.VerdictAborted:
		return verdictError{err: errors.New(sum.VerdictLine(steps)), aborted: true}
	case analysis.VerdictFail:
		failed := report.FailedSteps(steps)
		if len(sum.Thresholds) == 0 && len(failed) > 0 {
			return verdictError{err: errors.New(strings.Join(failed, "; "))}
		}
		return verdictError{err: errors.New(sum.VerdictLine(steps))}
	}
	return nil
}

// writeJUnit writes the verdict as JUnit XML to the file named path.
func writeJUnit(path string, sum report.Summary, steps []experiments.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--junit: %w", err)
	}
	err = report.WriteJUnit(f, sum, steps)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("--junit %s: %w", path, cerr)
	}
	return err
}

// stepSpecs are the steps' specs in their order: [] without steps.
func stepSpecs(steps []experiments.PlanStep) []string {
	specs := make([]string, 0, len(steps))
	for _, s := range steps {
		specs = append(specs, s.Step.Spec)
	}
	return specs
}

// steadyResult is the steady state's judgement as the summary keeps it
// (nil without one).
func steadyResult(ss *session.SteadyStateResult) *report.SteadyStateResult {
	if ss == nil {
		return nil
	}
	one := func(h *session.Hypothesis) *report.HypothesisResult {
		if h == nil {
			return nil
		}
		return report.NewHypothesisResult(h.OK, h.Statuses, h.From, h.To, h.Note)
	}
	return &report.SteadyStateResult{Before: one(ss.Before), After: one(ss.After)}
}

// rollbackResults are the rollbacks run as the summary keeps them.
func rollbackResults(rbs []session.RollbackResult) []report.RollbackResult {
	var out []report.RollbackResult
	for _, r := range rbs {
		out = append(out, report.RollbackResult{Action: r.Action, OK: r.OK, Error: r.Error, DurationS: r.DurationS})
	}
	return out
}
