package session

import (
	"errors"
	"sync"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
)

// planLoad is what a plan's load actions act on: the session's engine,
// its events and its stop.
type planLoad struct {
	s *Session
	// eng is set once the engine exists, before the load starts (and the
	// steps with it).
	eng Load

	mu     sync.Mutex
	paused *engine.Paused
}

var _ experiments.LoadControl = (*planLoad)(nil)

// SetRate sets the open loop's rate (a closed loop refuses it).
func (l *planLoad) SetRate(r float64) error { return l.eng.SetRate(r) }

// Pause pauses the load, as the operator's pause does; a second pause
// before a resume is refused, so that the resume restores the load sent
// before the first.
func (l *planLoad) Pause() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.paused != nil {
		return errors.New("the load is already paused")
	}
	p, err := l.eng.Pause()
	if err != nil {
		return err
	}
	l.paused = &p
	return nil
}

// Resume sends again as before the pause.
func (l *planLoad) Resume() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.paused == nil {
		return errors.New("the load is not paused")
	}
	if err := l.eng.Resume(*l.paused); err != nil {
		return err
	}
	l.paused = nil
	return nil
}

// Stop ends the load as the operator's stop does: requests in flight
// drain, then the session closes with the result.
func (l *planLoad) Stop() { l.s.stopLoad("a step stopped the load") }

// Note marks the run with text: an event as the operator's note is.
func (l *planLoad) Note(text string) {
	l.s.Emit(Event{Source: FromOperator, Kind: "note", Message: "note: " + text, Title: "note"})
}

// parseCondition is a when: step's condition watched on the ticks.
func parseCondition(expr string) (experiments.Condition, error) {
	c, err := analysis.ParseCondition(expr)
	if err != nil {
		return nil, err
	}
	return analysis.NewTrigger(c), nil
}
