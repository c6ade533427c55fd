package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
)

// Interval is the engine's snapshot interval in every session, whatever
// presents it: four frames a second for the UI, fine enough to measure
// each step; the headless live line still prints once a second.
const Interval = 250 * time.Millisecond

// StartTimeout bounds a cluster's start (a fleet's replicas getting
// ready, a Deployment's informers syncing).
const StartTimeout = 30 * time.Second

// StopTimeout bounds a cluster's stop after the load.
const StopTimeout = 5 * time.Second

// endGrace is how long past its drain a stopped load may take to return
// before the session gives up on it and reports the ticks it received.
const endGrace = time.Second

// Driver is a cluster the session starts and stops: cluster.Cluster
// with its lifecycle.
type Driver interface {
	cluster.Cluster
	cluster.Lifecycle
}

// Config is what a session runs.
type Config struct {
	// Command names the command that runs it ("load", "run", "demo"), in
	// its result and messages.
	Command string
	// Target is the load's target. With a Cluster, Resolve (when set)
	// gives it instead once the cluster started.
	Target engine.Target
	// Resolve returns the load's target and any further engine options
	// once the cluster started (a fleet's address, a Deployment's
	// endpoints to balance across).
	Resolve func() (engine.Target, []engine.Option, error)
	// Options configure the load (its model, window, timeout, drain...);
	// the session adds its Tick and its snapshot fan-out.
	Options []engine.Option
	// NewLoad (optional) builds the load in place of the local engine
	// (agents: agent.Pool) for the target (Target, or Resolve's); the
	// Options, and the engine options Resolve gives, are then unused.
	NewLoad NewLoad
	// Window is the sending window the options set (0: until stopped),
	// for the sinks' information.
	Window time.Duration
	// Cluster is the cluster the steps and the operator act on (nil:
	// none). The session subscribes to its events, starts it and stops
	// it; give it stopped.
	Cluster Driver
	// Steps are the plan's steps (the --step flags' are at: steps), fired
	// by their triggers from the load's start: cluster actions on Cluster,
	// load actions (note, set-rate, pause-load, resume-load, stop) on the
	// load.
	Steps []experiments.PlanStep
	// Sinks consume the session, in this order.
	Sinks []Sink
	// Hold keeps the session open after the load ended by itself, until
	// its context is done: a UI shows the run's end until the operator
	// quits, and what the operator does meanwhile is still an event.
	Hold bool
	// StopTimeout bounds the cluster's stop (0: StopTimeout); a fleet
	// whose replicas drain for longer needs more.
	StopTimeout time.Duration
	// Summarize makes the run's summary from its result, once, before the
	// sinks close (Result.Summary: what the command prints, and the
	// recording keeps).
	Summarize func(*Result) any
	// SteadyState (optional) is the steady-state hypothesis: with a
	// baseline (Before) the steps wait until it held, and the load stops
	// when it did not; After is judged once the last step ended.
	SteadyState *SteadyState
	// Rollbacks are cluster actions run once the load ended, when their
	// strategy says so (RollbacksDue), before the summary; they need a
	// Cluster.
	Rollbacks experiments.Rollbacks
	// RollbackTimeout bounds each rollback action (0: StartTimeout, as a
	// cluster's start: a rollback brings replicas up as a start does; the
	// stop's bound is too short for a rolling rollback of a few replicas,
	// which a fleet with its default startup delay and drain takes 4 s
	// for).
	RollbackTimeout time.Duration
	// Drain is how long a stopped load waits for its requests in flight
	// (engine.Drain); 0 is engine.DefaultDrain.
	Drain time.Duration
}

// check returns what is wrong with c.
func (c *Config) check() error {
	var errs []error
	if c.Command == "" {
		errs = append(errs, errors.New("session: no command name"))
	}
	if c.Target.URL == "" && c.Resolve == nil {
		errs = append(errs, errors.New("session: no target"))
	}
	if c.Cluster == nil {
		for _, st := range c.Steps {
			if !experiments.IsLoadAction(st.Step.Action) {
				errs = append(errs, fmt.Errorf("session: step %q: a cluster action needs a cluster", st.Step.Spec))
			}
		}
	}
	if len(c.Rollbacks.Actions) > 0 && c.Cluster == nil {
		errs = append(errs, errors.New("session: rollbacks need a cluster"))
	}
	for _, a := range c.Rollbacks.Actions {
		if experiments.IsLoadAction(a.Action) {
			errs = append(errs, fmt.Errorf("session: rollback %q acts on the load, not the cluster", a.Spec))
		}
	}
	if c.SteadyState != nil {
		if err := c.SteadyState.check(); err != nil {
			errs = append(errs, err)
		}
	}
	for i, s := range c.Sinks {
		if s == nil {
			errs = append(errs, fmt.Errorf("session: sink %d is nil", i))
		}
	}
	return errors.Join(errs...)
}
