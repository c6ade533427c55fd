package experiments

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
)

// Result is what one step did and what the load measured while it ran.
type Result struct {
	// Name is the plan step's name, empty for a step without one (a
	// --step flag's): tables and events name a step by Label.
	Name string `json:"name,omitempty"`
	// Spec is the step as written, Action what it does.
	Spec   string `json:"spec"`
	Action string `json:"action"`
	// StartS is when it started, in seconds from the start of the load
	// (its scheduled time when it never started).
	StartS float64 `json:"start_s"`
	// DurationS is how long its action ran: until it completed, failed, or
	// the run ended.
	DurationS float64 `json:"duration_s"`
	// Completed is true when the action completed.
	Completed bool `json:"completed"`
	// Cut is true when the step did not complete through no fault of its
	// own: the run ended (its window, or a stop) before it was reached or
	// while its action ran, or a later action superseded it. A step that
	// neither completed nor was cut failed (StepFailed). A plan's step that
	// never ran is cut too: an after: step whose step did not complete
	// (Error "its step NAME did not complete"), a when: step whose
	// condition never held (Error NotTriggered).
	Cut bool `json:"cut,omitempty"`
	// EffectS is, for a fault whose effect lasts after its action (hang,
	// latency, errors, bad-version), how long the effect lasted from the
	// step's start; Until says what ended it: "healed", "replaced by a later
	// fault", "replica gone", "rolled back", "upgraded", "the run ended".
	// Both are empty while the effect lasts.
	EffectS float64 `json:"effect_s,omitempty"`
	Until   string  `json:"until,omitempty"`
	// Requests counts the requests that ended in the measured span (From
	// to To, each engine tick counted by the share of it inside the span);
	// Failed those of them that failed (a transport error or a 5xx
	// answer), Errors the transport errors (no HTTP answer) among them.
	Requests uint64 `json:"requests"`
	Failed   uint64 `json:"failed"`
	Errors   uint64 `json:"errors"`
	// Availability is (Requests-Failed)/Requests; nil (null in JSON)
	// without requests: a step no request ended in (a heal, an instant
	// action) has no availability, which 0 would show as an outage.
	Availability *float64 `json:"availability"`
	// Error says why it did not complete, if so.
	Error string `json:"error,omitempty"`
	// From and To bound the measured span: from the step's start to the end
	// of its action or, for a lasting fault, of its effect, whichever is
	// later (zero for a step never started).
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
}

// NotTriggered is the Error of a when: step whose condition never held
// in the run: it neither failed nor completed, and is reported Cut.
const NotTriggered = "not triggered: its condition never held"

// Label names the step in tables and events: its name, or its spec.
func (r Result) Label() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Spec
}

// Measured is r with its figures measured from ticks over its span.
func (r Result) Measured(ticks []Tick) Result {
	if r.From.IsZero() {
		return r
	}
	f := Measure(ticks, r.From, r.To)
	r.Requests, r.Failed, r.Errors, r.Availability = f.Requests, f.Failed, f.Errors, nil
	if f.Requests > 0 {
		a := f.Availability()
		r.Availability = &a
	}
	return r
}

// StepFailed reports a step whose action failed: it ended without
// completing, and not because the run ended or a later action superseded
// it. A failed step fails the run's verdict.
func (r Result) StepFailed() bool { return !r.Completed && r.Error != "" && !r.Cut }

// Running reports a step reported started and not yet ended.
func (r Result) Running() bool { return !r.From.IsZero() && !r.Completed && r.Error == "" }

// Lasting reports a step whose fault's effect lasts after its action
// completed and has not ended yet.
func (r Result) Lasting() bool { return r.Completed && lasts(r.Action) && r.Until == "" }

