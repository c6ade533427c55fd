package experiments

import (
	"context"
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
	// DurationS is how long it ran: until it completed, failed, or the run
	// ended.
	DurationS float64 `json:"duration_s"`
	// Completed is true when the action completed.
	Completed bool `json:"completed"`
	// Requests counts the requests that ended in the engine ticks that
	// overlap the step's run (at least the tick it fired in); Errors those
	// of them that failed (a transport error or a 5xx status).
	Requests uint64 `json:"requests"`
	Errors   uint64 `json:"errors"`
	// Availability is (Requests-Errors)/Requests, 0 without requests.
	Availability float64 `json:"availability"`
	// Error says why it did not complete, if so.
	Error string `json:"error,omitempty"`
}

// tick is what one engine snapshot counted.
type tick struct {
	start, end       time.Time
	requests, failed uint64
}

// run is a step's progress.
type run struct {
	step       Step
	started    bool
	start, end time.Time
	done       bool
	err        error
}

// Runner fires steps at their times against a cluster and measures each
// from the engine snapshots given to Observe.
type Runner struct {
	c        cluster.Cluster
	onUpdate func(Result)

	mu    sync.Mutex
	runs  []*run
	ticks []tick
	t0    time.Time
}

// RunnerOption configures a Runner.
type RunnerOption func(*Runner)

// OnUpdate sets a function called when a step starts and when it ends,
// from the step's goroutine.
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
	r.ticks = append(r.ticks, tick{start: s.Start, end: s.End, requests: s.Requests, failed: s.Failed()})
}

// Run fires each step at start plus its offset, each in its own goroutine,
// and returns when every step fired and ended, or when ctx ends: steps
// still running are then cut short (their actions see ctx end) and those
// not yet due never start.
func (r *Runner) Run(ctx context.Context, start time.Time) {
	r.mu.Lock()
	r.t0 = start
	r.mu.Unlock()
	var wg sync.WaitGroup
	defer wg.Wait()
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
			r.mu.Lock()
			ru.done, ru.end, ru.err = true, time.Now(), err
			r.mu.Unlock()
			r.update(ru)
		})
	}
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
	res := r.result(ru, end)
	r.mu.Unlock()
	r.onUpdate(res)
}

// Results reports every step, measured from the snapshots observed so far;
// end is when the load ended, the end of steps still running.
func (r *Runner) Results(end time.Time) []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Result, len(r.runs))
	for i, ru := range r.runs {
		out[i] = r.result(ru, end)
	}
	return out
}

// result reports one step; r.mu must be held.
func (r *Runner) result(ru *run, end time.Time) Result {
	res := Result{Spec: ru.step.Spec, Action: ru.step.Action, StartS: round3(ru.step.At.Seconds())}
	if !ru.started {
		res.Error = "not reached: the run ended before " + ru.step.At.String()
		return res
	}
	stop := end
	switch {
	case ru.done:
		stop = ru.end
		res.Completed = ru.err == nil
		if ru.err != nil {
			res.Error = ru.err.Error()
		}
	case !end.After(ru.start):
		stop = ru.start
	default:
		res.Error = fmt.Sprintf("still running when the run ended (%s)", describe(ru.step))
	}
	res.StartS = round3(ru.start.Sub(r.t0).Seconds())
	res.DurationS = round3(stop.Sub(ru.start).Seconds())
	for _, t := range r.ticks {
		if t.end.After(ru.start) && !t.start.After(stop) {
			res.Requests += t.requests
			res.Errors += t.failed
		}
	}
	if res.Requests > 0 {
		res.Availability = float64(res.Requests-res.Errors) / float64(res.Requests)
	}
	return res
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
