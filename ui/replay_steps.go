package ui

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/session"
)

// recordedStep is a recorded step's event, or a plan's rollback action's
// (1.9), as the live UI had it: a step's result is the event's data; ok
// is false for another event, or a step's whose data does not decode.
func recordedStep(e recordings.Event) (StepEvent, bool) {
	if e.Source == recordings.FromRollback {
		return StepEvent{Time: e.Time, Kind: e.Kind, Message: e.Message, Title: e.Label}, true
	}
	if e.Source != recordings.FromStep {
		return StepEvent{}, false
	}
	var r experiments.Result
	if json.Unmarshal(e.Data, &r) != nil {
		return StepEvent{}, false
	}
	return StepEvent{Time: e.Time, Kind: e.Kind, Message: e.Message, Step: &r, Operator: operatorStep(r)}, true
}

// operatorStep reports a recorded step the operator started: the
// recording keeps it as a scripted step's, but a canary without a name
// nor a time (a --step flag's and a plan's at: step's spec begin with
// it) is the c key's, whose end the operator's recorded line says (a
// plan's unnamed after: or when: canary reads as one too).
func operatorStep(r experiments.Result) bool {
	return r.Name == "" && r.Action == session.ActionCanary && stepAction(r.Spec) == strings.TrimSpace(r.Spec)
}

// stepNoteSlack is how far apart a note= step's start and the note it
// made are recorded, at most.
const stepNoteSlack = time.Second

// withoutStepNotes is a copy of the recorded events without the notes a
// plan's note= steps made (recorded as the operator's, "note: TEXT",
// beside the step's start): the live UI shows such a note once, as its
// step's line, and so does the replay. The operator's own notes stay.
func withoutStepNotes(events []recordings.Event) []recordings.Event {
	var starts []StepEvent
	for _, e := range events {
		if s, ok := recordedStep(e); ok && s.Step != nil && s.Kind == experiments.StateStarted && s.Step.Action == experiments.ActionNote {
			starts = append(starts, s)
		}
	}
	out := make([]recordings.Event, 0, len(events))
	for _, e := range events {
		if !stepNote(e, starts) {
			out = append(out, e)
		}
	}
	return out
}

// stepNote reports whether e is the note one of the note= steps' starts
// made: the same text, at about the same time.
func stepNote(e recordings.Event, starts []StepEvent) bool {
	if e.Source != recordings.FromOperator || e.Kind != "note" {
		return false
	}
	for _, s := range starts {
		d := e.Time.Sub(s.Time)
		if d < 0 {
			d = -d
		}
		if d <= stepNoteSlack && e.Message == loadWords(*s.Step) {
			return true
		}
	}
	return false
}