// CutAt is r, as last reported while its run went on, closed at end (a
// recording's end): an action still running ran until end, a fault's
// effect still lasting lasted until end.
func (r Result) CutAt(end time.Time, why string) Result {
	switch {
	case r.From.IsZero() || end.Before(r.From):
	case r.Running():
		r.Error, r.Cut = why+" while it ran", true
		r.DurationS = round3(end.Sub(r.From).Seconds())
		if lasts(r.Action) {
			r.EffectS, r.Until = r.DurationS, why
		}
		r.To = end
	case r.Lasting():
		r.EffectS, r.Until = round3(end.Sub(r.From).Seconds()), why
		r.To = later(r.To, end)
	}
	return r
}

// lasts reports the faults whose effect outlasts their action: the
// replicas stay faulty until healed, replaced, gone, or rolled back.
func lasts(action string) bool {
	switch cluster.FaultKind(action) {
	case cluster.FaultHang, cluster.FaultLatency, cluster.FaultErrors, cluster.FaultBadVersion:
		return true
	}
	return false
}

// target is a replica a fault hit, and when.
type target struct {
	name  string
	since time.Time
}

// run is a step's progress.
type run struct {
	step Step
	// name, trig, note and rate are the plan step's (a --step flag's is
	// an unnamed at: step).
	name string
	trig Trigger
	note string
	rate float64
	// cond watches a when: step's condition; fired is set, at firedAt,
	// the first time it held.
	cond    Condition
	fired   bool
	firedAt time.Time
	// skip says why the step will never run (its after: step did not
	// complete).
	skip       string
	started    bool
	start, end time.Time
	done       bool
	err        error
	cut        bool // err came from the run's end or a later action
	// tracked is set once a lasting fault's action completed: its effect
	// is followed on targets (or, for a bad version, on the rollouts) until
	// an event ends it at effectEnd, for the reason until.
	tracked   bool
	targets   []target
	over      bool
	effectEnd time.Time
	until     string
}

// label names the step in messages: its name, or its spec.
func (ru *run) label() string {
	if ru.name != "" {
		return ru.name
	}
	return ru.step.Spec
}

// Condition is a when: step's condition as the runner watches it
// (analysis.Trigger is one): Observe takes each tick with the offset of
// its end from the load's start, Holds says whether the condition holds
// at such an offset. The runner calls it from one goroutine at a time.
type Condition interface {
	Observe(at time.Duration, s *engine.Snapshot)
	Holds(now time.Duration) bool
}

// stepWatcher is a condition told when the named steps run (one filtered
// by step); analysis.Trigger is one.
type stepWatcher interface {
	StepStarted(name string, at time.Duration)
	StepEnded(name string, at time.Duration)
}

// LoadControl is what a plan's load actions act on (note, set-rate, pause-load,
// resume-load, stop); the session implements it over its engine. Its
// methods return at once.
type LoadControl interface {
	// SetRate sets the open loop's rate from now on.
	SetRate(r float64) error
	// Pause stops sending until Resume; Resume sends again as before.
	Pause() error
	Resume() error
	// Stop ends the load, as the operator's stop does.
	Stop()
	// Note marks the run with text.
	Note(text string)
}

// Runner fires steps at their triggers against a cluster and the load, and
// measures each from the engine snapshots given to Observe.
type Runner struct {
	c        cluster.Cluster
	load     LoadControl
	parse    func(string) (Condition, error)
	onUpdate func(Result)

	mu     sync.Mutex
	runs   []*run
	byName map[string]*run
	ticks  []Tick
	events []cluster.Event
	t0     time.Time
	// wake tells Run that a step may have become due: a step ended, a
	// condition held.
	wake chan struct{}
}

// RunnerOption configures a Runner.
type RunnerOption func(*Runner)

// OnUpdate sets a function called when a step starts, when it ends, and
// when a lasting fault's effect ends, from the runner's goroutines.
func OnUpdate(f func(Result)) RunnerOption { return func(r *Runner) { r.onUpdate = f } }

// WithLoad gives the runner the load its load actions act on; without
// it they fail.
func WithLoad(l LoadControl) RunnerOption { return func(r *Runner) { r.load = l } }

