package ui

import (
	"time"

	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/ui/components/timeaxis"
)

// stepSpan is a cluster step's time, for its span on the time axis: from
// its start to the end of its action or, for a fault whose effect lasts,
// of the effect; open while either goes on.
type stepSpan struct {
	label    string
	from, to time.Time
	open     bool
	failed   bool
}

// trackSpan follows a step's event in the spans: a cluster step's start
// opens its span, its end (completed, failed, cut, its effect ended)
// closes it. A load action acts at once: no span.
func (m *Model) trackSpan(s StepEvent) {
	if s.Step == nil || experiments.IsLoadAction(s.Step.Action) || s.Step.From.IsZero() {
		return
	}
	r := *s.Step
	sp := stepSpan{label: spanLabel(r), from: r.From, to: r.To, open: r.Running() || r.Lasting(),
		failed: r.Error != "" && !r.Completed}
	if sp.to.IsZero() || sp.to.Before(s.Time) && !sp.open {
		sp.to = s.Time
	}
	for i, o := range m.spans {
		if o.label == sp.label && o.from.Equal(sp.from) {
			m.spans[i] = sp
			return
		}
	}
	m.spans = append(m.spans, sp)
}

// spanLabel names a step on its span: its name, or its action as written.
func spanLabel(r experiments.Result) string {
	if r.Name != "" {
		return r.Name
	}
	return stepAction(r.Spec)
}

// spanRows is the rows of the steps' spans under the marker rows: none
// before a cluster step started, one, or in the full layout two once two
// steps overlapped.
func (m Model) spanRows() int {
	if len(m.spans) == 0 {
		return 0
	}
	if m.full() && m.spansOverlap() {
		return 2
	}
	return 1
}

// spansOverlap reports whether two steps ran at once.
func (m Model) spansOverlap() bool {
	for i, a := range m.spans {
		for _, b := range m.spans[i+1:] {
			if (a.open || !a.to.Before(b.from)) && (b.open || !b.to.Before(a.from)) {
				return true
			}
		}
	}
	return false
}

// axisSpans places the steps' spans on the data columns from first on,
// last being the current column (open spans reach it).
func (m Model) axisSpans(first, last int) []timeaxis.Span {
	var out []timeaxis.Span
	for _, s := range m.spans {
		sp := timeaxis.Span{From: m.hist.IndexAt(s.from) - first, To: m.hist.IndexAt(s.to) - first,
			Label: s.label, Open: s.open, Failed: s.failed}
		if s.open {
			sp.To = last - first
		}
		out = append(out, sp)
	}
	return out
}
