package ui

import (
	"strings"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/session"
	"github.com/scalelab/scalelab/ui/common"
)

// JudgeEvent is a change of a threshold's state, or the abort, as the
// session's judge reported it (a FromJudge event): what the event log
// lists and the charts mark.
type JudgeEvent struct {
	// Time is when the judge saw it (the end of the tick it evaluated).
	Time time.Time
	// Kind is session.ThresholdFailed, ThresholdPassed or Aborted.
	Kind string
	// Threshold names the threshold as written (latency p(99)<200);
	// Value is its value then as the panel shows it (312ms, no data).
	Threshold string
	Value     string
	// Title is a canary event's marker (FromCanary: Kind is one of its
	// kinds, Value its message).
	Title string
}

// judgeEvent is the UI's view of a judge's session event; ok is false
// for an event without a threshold's status.
func judgeEvent(e session.Event) (JudgeEvent, bool) {
	if e.Threshold == nil {
		return JudgeEvent{}, false
	}
	return JudgeEvent{Time: e.Time, Kind: e.Kind, Threshold: e.Threshold.Threshold.String(), Value: ValueText(*e.Threshold)}, true
}

// Outcome is how the session judged the run once the load ended.
type Outcome struct {
	// Verdict is the run's (session.VerdictOf): empty without thresholds
	// and steps.
	Verdict analysis.Verdict
	// Thresholds are the thresholds' final statuses, in their order.
	Thresholds []analysis.Status
}

// ValueText is a status's value as the thresholds panel shows it: the
// measured value without its aggregation (312ms, 99.95%, 12), or "no
// data" when nothing was measured.
func ValueText(s analysis.Status) string {
	if s.NoData {
		return "no data"
	}
	if _, v, ok := strings.Cut(s.Text, "="); ok {
		return v
	}
	return s.Text
}

// VerdictWord is a verdict as the header and the summary say it: PASS,
// FAIL, ABORTED.
func VerdictWord(v analysis.Verdict) string { return strings.ToUpper(string(v)) }

// judgeEntry is the event log entry, and the mark, of a judge's event: a
// failure or the abort draws a line through the charts, a threshold that
// holds again only a mark.
func judgeEntry(j JudgeEvent) common.Entry {
	src := j.Threshold
	if _, s, ok := strings.Cut(src, " "); ok {
		src = s // the expression: the marker's room is a dozen cells
	}
	if e, ok := canaryEntry(j); ok {
		return e
	}
	en := common.Entry{Time: j.Time}
	switch j.Kind {
	case session.AgentLost: // an agent's (session.FromAgents)
		en.Text = j.Value
		en.Label, en.Major, en.Level = label("✗ "+j.Title, "agent lost"), true, common.Warn
	case session.ThresholdFailed:
		en.Text = j.Threshold + " failed: " + j.Value
		en.Label, en.Major, en.Level = label("✗ "+src, "✗ threshold"), true, common.Error
	case session.ThresholdPassed:
		en.Text = j.Threshold + " holds again: " + j.Value
		en.Label = label("✓ "+src, "✓ threshold")
	case session.Aborted:
		en.Text = "aborted: " + j.Threshold + " failed: " + j.Value + " (abortOnFail)"
		en.Label, en.Major, en.Level = "aborted", true, common.Error
	default:
		en.Text = strings.TrimSpace(j.Kind + " " + j.Threshold + " " + j.Value)
		en.Label = label(j.Kind, "judge")
	}
	return en
}
