package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/experiments"
)

// CanaryAnswered is the kind of the FromCanary event that says what the
// operator answered to a CanaryConfirmer's question (or that the run
// ended unanswered).
const CanaryAnswered = "canary-answered"

// CanaryQuestion is what a CanaryConfirmer asks once the judge decided.
type CanaryQuestion struct {
	// Version is the canary's, Baseline the version it was judged against.
	Version, Baseline string
	// Decision is the judge's decision, with its reason.
	Decision canary.Decision
	// Proposed is the action the decision calls for (an inconclusive one
	// read as a headless run reads it): promote or rollback.
	Proposed canary.Action
}

// Other is the action besides Proposed: rollback for promote, promote
// for rollback.
func (q CanaryQuestion) Other() canary.Action {
	if q.Proposed == canary.Promote {
		return canary.Rollback
	}
	return canary.Promote
}

// CanaryConfirmer asks the operator before the cluster acts on a canary's
// decision, and returns the action to take (canary.Promote or
// canary.Rollback). It waits for the answer until ctx ends (the run
// ended unanswered), and then returns ctx's error: the sink takes the
// proposed action, as a headless run does.
type CanaryConfirmer func(ctx context.Context, q CanaryQuestion) (canary.Action, error)

// CanaryConfirm makes the sink ask ask (the UI's operator) before it
// promotes or rolls back; without it the sink acts at once (headless). A
// decision made as the run ends (Finish) is not asked: it is acted on as
// a headless run does.
func CanaryConfirm(ask CanaryConfirmer) CanaryOption {
	return func(s *CanarySink) { s.confirm = ask }
}

// askAndAct asks the operator, records and emits the answer, then acts
// on it (act closes ended).
func (s *CanarySink) askAndAct(ctx context.Context, q CanaryQuestion, ended chan struct{}) {
	a, err := s.confirm(ctx, q)
	s.mu.Lock()
	s.res.Awaiting, s.asking = false, nil
	if step := s.preempted; step != "" {
		action := s.res.Action
		s.res.Note = fmt.Sprintf("the plan's step %s acted (%s) before the operator answered", step, action.Verb())
		s.mu.Unlock()
		s.control.Emit(Event{Source: FromCanary, Kind: CanaryAnswered, Title: "canary " + string(action),
			Message: fmt.Sprintf("canary %s: the plan's step %s acted (%s) before the operator answered: the question is withdrawn",
				q.Version, step, action.Verb())})
		close(ended)
		return
	}
	msg := fmt.Sprintf("canary %s: the run ended unanswered: %s", q.Version, q.Proposed.Verb())
	if err == nil && (a == canary.Promote || a == canary.Rollback) {
		s.res.Action, s.res.Confirmed = a, true
		msg = fmt.Sprintf("canary %s: the operator answered %s", q.Version, a.Verb())
	}
	action := s.res.Action
	s.mu.Unlock()
	s.control.Emit(Event{Source: FromCanary, Kind: CanaryAnswered, Message: msg, Title: "canary " + string(action)})
	s.act(action, ended)
}

// Start runs a canary step the operator asked for (action as a plan
// step's: "canary=v2:25%"), as a scripted step runs: its events (started,
// then completed or failed, FromOperator with the step's Result) reach
// every sink, this one judging it as it judges a scripted canary. It
// returns once the canary holds, or why it did not start: a bad action,
// a cluster without the canary capability, a canary already judged in
// the run (one per run). Safe for concurrent use; not from inside a
// sink's call.
func (s *CanarySink) Start(ctx context.Context, action string) error {
	ps, err := experiments.ParseAction(action)
	if err != nil {
		return fmt.Errorf("canary: %w", err)
	}
	if ps.Step.Action != ActionCanary {
		return fmt.Errorf("%q: want canary=VERSION[:SHARE], such as canary=v2:25%%", action)
	}
	s.mu.Lock()
	c, started := s.cluster, s.res != nil
	s.mu.Unlock()
	switch {
	case s.cl == nil:
		return errors.New("canary: the cluster cannot run a canary")
	case started:
		return errors.New("canary: this run judged its canary already (one per run)")
	}
	r := experiments.Result{Spec: ps.Step.Spec, Action: ActionCanary, From: time.Now()}
	s.stepEvent(r)
	err = ps.Step.Apply(ctx, c)
	r.DurationS = time.Since(r.From).Seconds()
	r.To = time.Now()
	if err != nil {
		r.Error = err.Error()
	} else {
		r.Completed = true
	}
	s.stepEvent(r)
	if err != nil {
		return fmt.Errorf("canary %s: %w", ps.Step.Version, err)
	}
	return nil
}

// stepEvent emits an operator's step's state, as the session emits a
// scripted step's.
func (s *CanarySink) stepEvent(r experiments.Result) {
	kind, msg := StepState(r)
	s.control.Emit(Event{Source: FromOperator, Kind: kind, Message: msg, Step: &r})
}
