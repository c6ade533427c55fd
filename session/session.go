package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/probes/scrape"
)

// Session is one run of the load, with its cluster, steps and sinks.
type Session struct {
	cfg     Config
	fan     *fanout
	stopped sync.Once

	// mu guards cancelLoad and stopReason: a sink's Control.Stop, a
	// plan's stop step.
	mu         sync.Mutex
	cancelLoad context.CancelFunc
	stopReason string
	stopAsked  bool

	// steady judges the steady state (nil without one). With a baseline,
	// the steps wait for it: releaseSteps starts them (startSteps), unless
	// the load already ended (stepsOver).
	steady     *steadySink
	startSteps func()
	stepsOver  bool
}

// Result is what a session measured.
type Result struct {
	// Command and Target are the session's.
	Command string
	Target  engine.Target
	// Load is the load's result: every tick merged and the sending
	// window.
	Load *engine.Result
	// Steps are the scripted steps' results at the load's end (none
	// without steps).
	Steps []experiments.Result
	// Start and End bound the load, End being when it returned.
	Start, End time.Time
	// Summary is Config.Summarize's summary of the result (nil without
	// one).
	Summary any
	// Partial is set when the load did not return within its drain after
	// the stop: Load is then the ticks received until then, and Partial
	// says what that misses.
	Partial string
	// Stopped says what stopped the load before its window ended (a
	// sink's Control.Stop, a plan's stop step), empty when nothing did but
	// the operator or the window.
	Stopped string
	// Thresholds are the thresholds' final statuses (ThresholdSink), in
	// their order; none without thresholds.
	Thresholds []analysis.Status
	// Aborted says which abortOnFail threshold stopped the run, nil when
	// none did.
	Aborted *Abort
	// SteadyState is the steady state's judgement (Config.SteadyState),
	// nil without one.
	SteadyState *SteadyStateResult
	// Rollbacks are the rollback actions run (Config.Rollbacks), in order;
	// none when their strategy did not run them.
	Rollbacks []RollbackResult
	// Canary is the canary's analysis (CanarySink), nil without a canary
	// step judged.
	Canary *CanaryResult
	// Generator is the run's judgement on its own generator
	// (GeneratorSink), nil without the probes.
	Generator *GeneratorResult
	// Search is the capacity search's result (SearchSink), nil without
	// one.
	Search *SearchResult
	// Scrape is what the scrapes of the targets' Prometheus endpoints
	// found (ScrapeSink), each endpoint's; none without them.
	Scrape []scrape.Endpoint
	// Verdict is the run's: aborted, steady-state-not-met (the baseline
	// did not hold: no step ran), fail (a threshold not OK, a step failed,
	// the steady state not met after the method, or a canary not
	// promoted: CanaryResult.Passed), or pass; empty when
	// the run had no threshold, no step and no steady state.
	Verdict analysis.Verdict
}

// LoadError is a load the engine refused (its target or options): bad
// input, found before any load.
type LoadError struct{ Err error }

func (e *LoadError) Error() string { return e.Err.Error() }
func (e *LoadError) Unwrap() error { return e.Err }

// New checks cfg and returns its session.
func New(cfg Config) (*Session, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg}
	sinks := cfg.Sinks
	if cfg.SteadyState != nil {
		// First: its stop and its release of the steps come at once.
		s.steady = newSteadySink(s, *cfg.SteadyState)
		sinks = append([]Sink{s.steady}, sinks...)
	}
	s.fan = newFanout(sinks)
	return s, nil
}

// releaseSteps lets the steps run once the baseline held, unless the
// load ended meanwhile.
func (s *Session) releaseSteps() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stepsOver || s.startSteps == nil {
		return
	}
	s.startSteps()
	s.startSteps = nil
}

// stamped is e with its zero Time made now.
func stamped(e Event) Event {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	return e
}

// stopLoad cancels the load's context for reason, once (Control.Stop);
// before the load starts, it is cancelled as it starts.
func (s *Session) stopLoad(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopAsked {
		return
	}
	s.stopAsked, s.stopReason = true, reason
	if s.cancelLoad != nil {
		s.cancelLoad()
	}
}

// Emit hands an event (an operator's action, a note) to every sink, in
// order with the ticks; an event's zero Time is now.
func (s *Session) Emit(e Event) {
	s.fan.event(stamped(e))
}