// Conditions gives the runner the parser of when: conditions
// (analysis.ParseCondition and analysis.NewTrigger); NewPlanRunner needs it
// for a plan with when: steps.
func Conditions(parse func(expr string) (Condition, error)) RunnerOption {
	return func(r *Runner) { r.parse = parse }
}

// NewRunner returns a runner of timed steps (--step flags) against c.
func NewRunner(c cluster.Cluster, steps []Step, opts ...RunnerOption) *Runner {
	r, _ := NewPlanRunner(c, AtSteps(steps), opts...) // no when: step, no error
	return r
}

// AtSteps are timed steps (--step flags, ParseSteps) as a plan's unnamed
// at: steps.
func AtSteps(steps []Step) []PlanStep {
	ps := make([]PlanStep, len(steps))
	for i, s := range steps {
		ps[i] = PlanStep{Step: s, Trigger: Trigger{Kind: TriggerAt, At: s.At}}
	}
	return ps
}

// NewPlanRunner returns a runner of a plan's steps: cluster actions on c
// (nil: none; a cluster action then fails), load actions on the LoadControl given
// (WithLoad), each fired by its trigger: at: from the load's start, after:
// a delay after the named step completed, when: the first time its
// condition holds (parsed with the Conditions option). An error is a when:
// condition that does not parse, or no parser for one.
func NewPlanRunner(c cluster.Cluster, steps []PlanStep, opts ...RunnerOption) (*Runner, error) {
	r := &Runner{c: c, byName: map[string]*run{}, wake: make(chan struct{}, 1)}
	for _, o := range opts {
		o(r)
	}
	var errs []error
	for _, s := range steps {
		ru := &run{step: s.Step, name: s.Name, trig: s.Trigger, note: s.Note, rate: s.Rate}
		if s.Trigger.Kind == TriggerWhen {
			if r.parse == nil {
				errs = append(errs, fmt.Errorf("step %s: when %q: no condition parser", ru.label(), s.Trigger.When))
			} else if cond, err := r.parse(s.Trigger.When); err != nil {
				errs = append(errs, fmt.Errorf("step %s: when: %w", ru.label(), err))
			} else {
				ru.cond = cond
			}
		}
		if s.Name != "" {
			r.byName[s.Name] = ru
		}
		r.runs = append(r.runs, ru)
	}
	return r, errors.Join(errs...)
}

// Observe records an engine snapshot and feeds the when: conditions not
// yet met with it (at its end's offset from the load's start); give it
// every snapshot (engine.OnSnapshot). It is safe from any goroutine.
func (r *Runner) Observe(s *engine.Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ticks = append(r.ticks, TickOf(s))
	if r.t0.IsZero() {
		return // before Run: no offset to judge at
	}
	at, held := s.End.Sub(r.t0), false
	for _, ru := range r.runs {
		if ru.cond == nil || ru.fired {
			continue
		}
		ru.cond.Observe(at, s)
		if ru.cond.Holds(at) {
			ru.fired, ru.firedAt, held = true, time.Now(), true
		}
	}
	if held {
		r.poke()
	}
}

// poke wakes Run to look for steps due.
func (r *Runner) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run fires each step at its trigger, each in its own goroutine, and
// follows the cluster's events to tell when a lasting fault's effect
// ends. It returns when ctx ends: steps still running are then cut short
// (their actions see ctx end) and those not yet due never start.
func (r *Runner) Run(ctx context.Context, start time.Time) {
	r.mu.Lock()
	r.t0 = start
	r.mu.Unlock()
	var wg sync.WaitGroup
	defer wg.Wait()
	if r.c != nil {
		events := r.c.Subscribe(ctx)
		wg.Go(func() {
			for e := range events {
				r.mu.Lock()
				r.events = append(r.events, e)
				r.mu.Unlock()
				r.settle()
			}
		})
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		due, next := r.due(time.Now())
		for _, ru := range due {
			if ctx.Err() != nil {
				return
			}
			r.fire(ctx, &wg, ru)
		}
		var tc <-chan time.Time
		timer.Stop()
		if !next.IsZero() {
			timer.Reset(time.Until(next))
			tc = timer.C
		}
		if len(due) > 0 {
			continue // an instant step may have made another due
		}
		select {
		case <-ctx.Done():
			return
		case <-tc:
		case <-r.wake:
		}
	}
}

