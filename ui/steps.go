package ui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/session"
	"github.com/scalelab/scalelab/ui/common"
)

// StepEvent is a scripted step's update (a FromStep event, or an
// operator's step such as a canary the c key started), or a plan's
// rollback action's (FromRollback), as the session reported it: what the
// event log lists and the time axis marks.
type StepEvent struct {
	// Time is when it happened; Kind the step's state (an
	// experiments.State* constant) or the rollback's ("started",
	// "completed", "failed"); Message the session's text of it (the
	// headless line's words).
	Time    time.Time
	Kind    string
	Message string
	// Step is the step's result then; nil for a rollback, whose Title
	// names it ("rollback scale=4").
	Step  *experiments.Result
	Title string
	// Operator is a step the operator started (a canary the c key
	// started): the model's own line says how its action ended.
	Operator bool
}

// stepEvent is the UI's view of a session's step or rollback event; ok
// is false for another's.
func stepEvent(e session.Event) (StepEvent, bool) {
	switch {
	case e.Step != nil:
		r := *e.Step
		return StepEvent{Time: e.Time, Kind: e.Kind, Message: e.Message, Step: &r, Operator: e.Source == session.FromOperator}, true
	case e.Source == session.FromRollback:
		return StepEvent{Time: e.Time, Kind: e.Kind, Message: e.Message, Title: e.Title}, true
	}
	return StepEvent{}, false
}

// stepEntry is the event log entry, and the mark, of a step's event; ok
// is false for one the log does not list: the completion of a step that
// acted at once, a load action or a fault (its start said it all), and
// the end of an operator's step (the model's own line says it).
//
// A step starts as "step NAME (ACTION) started" (the headless line's
// words, with the action when the plan named the step); a load action,
// which acts at once, as what it did: "step back: note: back to two",
// "step set-rate 500/s". A load action draws a line through the charts
// as the operator's action does; a cluster action's start only marks
// the axis, its cluster's events (rollout, scale, fault) draw the lines.
// A step that failed is an error, one cut (the run ended, a later
// action superseded it) a warning.
func stepEntry(s StepEvent) (common.Entry, bool) {
	en := common.Entry{Time: s.Time, Text: s.Message}
	if s.Step == nil {
		return rollbackEntry(s), true
	}
	r := *s.Step
	name := r.Name
	if s.Operator && s.Kind != experiments.StateStarted {
		return common.Entry{}, false // the operator's line says it ("operator: canary v2: done in 1.2s")
	}
	switch s.Kind {
	case experiments.StateStarted:
		if experiments.IsLoadAction(r.Action) {
			words := loadWords(r)
			en.Text = "step " + words
			if name != "" {
				en.Text = "step " + name + ": " + words
			}
			en.Label, en.Major = loadLabel(r), true
			return en, true
		}
		if name != "" {
			en.Text = "step " + name + " (" + stepAction(r.Spec) + ") started"
		}
	case experiments.StateCompleted:
		if experiments.IsLoadAction(r.Action) || r.DurationS < instant {
			return common.Entry{}, false
		}
	case experiments.StateFailed:
		en.Label, en.Major, en.Level = label("✗ "+r.Label(), "✗ step"), true, common.Error
	case experiments.StateCut:
		en.Level = common.Warn
	}
	return en, true
}

// rollbackEntry is the entry of a plan's rollback action: its start
// draws a line, a failure is an error.
func rollbackEntry(s StepEvent) common.Entry {
	en := common.Entry{Time: s.Time, Text: s.Message}
	switch s.Kind {
	case "started":
		en.Label, en.Major, en.Level = label(s.Title, "rollback"), true, common.Warn
	case "failed":
		en.Label, en.Major, en.Level = label("✗ "+s.Title, "✗ rollback"), true, common.Error
	}
	return en
}

// instant is how short a step's action is to have acted at once, in
// seconds: less than the event log's tenth.
const instant = 0.05

// stepAction is a step's action as written: its spec without the time
// a --step flag's (or an unnamed plan step's) begins with.
func stepAction(spec string) string {
	if at, action, ok := strings.Cut(spec, ":"); ok {
		if _, err := time.ParseDuration(strings.TrimSpace(at)); err == nil {
			return strings.TrimSpace(action)
		}
	}
	return strings.TrimSpace(spec)
}

// loadWords says what a load action did: "note: TEXT", "set-rate 500/s",
// "pause-load".
func loadWords(r experiments.Result) string {
	action := stepAction(r.Spec)
	name, arg, _ := strings.Cut(action, "=")
	arg = strings.TrimSpace(arg)
	switch strings.TrimSpace(name) {
	case experiments.ActionNote:
		return "note: " + arg
	case experiments.ActionSetRate:
		if v, err := strconv.ParseFloat(arg, 64); err == nil {
			return "set-rate " + fmtRate(v) + "/s"
		}
	}
	return action
}

// loadLabel is a load action's mark: the note's text, "rate 500",
// "pause", "resume", "stop", as the operator's are.
func loadLabel(r experiments.Result) string {
	_, arg, _ := strings.Cut(stepAction(r.Spec), "=")
	arg = strings.TrimSpace(arg)
	switch r.Action {
	case experiments.ActionNote:
		return label(arg, "note")
	case experiments.ActionSetRate:
		return label("rate "+arg, "rate")
	case experiments.ActionPauseLoad:
		return "pause"
	case experiments.ActionResumeLoad:
		return "resume"
	}
	return label(r.Action, "step")
}

// onSteps takes the steps' and rollbacks' events: the event log's lines,
// the time axis's marks and the steps' spans.
func (m Model) onSteps(steps []StepEvent) Model {
	if len(steps) == 0 {
		return m
	}
	rows := m.spanRows()
	m.spans = slices.Clone(m.spans) // the model is a value: its copies keep theirs
	for _, s := range steps {
		if en, ok := stepEntry(s); ok {
			m.log.Add(en)
		}
		m.trackSpan(s)
	}
	if m.spanRows() != rows {
		m.layout()
	}
	return m
}