// Run runs the session until the load ends, its window or ctx (the
// operator stopped it), and returns its result. A sink's error on Open
// ends it before any load; the cluster is stopped and every sink closed
// whatever happens.
func (s *Session) Run(ctx context.Context) (res *Result, err error) {
	c := s.cfg.Cluster
	var watched sync.WaitGroup
	subCtx, unsubscribe := context.WithCancel(context.Background())
	defer func() {
		unsubscribe()
		watched.Wait()
		if res == nil {
			s.fan.close(nil)
		}
	}()
	if c != nil {
		events := c.Subscribe(subCtx) // before Start: the sinks see its first events
		watched.Go(func() { s.forward(events) })
		defer s.stopCluster()
		startCtx, cancel := context.WithTimeout(ctx, StartTimeout)
		err := c.Start(startCtx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%s: start the cluster: %w", s.cfg.Command, err)
		}
	}
	target, extra := s.cfg.Target, []engine.Option(nil)
	if s.cfg.Resolve != nil {
		if target, extra, err = s.cfg.Resolve(); err != nil {
			return nil, err
		}
	}
	var runner *experiments.Runner
	load := &planLoad{s: s}
	if c != nil || len(s.cfg.Steps) > 0 {
		var cl cluster.Cluster
		if c != nil {
			cl = c
		}
		runner, err = experiments.NewPlanRunner(cl, s.cfg.Steps, experiments.OnUpdate(s.stepEvent),
			experiments.WithLoad(load), experiments.Conditions(parseCondition))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.cfg.Command, err)
		}
	}
	onSnapshot := func(snap *engine.Snapshot) {
		if runner != nil {
			runner.Observe(snap)
		}
		s.fan.tick(snap)
	}
	var eng Load
	if s.cfg.NewLoad != nil {
		eng, err = s.cfg.NewLoad(target, onSnapshot)
	} else {
		opts := append(append(append([]engine.Option(nil), s.cfg.Options...), extra...),
			engine.Tick(Interval), engine.OnSnapshot(onSnapshot))
		if s.cfg.Drain > 0 {
			opts = append(opts, engine.Drain(s.cfg.Drain))
		}
		eng, err = engine.New(target, opts...)
	}
	if err != nil {
		return nil, &LoadError{Err: err}
	}
	s.fan.remote = isRemote(eng)
	load.eng = eng
	info := Info{Command: s.cfg.Command, Target: target, Closed: eng.Closed(), Window: s.cfg.Window, Interval: Interval, Engine: eng,
		Start: time.Now(), Control: Control{fan: s.fan, stop: s.stopLoad}}
	if c != nil {
		info.Cluster = c
	}
	for _, sink := range s.cfg.Sinks {
		if err := sink.Open(info); err != nil {
			return nil, err // the deferred close closes every sink without a result
		}
	}
	s.fan.opened(info.Cluster)
	return s.load(ctx, eng, target, runner), nil
}

// load runs eng and the steps, holds the session open when asked to,
// and closes the sinks with the result.
func (s *Session) load(ctx context.Context, eng Load, target engine.Target, runner *experiments.Runner) *Result {
	stepsCtx, stopSteps := context.WithCancel(ctx)
	var steps sync.WaitGroup
	type ran struct {
		res *engine.Result
		err error
	}
	// loadCtx ends the load: the operator's stop (ctx), a sink's
	// (Control.Stop) or a step's (stopLoad).
	loadCtx, cancelLoad := context.WithCancel(ctx)
	defer cancelLoad()
	s.mu.Lock()
	s.cancelLoad = cancelLoad
	if s.stopAsked {
		cancelLoad()
	}
	s.mu.Unlock()
	done := make(chan ran, 1)
	start := time.Now()
	go func() {
		r, err := eng.Run(loadCtx)
		done <- ran{r, err}
	}()
	if d, ok := eng.(Deferred); ok {
		// The steps count from the load's start, once it is set.
		select {
		case <-d.Armed():
			start = d.Start()
		case r := <-done:
			done <- r // it never started: the select below has it
		case <-loadCtx.Done():
		}
	}
	if runner != nil {
		run := func() { steps.Go(func() { runner.Run(stepsCtx, start) }) }
		if s.steady != nil && s.steady.base != nil {
			s.mu.Lock()
			s.startSteps = run // at the baseline's end, if it held
			s.mu.Unlock()
		} else {
			run()
		}
	}
	res := &Result{Command: s.cfg.Command, Target: target, Start: start}
	select {
	case r := <-done:
		res.Load, res.End = r.res, time.Now()
		if r.err != nil {
			res.Partial = fmt.Sprintf("%s: load: %v", s.cfg.Command, r.err)
		}
	case <-loadCtx.Done():
		if s.cfg.Hold && s.cfg.Cluster != nil && ctx.Err() != nil && len(s.cfg.Rollbacks.Actions) == 0 {
			// The operator quit: the cluster stops while the load drains,
			// so that quitting takes about the drain.
			go s.stopCluster()
		}
		drain := s.cfg.Drain
		if drain <= 0 {
			drain = engine.DefaultDrain
		}
		select {
		case r := <-done:
			res.Load, res.End = r.res, time.Now()
			if r.err != nil {
				res.Partial = fmt.Sprintf("%s: load: %v", s.cfg.Command, r.err)
			}
		case <-time.After(drain + endGrace):
			res.End = time.Now()
			total := s.fan.merged()
			res.Partial = fmt.Sprintf("%s: the load did not end within %s of the stop: the summary misses the %d requests in flight at its last tick",
				s.cfg.Command, drain+endGrace, total.InFlight)
		}
	}
	if res.Load == nil {
		total := s.fan.merged()
		window := res.End.Sub(total.Start)
		if total.Start.IsZero() || window < 0 || window > total.Elapsed() {
			window = total.Elapsed()
		}
		if s.cfg.Window > 0 {
			window = min(window, s.cfg.Window)
		}
		res.Load = &engine.Result{Total: total, Window: window}
	}
	s.fan.event(Event{Time: res.End, Source: FromSession, Kind: LoadEnded, Message: "the load ended"})
	s.mu.Lock()
	s.stepsOver = true
	held := s.startSteps != nil // the baseline never let them run
	s.mu.Unlock()
	stopSteps()
	steps.Wait()
	if runner != nil {
		res.Steps = runner.Results(res.End)
		if held {
			notRun(res.Steps)
		}
	}
	s.mu.Lock()
	res.Stopped = s.stopReason
	s.mu.Unlock()
	s.fan.finish(res)
	res.Verdict = VerdictOf(res)
	s.rollback(res)
	if s.cfg.Hold {
		<-ctx.Done()
	}
	if s.cfg.Summarize != nil {
		res.Summary = s.cfg.Summarize(res)
	}
	if errs := s.fan.close(res); len(errs) > 0 {
		res.Partial = joinNotes(res.Partial, errors.Join(errs...).Error())
	}
	return res
}