// due returns the steps due at now in the order of their due times, and
// the next due time after now (zero when none is known yet). It marks the
// after: steps whose step did not complete as skipped, and reports them.
func (r *Runner) due(now time.Time) (due []*run, next time.Time) {
	type dueRun struct {
		ru *run
		at time.Time
	}
	var ds []dueRun
	var skipped []*run
	r.mu.Lock()
	for changed := true; changed; { // a skip may skip the steps after it
		changed, ds, next = false, ds[:0], time.Time{}
		for _, ru := range r.runs {
			if ru.started || ru.skip != "" {
				continue
			}
			at, ok := r.dueAt(ru)
			switch {
			case ru.skip != "":
				skipped, changed = append(skipped, ru), true
			case !ok:
			case at.After(now):
				if next.IsZero() || at.Before(next) {
					next = at
				}
			default:
				ds = append(ds, dueRun{ru, at})
			}
		}
	}
	r.mu.Unlock()
	for _, ru := range skipped {
		r.update(ru)
	}
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].at.Before(ds[j].at) })
	for _, d := range ds {
		due = append(due, d.ru)
	}
	return due, next
}

// dueAt is when ru is due, false when that is not known yet; it sets
// ru.skip when ru will never run. r.mu must be held.
func (r *Runner) dueAt(ru *run) (time.Time, bool) {
	switch ru.trig.Kind {
	case TriggerAfter:
		dep := r.byName[ru.trig.After]
		switch {
		case dep == nil:
			ru.skip = fmt.Sprintf("no step is named %q", ru.trig.After)
		case dep.skip != "" || dep.done && dep.err != nil:
			ru.skip = fmt.Sprintf("its step %s did not complete", dep.label())
		case dep.done:
			return dep.end.Add(ru.trig.Delay), true
		}
		return time.Time{}, false
	case TriggerWhen:
		return ru.firedAt, ru.fired
	}
	return r.t0.Add(ru.step.At), true
}

// fire starts ru's action in its own goroutine.
func (r *Runner) fire(ctx context.Context, wg *sync.WaitGroup, ru *run) {
	r.mu.Lock()
	ru.started, ru.start = true, time.Now()
	r.stepsSee(ru, true)
	r.mu.Unlock()
	r.update(ru)
	wg.Go(func() {
		err := r.apply(ctx, ru)
		end := time.Now()
		cut := err != nil && (ctx.Err() != nil || errors.Is(err, cluster.ErrStopped) || errors.Is(err, cluster.ErrSuperseded))
		var targets []target
		if err == nil && lasts(ru.step.Action) && ru.step.Action != string(cluster.FaultBadVersion) {
			targets = faulted(r.c.State(), ru.step.Fault, ru.start, end)
		}
		r.mu.Lock()
		ru.done, ru.end, ru.err, ru.cut = true, end, err, cut
		ru.tracked, ru.targets = err == nil && lasts(ru.step.Action), targets
		r.stepsSee(ru, false)
		r.mu.Unlock()
		r.update(ru)
		r.settle()
		r.poke() // an after: step may be due
	})
}

// stepsSee tells the conditions filtered by step that ru started or
// ended. r.mu must be held.
func (r *Runner) stepsSee(ru *run, started bool) {
	if ru.name == "" {
		return
	}
	for _, o := range r.runs {
		w, ok := o.cond.(stepWatcher)
		switch {
		case !ok || o.fired:
		case started:
			w.StepStarted(ru.name, ru.start.Sub(r.t0))
		default:
			w.StepEnded(ru.name, ru.end.Sub(r.t0))
		}
	}
}

