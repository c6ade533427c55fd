package session

import (
	"testing"

	"github.com/scalelab/scalelab/experiments"
)

func TestStepEnds(t *testing.T) {
	for _, c := range []struct {
		kind, action string
		ends         bool
	}{
		{experiments.StateStarted, "kill", false},
		{experiments.StateCompleted, "kill", true},
		{experiments.StateCompleted, "scale", true},
		{experiments.StateCompleted, "latency", false}, // its effect lasts
		{experiments.StateCompleted, "hang", false},
		{experiments.StateEffectEnded, "latency", true},
		{experiments.StateFailed, "latency", true},
		{experiments.StateCut, "errors", true},
	} {
		e := Event{Source: FromStep, Kind: c.kind, Step: &experiments.Result{Action: c.action}}
		if got := StepEnds(e); got != c.ends {
			t.Errorf("StepEnds(%s %s) = %v, want %v", c.kind, c.action, got, c.ends)
		}
	}
	if StepEnds(Event{Source: FromOperator, Kind: experiments.StateCompleted}) {
		t.Error("an event without a step ends one")
	}
}