// forward hands the cluster's events to the sinks until the
// subscription ends.
func (s *Session) forward(events <-chan cluster.Event) {
	for e := range events {
		s.fan.event(Event{Time: e.Time, Source: FromCluster, Kind: string(e.Kind), Message: e.Message, Cluster: &e})
	}
}

// stopCluster stops the cluster, bounded by StopTimeout, once; a second
// call waits for the first.
func (s *Session) stopCluster() {
	s.stopped.Do(func() {
		bound := s.cfg.StopTimeout
		if bound <= 0 {
			bound = StopTimeout
		}
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		defer cancel()
		_ = s.cfg.Cluster.Stop(ctx)
	})
}

// stepEvent is a step's update as an event.
func (s *Session) stepEvent(r experiments.Result) {
	kind, msg := StepState(r)
	s.fan.event(Event{Time: time.Now(), Source: FromStep, Kind: kind, Message: msg, Step: &r})
}

// StepState names a step result's state as its event's kind (an
// experiments.State* constant) with the event's text.
func StepState(r experiments.Result) (kind, message string) {
	kind, text := r.State()
	return kind, "step " + r.Label() + text
}

// VerdictOf is the run's verdict from its thresholds' final statuses, its
// steps, its steady state and its canary: empty when it had none of them.
// The steady state not met before the method is its own verdict (unless
// an abort came first); not met after it fails the run, as a canary not
// promoted does. The session sets
// Result.Verdict with it after the Finishers ran; a Finisher that shows
// the verdict (the UI) calls it on the result it is given.
func VerdictOf(res *Result) analysis.Verdict {
	ss := res.SteadyState
	if len(res.Thresholds) == 0 && len(res.Steps) == 0 && ss == nil && res.Canary == nil {
		return ""
	}
	failed := 0
	for _, st := range res.Steps {
		if st.StepFailed() {
			failed++
		}
	}
	v := analysis.VerdictOf(res.Thresholds, failed)
	if v == analysis.VerdictPass && res.Canary != nil && !res.Canary.Passed() {
		v = analysis.VerdictFail
	}
	if ss == nil || v == analysis.VerdictAborted {
		return v
	}
	if ss.Before != nil && !ss.Before.OK {
		return analysis.VerdictSteadyStateNotMet
	}
	if ss.After != nil && !ss.After.OK {
		return analysis.VerdictFail
	}
	return v
}

// NotRunSteadyState is the Error of a step that did not run because the
// steady state did not hold before the method.
const NotRunSteadyState = "not run: the steady state was not met before the method"

// notRun marks the steps that never started as not run for the steady
// state.
func notRun(steps []experiments.Result) {
	for i := range steps {
		if steps[i].From.IsZero() {
			steps[i].Error, steps[i].Cut = NotRunSteadyState, true
		}
	}
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