// apply runs ru's action: a load action on the load, a cluster action on
// the cluster, blocking until it completed or ctx ended.
func (r *Runner) apply(ctx context.Context, ru *run) error {
	if !IsLoadAction(ru.step.Action) {
		if r.c == nil {
			return fmt.Errorf("%s: no cluster attached", ru.step.Action)
		}
		return ru.step.Apply(ctx, r.c)
	}
	if r.load == nil {
		return fmt.Errorf("%s: no load to act on", ru.step.Action)
	}
	switch ru.step.Action {
	case ActionNote:
		r.load.Note(ru.note)
	case ActionSetRate:
		return r.load.SetRate(ru.rate)
	case ActionPauseLoad:
		return r.load.Pause()
	case ActionResumeLoad:
		return r.load.Resume()
	case ActionStop:
		r.load.Stop()
	}
	return nil
}

// faulted lists the replicas of s that carry the fault f injected between
// from and to.
func faulted(s cluster.State, f cluster.Fault, from, to time.Time) []target {
	var out []target
	for _, rep := range s.Replicas {
		if rep.Fault == f.Effect() && !rep.FaultSince.Before(from) && !rep.FaultSince.After(to) {
			out = append(out, target{rep.Name, rep.FaultSince})
		}
	}
	return out
}

// settle ends the effects that an event observed so far ended, and
// reports those steps.
func (r *Runner) settle() {
	var ended []*run
	r.mu.Lock()
	for _, ru := range r.runs {
		if ru.tracked && !ru.over {
			if at, why, ok := r.effectEnd(ru); ok {
				ru.over, ru.effectEnd, ru.until = true, at, why
				ended = append(ended, ru)
			}
		}
	}
	r.mu.Unlock()
	for _, ru := range ended {
		r.update(ru)
	}
}

// effectEnd finds when and why ru's effect ended in the events; r.mu must
// be held. A fault on replicas ends when the last of them was healed,
// given another fault, or left; one whose replicas could not be found
// ended with its action. A bad version ends at the next rollout or
// rollback to another version.
func (r *Runner) effectEnd(ru *run) (time.Time, string, bool) {
	if ru.step.Action == string(cluster.FaultBadVersion) {
		for _, e := range r.events {
			if e.Time.After(ru.start) && e.Version != ru.step.Fault.Version {
				switch e.Kind {
				case cluster.Rollback:
					return e.Time, "rolled back", true
				case cluster.RolloutStarted:
					return e.Time, "upgraded", true
				}
			}
		}
		return time.Time{}, "", false
	}
	if len(ru.targets) == 0 {
		return ru.end, "no replica carries it", true
	}
	var last time.Time
	why := ""
	for _, t := range ru.targets {
		at, w, ok := targetEnd(r.events, t)
		if !ok {
			return time.Time{}, "", false
		}
		if at.After(last) || why == "" {
			last, why = at, w
		}
	}
	return last, why, true
}

// targetEnd finds the first event after t's fault that ended it.
func targetEnd(events []cluster.Event, t target) (time.Time, string, bool) {
	for _, e := range events {
		if e.Replica != t.name || !e.Time.After(t.since) {
			continue
		}
		switch e.Kind {
		case cluster.FaultCleared:
			return e.Time, "healed", true
		case cluster.FaultInjected:
			return e.Time, "replaced by a later fault", true
		case cluster.ReplicaKilled, cluster.ReplicaDraining, cluster.ReplicaStopped:
			return e.Time, "replica gone", true
		}
	}
	return time.Time{}, "", false
}

func (r *Runner) update(ru *run) {
	if r.onUpdate == nil {
		return
	}
	r.mu.Lock()
	end := ru.start // a start: no duration yet
	if ru.done {
		end = ru.end
	}
	if ru.over {
		end = later(end, ru.effectEnd)
	}
	res := r.result(ru, end, false)
	r.mu.Unlock()
	r.onUpdate(res)
}

// Results reports every step, measured from the snapshots observed so far;
// end is when the load ended, the end of steps still running and of
// effects still lasting.
func (r *Runner) Results(end time.Time) []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Result, len(r.runs))
	for i, ru := range r.runs {
		out[i] = r.result(ru, end, true)
	}
	return out
}

