package agent

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// Spec is one agent's part of a run: what its engine sends, to whom,
// from when. Rate, Stages and Concurrency are this agent's share already
// (Split).
type Spec struct {
	// RunID names the run (the controller's), Index this agent's place
	// in it (0..Count-1).
	RunID string `json:"run_id"`
	Index int    `json:"index"`
	Count int    `json:"count"`
	// Target is the request: URL, method, headers and body. Endpoints,
	// when set, are the addresses the engine balances its connections
	// over (engine.Balance: a Deployment's ready pods, each with its
	// version), the URL's host kept for Host.
	Target    engine.Target     `json:"target"`
	Endpoints []engine.Endpoint `json:"endpoints,omitempty"`
	// StartAt is when the load starts, on the controller's clock: the
	// origin of every frame's times. Interval is the tick.
	StartAt  time.Time     `json:"start_at"`
	Interval time.Duration `json:"interval_ns"`
	// The load model: one of Rate (open loop, req/s), Stages (a ramped
	// open loop) and Concurrency (closed loop, connections).
	Rate        float64        `json:"rate,omitempty"`
	Stages      []engine.Stage `json:"stages,omitempty"`
	Concurrency int            `json:"concurrency,omitempty"`
	// Window is the sending window (0: until stopped); Timeout bounds
	// each request, MaxInflight the open loop's outstanding ones, Drain
	// the wait for those in flight at the end.
	Window      time.Duration `json:"window_ns"`
	Timeout     time.Duration `json:"timeout_ns"`
	MaxInflight int           `json:"max_inflight,omitempty"`
	Drain       time.Duration `json:"drain_ns,omitempty"`
	KeepAlive   bool          `json:"keep_alive"`
	Insecure    bool          `json:"insecure,omitempty"`
}

// Check says what is wrong with s, every problem.
func (s Spec) Check() error {
	var errs []error
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		errs = append(errs, fmt.Errorf("agent %d of %d: want 0 <= index < count", s.Index, s.Count))
	}
	if _, err := engine.ParseURL(s.Target.URL); err != nil {
		errs = append(errs, err)
	}
	models := 0
	if s.Rate > 0 {
		models++
	}
	if len(s.Stages) > 0 {
		models++
	}
	if s.Concurrency > 0 {
		models++
	}
	if models > 1 || math.IsNaN(s.Rate) || math.IsInf(s.Rate, 0) || s.Rate < 0 {
		errs = append(errs, errors.New("want one load model: a rate, stages or a concurrency"))
	}
	if s.Interval <= 0 || s.Window < 0 || s.Timeout < 0 || s.Drain < 0 {
		errs = append(errs, errors.New("the interval must be positive, the window, timeout and drain not negative"))
	}
	if s.StartAt.IsZero() {
		errs = append(errs, errors.New("no start time"))
	}
	return errors.Join(errs...)
}

// Options are the engine options of s but its balance (Balance); its
// tick and snapshot callback are the caller's. A share of 0 (Rate 0, Concurrency 0 with neither
// set by the others) runs an idle open loop: the agent streams empty
// ticks, ready for a share later.
func (s Spec) Options() []engine.Option {
	opts := []engine.Option{engine.Tick(s.Interval), engine.KeepAlive(s.KeepAlive), engine.Insecure(s.Insecure)}
	if s.Timeout > 0 {
		opts = append(opts, engine.Timeout(s.Timeout))
	}
	if s.MaxInflight > 0 {
		opts = append(opts, engine.MaxInflight(s.MaxInflight))
	}
	if s.Drain > 0 {
		opts = append(opts, engine.Drain(s.Drain))
	}
	switch {
	case len(s.Stages) > 0:
		opts = append(opts, engine.Stages(s.Stages))
	case s.Concurrency > 0:
		opts = append(opts, engine.Concurrency(s.Concurrency), engine.Duration(s.Window))
	default:
		opts = append(opts, engine.Rate(s.Rate), engine.Duration(s.Window))
	}
	return opts
}

// Balance is the endpoints the engine balances over (engine.Balance), a
// set later changes replace (PathEndpoints); nil when the spec has none:
// the engine then sends to the URL's host.
func (s Spec) Balance() *engine.Endpoints {
	if len(s.Endpoints) == 0 {
		return nil
	}
	return engine.NewEndpoints(s.Endpoints...)
}

// Share is each agent's share of a rate total split over count agents,
// as k6's execution segments split a load: an equal part each.
func Share(total float64, count int) float64 {
	if count <= 0 {
		return 0
	}
	return total / float64(count)
}

// ShareInt is index's share of n connections over count agents: n/count,
// the first n%count agents one more.
func ShareInt(n, index, count int) int {
	if count <= 0 {
		return 0
	}
	s := n / count
	if index < n%count {
		s++
	}
	return s
}

// ShareStages is each agent's share of a stage plan: each stage's rate
// split.
func ShareStages(st []engine.Stage, count int) []engine.Stage {
	out := make([]engine.Stage, len(st))
	for i, s := range st {
		out[i] = engine.Stage{Duration: s.Duration, Rate: Share(s.Rate, count)}
	}
	return out
}
