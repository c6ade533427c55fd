package ui

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/session"
	"github.com/scalelab/scalelab/ui/components/thresholds"
)

// maxThresholdRows bounds the thresholds' lines under the charts: in the
// full layout and in the reduced one.
const (
	maxThresholdRows        = 3
	maxThresholdRowsReduced = 2
)

// holds reports a run that stays on its verdict at the load's end: one
// with thresholds.
func (m Model) holds() bool { return len(m.cfg.Thresholds) > 0 }

// onJudged takes a frame's judge events (the event log's lines and the
// charts' marks) and the thresholds' statuses: the final ones at the
// end, else the judge's latest.
func (m Model) onJudged(f Frame) Model {
	rows := m.thresholdRows()
	for _, j := range f.Judged {
		m.log.Add(judgeEntry(j))
		if j.Kind == session.Aborted {
			m.aborting = true
		}
	}
	switch {
	case f.End != nil && f.End.Thresholds != nil:
		m.statuses = f.End.Thresholds
	case m.cfg.Statuses != nil && !m.ended:
		m.statuses = m.cfg.Statuses()
	}
	if m.thresholdRows() != rows {
		m.layout()
	}
	return m
}

// failing counts the thresholds that fail now.
func (m Model) failing() int {
	n := 0
	for _, s := range m.statuses {
		if !s.OK {
			n++
		}
	}
	return n
}

// endWords says how the run ended: the verdict word, or that it ended.
func (m Model) endWords() string {
	if m.verdict == "" {
		return "finished"
	}
	return VerdictWord(m.verdict)
}

// thresholdsInfo is what the thresholds' line shows.
func (m Model) thresholdsInfo() thresholds.Info {
	in := thresholds.Info{Aborting: m.aborting && !m.ended, Aborted: m.aborting && m.ended}
	for i, th := range m.cfg.Thresholds {
		it := thresholds.Item{Name: th.String()}
		if i < len(m.statuses) {
			s := m.statuses[i]
			it.Judged, it.OK, it.Value = true, s.OK, ValueText(s)
		}
		in.Items = append(in.Items, it)
	}
	return in
}

// thresholdRows is the number of lines the thresholds take under the
// charts (0 without thresholds and steps to come).
func (m Model) thresholdRows() int {
	if !m.anyChart() || m.com.Width == 0 {
		return 0
	}
	return thresholds.Rows(m.com.Styles, m.thresholdsInfo(), m.com.Width, m.maxThresholdRows())
}

func (m Model) maxThresholdRows() int {
	if m.full() {
		return maxThresholdRows
	}
	return maxThresholdRowsReduced
}

// thresholdLines renders the thresholds' lines.
func (m Model) thresholdLines() []string {
	if !m.anyChart() {
		return nil
	}
	return thresholds.View(m.com.Styles, m.thresholdsInfo(), m.com.Width, m.maxThresholdRows())
}

// nextStep is the next timed step with its countdown, while the load
// runs; empty when none is left.
func (m Model) nextStep() string {
	if m.ended || len(m.cfg.Steps) == 0 {
		return ""
	}
	return NextStep(m.cfg.Steps, m.hist.Elapsed())
}

// TimedStep is a step that comes at a known time (a plan's at: step or a
// --step flag), for the countdown to the next.
type TimedStep struct {
	// Step is the step; its At is when it is due.
	Step experiments.Step
	// Name is the plan step's name ("" when it has none).
	Name string
}

// NextStep is the first of the timed steps not yet due at elapsed, with
// its countdown: "next: upgrade (upgrade=v2) in 7s" for a named step,
// "next: 20s upgrade=v2 in 7s" for one without a name; empty when none is
// left.
func NextStep(steps []TimedStep, elapsed time.Duration) string {
	sorted := slices.Clone(steps)
	slices.SortStableFunc(sorted, func(a, b TimedStep) int { return int(a.Step.At - b.Step.At) })
	for _, s := range sorted {
		if s.Step.At <= elapsed {
			continue
		}
		at, action, ok := strings.Cut(s.Step.Spec, ":")
		if !ok {
			at, action = "", s.Step.Spec
		}
		at, action = strings.TrimSpace(at), strings.TrimSpace(action)
		what := strings.TrimSpace(at + " " + action)
		if s.Name != "" {
			what = s.Name + " (" + action + ")"
		}
		in := int(math.Ceil((s.Step.At - elapsed).Seconds()))
		return fmt.Sprintf("next: %s in %ds", what, in)
	}
	return ""
}
