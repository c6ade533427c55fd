package session

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/experiments"
)

// FromRollback is the source of a rollback action's events: Kind is
// "started", "completed" or "failed", Rollback holds its result.
const FromRollback Source = "rollback"

// RollbackResult is what one rollback action did.
type RollbackResult struct {
	// Action is the action as written (rollback, scale=4).
	Action string `json:"action"`
	// OK says it completed; Error says why not.
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// DurationS is how long it ran, in seconds.
	DurationS float64 `json:"duration_s"`
	// Start is when it started.
	Start time.Time `json:"-"`
}

// RollbacksDue reports whether the rollbacks run, as strategy says, for a
// run that ended with verdict v, aborted or not, and failedSteps steps
// that could not run: always; never; default when the run was aborted or
// a step failed; deviated when the verdict is not a pass (a failed
// threshold or step, an abort, the steady state not met).
func RollbacksDue(strategy experiments.RollbackStrategy, v analysis.Verdict, aborted bool, failedSteps int) bool {
	switch strategy {
	case experiments.RollbackAlways:
		return true
	case experiments.RollbackNever:
		return false
	case experiments.RollbackDeviated:
		return v != "" && v != analysis.VerdictPass
	}
	return aborted || v == analysis.VerdictAborted || failedSteps > 0
}

// rollback runs the plan's rollbacks on the cluster when their strategy
// says so, once the load ended and the verdict is known: each action
// once, in order, each bounded by Config.RollbackTimeout, each reported as its
// events and in the result.
func (s *Session) rollback(res *Result) {
	rb := s.cfg.Rollbacks
	if len(rb.Actions) == 0 || s.cfg.Cluster == nil {
		return
	}
	failed := 0
	for _, st := range res.Steps {
		if st.StepFailed() {
			failed++
		}
	}
	if !RollbacksDue(rb.Strategy, res.Verdict, res.Aborted != nil, failed) {
		return
	}
	bound := s.cfg.RollbackTimeout
	if bound <= 0 {
		bound = StartTimeout
	}
	for _, a := range rb.Actions {
		r := RollbackResult{Action: a.Spec, Start: time.Now()}
		s.fan.event(Event{Time: r.Start, Source: FromRollback, Kind: "started", Title: "rollback " + a.Spec,
			Message: "rollback " + a.Spec + " started", Rollback: &r})
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		err := a.Apply(ctx, s.cfg.Cluster)
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("not done within %s: %w", bound, err)
		}
		cancel()
		end := time.Now()
		r.DurationS = math.Round(end.Sub(r.Start).Seconds()*1000) / 1000
		r.OK = err == nil
		kind, msg := "completed", fmt.Sprintf("rollback %s completed in %.1fs", a.Spec, r.DurationS)
		if err != nil {
			r.Error = err.Error()
			kind, msg = "failed", fmt.Sprintf("rollback %s failed after %.1fs: %v", a.Spec, r.DurationS, err)
		}
		s.fan.event(Event{Time: end, Source: FromRollback, Kind: kind, Title: "rollback " + a.Spec, Message: msg, Rollback: &r})
		res.Rollbacks = append(res.Rollbacks, r)
	}
}
