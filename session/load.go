package session

import (
	"context"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// Controls are what the operator and the steps change of a running
// load: its rate or connections, and its pauses.
type Controls interface {
	// Closed reports the closed-loop model.
	Closed() bool
	// TargetRate and SetRate read and change the open loop's rate;
	// Concurrency and SetConcurrency the closed loop's connections.
	TargetRate() float64
	SetRate(r float64) error
	Concurrency() int
	SetConcurrency(n int) error
	// Pause stops sending and returns what Resume restores.
	Pause() (engine.Paused, error)
	Resume(p engine.Paused) error
}

// Load is what a session runs and its operator controls: the local
// engine (*engine.Engine), or agents on other machines (agent.Pool)
// whose ticks are merged into one load.
type Load interface {
	Controls
	// Run sends until the load's window ends or ctx does, then drains,
	// and returns the run's totals.
	Run(ctx context.Context) (*engine.Result, error)
}

var _ Load = (*engine.Engine)(nil)

// NewLoad builds a session's load other than the local engine (Config's
// NewLoad) for target (Config's, or what Resolve gave once the cluster
// started): the session calls onSnapshot with each tick of Interval, as
// the engine's OnSnapshot, and the load gives each snapshot up.
type NewLoad func(target engine.Target, onSnapshot func(*engine.Snapshot)) (Load, error)

// Remote is implemented by a load that runs on other machines (agents):
// the session then does not count its own process's CPU as the
// generator's (a tick's CPUKnown is false), and the generator probes of
// this process do not judge it.
type Remote interface {
	Remote() bool
}

// Deferred is implemented by a load whose sending starts some time after
// its Run was called (agents armed to start together a moment later):
// Armed is closed once the start is set, and Start is then when the
// load's first tick starts. The session times the steps and its result
// from it, not from Run's call, so that a step at 2s acts 2 s into the
// load.
type Deferred interface {
	Armed() <-chan struct{}
	Start() time.Time
}

// isRemote reports a load that runs elsewhere.
func isRemote(l Load) bool {
	r, ok := l.(Remote)
	return ok && r.Remote()
}
