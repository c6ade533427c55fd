package experiments

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
)

// Result is what one step did and what the load measured while it ran.
type Result struct {
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
	// neither completed nor was cut failed (StepFailed).
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
	step       Step
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

// Runner fires steps at their times against a cluster and measures each
// from the engine snapshots given to Observe.
type Runner struct {
	c        cluster.Cluster
	onUpdate func(Result)

	mu     sync.Mutex
	runs   []*run
	ticks  []Tick
	events []cluster.Event
	t0     time.Time
}

// RunnerOption configures a Runner.
type RunnerOption func(*Runner)

// OnUpdate sets a function called when a step starts, when it ends, and
// when a lasting fault's effect ends, from the runner's goroutines.
func OnUpdate(f func(Result)) RunnerOption { return func(r *Runner) { r.onUpdate = f } }

// NewRunner returns a runner of steps against c.
func NewRunner(c cluster.Cluster, steps []Step, opts ...RunnerOption) *Runner {
	r := &Runner{c: c}
	for _, s := range steps {
		r.runs = append(r.runs, &run{step: s})
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Observe records an engine snapshot; give it every snapshot
// (engine.OnSnapshot). It is safe from any goroutine.
func (r *Runner) Observe(s *engine.Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ticks = append(r.ticks, TickOf(s))
}

// Run fires each step at start plus its offset, each in its own goroutine,
// and follows the cluster's events to tell when a lasting fault's effect
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
	defer func() { <-ctx.Done() }()
	for _, ru := range r.runs {
		t := time.NewTimer(time.Until(start.Add(ru.step.At)))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		r.mu.Lock()
		ru.started, ru.start = true, time.Now()
		r.mu.Unlock()
		r.update(ru)
		wg.Go(func() {
			err := ru.step.Apply(ctx, r.c)
			end := time.Now()
			cut := err != nil && (ctx.Err() != nil || errors.Is(err, cluster.ErrStopped) || errors.Is(err, cluster.ErrSuperseded))
			var targets []target
			if err == nil && lasts(ru.step.Action) && ru.step.Action != string(cluster.FaultBadVersion) {
				targets = faulted(r.c.State(), ru.step.Fault, ru.start, end)
			}
			r.mu.Lock()
			ru.done, ru.end, ru.err, ru.cut = true, end, err, cut
			ru.tracked, ru.targets = err == nil && lasts(ru.step.Action), targets
			r.mu.Unlock()
			r.update(ru)
			r.settle()
		})
	}
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
	res := Result{Spec: ru.step.Spec, Action: ru.step.Action, StartS: round3(ru.step.At.Seconds())}
	if !ru.started {
		res.Error, res.Cut = "not reached: the run ended before "+ru.step.At.String(), true
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
	default:
		return s.Fault.String()
	}
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }
