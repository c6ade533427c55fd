// Package canary is the canary panel: while a canary step is judged and
// after, the canary and its baseline side by side (share of the two's
// requests, rate, error rate, p50 and p99) with the figures the judge
// took (the last interval judged while it judges, every judged interval
// together once it decided), a mark per interval (✓ pass, ✗ fail, ?
// inconclusive, · to come) with their counts, and the decision's line
// with what the run did about it.
package canary

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/header"
	"github.com/scalelab/scalelab/ui/components/versions"
)

// Rows is how many lines View takes in the full layout; CompactRows in
// the reduced one (the title with the marks, and the decision).
const (
	Rows        = 5
	CompactRows = 2
)

// Info is what the panel shows: a session.CanaryResult's fields and the
// analysis's interval count.
type Info struct {
	// Version is the canary's, Baseline the version it is judged against
	// (empty before the first interval was judged).
	Version, Baseline string
	// Count is how many intervals the analysis judges to promote.
	Count int
	// Intervals are the intervals judged, in order, and Spans their
	// lengths.
	Intervals []canary.IntervalResult
	Spans     []time.Duration
	// Decision is the judge's (Undecided while it judges); Action what
	// the run does on it.
	Decision canary.Decision
	Action   canary.Action
	// Awaiting: the operator is asked; Confirmed: they answered.
	Awaiting, Confirmed bool
	// Acted: the cluster completed Action; ActionFailed: it failed, Note
	// says why (or why nothing was done).
	Acted, ActionFailed bool
	Note                string
	// EndedBy is the plan's step that ended the canary before a decision.
	EndedBy string
}

// decided reports a decision (or a plan's step that ended the canary).
func (in Info) decided() bool { return in.Decision.Action != canary.Undecided || in.EndedBy != "" }

// View renders the panel in rows lines (Rows, or CompactRows and fewer:
// the compact form) of at most width cells.
func View(st *common.Styles, in Info, width, rows int) []string {
	var out []string
	if rows < Rows {
		out = []string{title(st, in), decision(st, in)}
	} else {
		head, can, base := table(st, in)
		out = []string{title(st, in), head, can, base, decision(st, in)}
	}
	out = out[:min(rows, len(out))]
	for i, l := range out {
		out[i] = ansi.Truncate(l, width, "…")
	}
	return out
}

// title is "canary v2 vs v1 · judging 3/6 · ✓✓✗··· 2 pass · 1 fail ·
// 0 inconclusive · rolled back in …".
func title(st *common.Styles, in Info) string {
	name := versions.Name(in.Version)
	if in.Baseline != "" {
		name += " vs " + versions.Name(in.Baseline)
	}
	state := fmt.Sprintf("judging %d/%d", len(in.Intervals), in.Count)
	if in.decided() {
		state = fmt.Sprintf("decided after %d/%d", in.Decision.Judged, in.Count)
	}
	var pass, fail, inc int
	var marks strings.Builder
	for _, r := range in.Intervals {
		switch r.Outcome {
		case canary.Pass:
			pass++
			marks.WriteString(st.Good.Render("✓"))
		case canary.Fail:
			fail++
			marks.WriteString(st.Bad.Render("✗"))
		default:
			inc++
			marks.WriteString(st.Warn.Render("?"))
		}
	}
	if !in.decided() {
		for range max(in.Count-len(in.Intervals), 0) {
			marks.WriteString(st.Dim.Render("·"))
		}
	}
	sep := st.Dim.Render(" · ")
	parts := []string{st.PanelTitle.Render("canary") + " " + st.Bold.Render(name), state,
		marks.String() + " " + fmt.Sprintf("%d pass", pass) + sep + fmt.Sprintf("%d fail", fail) + sep +
			fmt.Sprintf("%d inconclusive", inc)}
	if a := action(st, in); a != "" {
		parts = append(parts, a)
	}
	return strings.Join(parts, sep)
}

// action is what the run did or does on the decision, empty while the
// judge judges.
func action(st *common.Styles, in Info) string {
	verb := "roll back"
	if in.Action == canary.Promote {
		verb = "promote"
	}
	who := ""
	if in.Confirmed {
		who = " (operator)"
	}
	switch {
	case !in.decided():
		return ""
	case in.EndedBy != "":
		return st.Dim.Render("ended by step " + in.EndedBy)
	case in.Awaiting:
		return st.Warn.Render(verb + "? waiting for the operator (y/n)")
	case in.ActionFailed:
		return st.Bad.Render(verb + " failed")
	case in.Acted && in.Action == canary.Promote:
		return st.Good.Render("promoted" + who)
	case in.Acted:
		return st.Bad.Render("rolled back" + who)
	case in.Note != "":
		return st.Dim.Render(in.Note)
	}
	if in.Action == canary.Promote {
		return st.Status.Render("promoting…")
	}
	return st.Status.Render("rolling back…")
}

// table is the two versions' figures: its head and one row each, from
// the last judged interval while judging, else over the judged intervals
// (the decision's Overall, as the judge merged them).
func table(st *common.Styles, in Info) (head, can, base string) {
	const cols = "%-22s %7s %9s %8s %9s %9s"
	what := "waiting for the first interval"
	var r canary.IntervalResult
	var span time.Duration
	n := len(in.Intervals)
	switch {
	case in.decided() && in.Decision.Judged > 0:
		r = in.Decision.Overall
		for _, s := range in.Spans[:min(in.Decision.Judged, len(in.Spans))] {
			span += s
		}
		what = fmt.Sprintf("over %d intervals", in.Decision.Judged)
		if in.Decision.Judged == 1 {
			what = "over 1 interval"
		}
	case n > 0:
		r = in.Intervals[n-1]
		if n <= len(in.Spans) {
			span = in.Spans[n-1]
		}
		what = fmt.Sprintf("interval %d (%s)", n, span.Round(100*time.Millisecond))
	}
	head = st.Dim.Render(fmt.Sprintf(cols, what, "share", "rate", "errors", "p50", "p99"))
	if n == 0 {
		return head, row(st, cols, versions.Name(in.Version)+" canary", canary.Figures{}, 0, 0, false),
			row(st, cols, "baseline", canary.Figures{}, 0, 0, false)
	}
	total := r.Canary.Requests + r.Baseline.Requests
	can = row(st, cols, versions.Name(in.Version)+" canary", r.Canary, total, span, true)
	name := "baseline"
	if in.Baseline != "" {
		name = versions.Name(in.Baseline) + " baseline"
	}
	base = row(st, cols, name, r.Baseline, total, span, true)
	return head, can, base
}

// row is one version's figures over span, its share of total requests.
func row(st *common.Styles, cols, name string, f canary.Figures, total uint64, span time.Duration, known bool) string {
	if !known {
		return fmt.Sprintf(cols, name, "–", "–", "–", "–", "–")
	}
	share, rate, p50, p99 := "–", "–", "–", "–"
	if total > 0 {
		share = fmt.Sprintf("%.1f%%", float64(f.Requests)/float64(total)*100)
	}
	if span > 0 {
		rate = header.Rate(float64(f.Requests) / span.Seconds())
	}
	if f.Requests > 0 {
		p50, p99 = header.Ms(f.P50), header.Ms(f.P99)
	}
	errs := fmt.Sprintf("%8s", fmt.Sprintf("%.2f%%", f.ErrorRate*100))
	if f.Failed > 0 {
		errs = st.Bad.Render(errs)
	}
	return fmt.Sprintf("%-22s %7s %9s ", name, share, rate) + errs + fmt.Sprintf(" %9s %9s", p50, p99)
}

// decision is the verdict's own line, or the last interval's reason while
// judging.
func decision(st *common.Styles, in Info) string {
	switch {
	case in.decided():
		style := st.Bad
		if in.Decision.Action == canary.Promote {
			style = st.Good
		}
		line := style.Render("decision") + " " + in.Decision.Reason
		if in.ActionFailed && in.Note != "" {
			line += st.Dim.Render(" · ") + st.Bad.Render(in.Note)
		}
		return line
	case len(in.Intervals) > 0:
		r := in.Intervals[len(in.Intervals)-1]
		return st.Dim.Render(fmt.Sprintf("interval %d %s: ", len(in.Intervals), r.Outcome)) + r.Reason
	}
	return st.Dim.Render("the judge compares the canary with the baseline each interval")
}