// result reports one step at end; final when the run ended there. r.mu
// must be held.
func (r *Runner) result(ru *run, end time.Time, final bool) Result {
	res := Result{Name: ru.name, Spec: ru.step.Spec, Action: ru.step.Action}
	if ru.trig.Kind == TriggerAt {
		res.StartS = round3(ru.step.At.Seconds())
	}
	if !ru.started {
		res.Cut = true
		switch {
		case ru.skip != "":
			res.Error = ru.skip
		case ru.trig.Kind == TriggerWhen && !ru.fired:
			res.Error = NotTriggered
		case ru.trig.Kind == TriggerWhen:
			res.Error = "not reached: the run ended as its condition held"
		case ru.trig.Kind == TriggerAfter:
			res.Error = fmt.Sprintf("not reached: the run ended before %s", ru.trig)
		default:
			res.Error = "not reached: the run ended before " + ru.step.At.String()
		}
		return res
	}
	stop := end
	switch {
	case ru.done:
		stop = ru.end
		res.Completed, res.Cut = ru.err == nil, ru.cut
		if ru.err != nil {
			res.Error = ru.err.Error()
		}
	case !end.After(ru.start):
		stop = ru.start
	default:
		res.Error, res.Cut = fmt.Sprintf("still running when the run ended (%s)", describe(ru.step)), true
	}
	res.StartS = round3(ru.start.Sub(r.t0).Seconds())
	res.DurationS = round3(stop.Sub(ru.start).Seconds())
	res.From, res.To = ru.start, stop
	switch {
	case ru.over && (final || !ru.effectEnd.After(end)):
		res.EffectS, res.Until = round3(later(ru.effectEnd, stop).Sub(ru.start).Seconds()), ru.until
		res.To = later(ru.effectEnd, stop)
	case final && lasts(ru.step.Action) && (ru.tracked || !ru.done) && end.After(ru.start):
		res.EffectS, res.Until = round3(end.Sub(ru.start).Seconds()), "the run ended"
		res.To = end
	}
	return res.Measured(r.ticks)
}

// later is the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// describe says what a step waits for.
func describe(s Step) string {
	switch s.Action {
	case "scale":
		return fmt.Sprintf("waiting for %d ready replicas", s.Replicas)
	case "upgrade":
		return "rolling out " + s.Version
	case "rollback":
		return "rolling back"
	case "restart":
		return "restarting every replica"
	case "pause", "resume":
		return s.Action + " the rollout"
	case "canary":
		return "bringing up canary " + s.Version
	case "promote":
		return "promoting the canary"
	case ActionNote, ActionSetRate, ActionPauseLoad, ActionResumeLoad, ActionStop:
		return s.Spec
	default:
		return s.Fault.String()
	}
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// A step's states, as its events, recordings and streams name them.
const (
	StateStarted     = "started"
	StateCompleted   = "completed"
	StateFailed      = "failed" // its action failed (StepFailed): the verdict fails
	StateCut         = "cut"    // the run ended, or a later action superseded it (Cut)
	StateEffectEnded = "effect-ended"
)

// State names r's state (one of the State constants) and says it in the
// words that follow the step's label: " completed in 1.2s", " started",
// ": effect ended after 3.0s (healed)", " failed: ...", " did not
// complete: ..." (cut). The session's step events and the live line both
// say a step's state with it.
func (r Result) State() (kind, text string) {
	switch {
	case r.Until != "":
		return StateEffectEnded, fmt.Sprintf(": effect ended after %.1fs (%s)", r.EffectS, r.Until)
	case r.Completed:
		return StateCompleted, fmt.Sprintf(" completed in %.1fs", r.DurationS)
	case r.StepFailed():
		return StateFailed, " failed: " + r.Error
	case r.Error != "":
		return StateCut, " did not complete: " + r.Error
	}
	return StateStarted, " started"
}
