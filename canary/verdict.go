package canary

import (
	"fmt"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Action is what a decision over a canary's intervals calls for.
type Action string

// Decisions.
const (
	// Undecided: the intervals so far decide nothing yet.
	Undecided Action = ""
	// Promote: every interval judged passed, within the limits.
	Promote Action = "promote"
	// Rollback: more intervals failed than the failure limit tolerates.
	Rollback Action = "rollback"
	// InconclusiveDecision: more intervals were inconclusive than the
	// inconclusive limit tolerates. The UI asks the operator; a headless
	// run follows Config.OnInconclusive (Config.Headless).
	InconclusiveDecision Action = "inconclusive"
)

// Verb is the action as a question and an answer say it: "promote", or
// "roll back" (for any other).
func (a Action) Verb() string {
	if a == Promote {
		return "promote"
	}
	return "roll back"
}

// Done is Verb's past tense: "promoted", "rolled back".
func (a Action) Done() string {
	if a == Promote {
		return "promoted"
	}
	return "rolled back"
}

// Decision is the outcome of a canary's analysis so far.
type Decision struct {
	// Action is Undecided until the intervals decide.
	Action Action `json:"decision"`
	// Reason is the decision in one line, with its figures, as "v2 p99
	// 38.2 ms vs v1 12.1 ms (3.2×, U-test p < 0.001, in 1 of 8
	// intervals): roll back"; empty while undecided.
	Reason string `json:"reason,omitempty"`
	// Judged is how many intervals the decision took (the later ones are
	// not looked at: a decision stops the analysis); Passed, Failed and
	// Inconclusive count their outcomes.
	Judged       int `json:"judged"`
	Passed       int `json:"passed"`
	Failed       int `json:"failed"`
	Inconclusive int `json:"inconclusive"`
	// Overall is the figures over the judged intervals together (their
	// requests and latency histograms merged); the zero value without
	// intervals.
	Overall IntervalResult `json:"overall"`
}

// Decide applies Argo Rollouts' analysis semantics to the intervals judged
// so far, in order: the first interval that makes the failed ones more
// than cfg.FailureLimit rolls back, the first that makes the inconclusive
// ones more than cfg.InconclusiveLimit makes the decision inconclusive
// (either stops the analysis early), and cfg.Count intervals without
// either promote. Fewer intervals decide nothing yet (Undecided). The
// reason of a rollback gives the figures of the interval that decided; a
// promotion's, those over every interval.
func Decide(cfg Config, intervals []IntervalResult) Decision {
	var d Decision
	var last IntervalResult
	for _, r := range intervals {
		d.Judged++
		switch r.Outcome {
		case Fail:
			d.Failed++
			last = r
		case Inconclusive:
			d.Inconclusive++
			last = r
		default:
			d.Passed++
		}
		switch {
		case d.Failed > cfg.FailureLimit:
			d.Action = Rollback
		case d.Inconclusive > cfg.InconclusiveLimit:
			d.Action = InconclusiveDecision
		case d.Judged >= cfg.Count:
			d.Action = Promote
		}
		if d.Action != Undecided {
			break
		}
	}
	d.Overall = overall(cfg, intervals[:d.Judged])
	switch d.Action {
	case Rollback:
		d.Reason = fmt.Sprintf("%s, in %d of %s): roll back", strings.TrimSuffix(failedLine(last, cfg.Alpha), ")"),
			d.Failed, plural(d.Judged, "interval"))
	case InconclusiveDecision:
		d.Reason = fmt.Sprintf("%s in %d of %s (inconclusive_limit %d): inconclusive",
			last.Reason, d.Inconclusive, plural(d.Judged, "interval"), cfg.InconclusiveLimit)
	case Promote:
		o := &d.Overall
		d.Reason = fmt.Sprintf("%s (%s), %s over %s: promote", latencyLine(o, MetricP99), times(o.P99Ratio),
			errorRates(o), plural(d.Judged, "interval"))
	}
	return d
}

// Headless is the action a run without an operator takes on d: d's own,
// except that an inconclusive decision promotes only when
// cfg.OnInconclusive says so and rolls back otherwise (the run then fails).
func (cfg Config) Headless(d Decision) Action {
	if d.Action != InconclusiveDecision {
		return d.Action
	}
	if cfg.OnInconclusive == OnInconclusivePromote {
		return Promote
	}
	return Rollback
}

// failedLine is a failed interval's figures in the words of a decision:
// "v2 p99 38.2 ms vs v1 12.1 ms (3.2×, U-test p < 0.001)".
func failedLine(r IntervalResult, alpha float64) string {
	if r.Metric == MetricErrors {
		return fmt.Sprintf("%s (+%s pp, %s)", errorsLine(&r), pp(r.Errors.Increase), pValue("p", r.Errors.P))
	}
	test, p := latencyTest(&r, r.Metric, alpha)
	return fmt.Sprintf("%s (%s, %s %s)", latencyLine(&r, r.Metric), times(ratioOf(&r, r.Metric)), test, pValue("p", p))
}

// overall merges the intervals' counts and latency buckets and computes
// their figures (the outcome and reason are left empty).
func overall(cfg Config, intervals []IntervalResult) IntervalResult {
	if len(intervals) == 0 {
		return IntervalResult{}
	}
	b := side{name: intervals[0].Baseline.Version}
	c := side{name: intervals[0].Canary.Version}
	for _, r := range intervals {
		b.requests, b.failed = b.requests+r.Baseline.Requests, b.failed+r.Baseline.Failed
		c.requests, c.failed = c.requests+r.Canary.Requests, c.failed+r.Canary.Failed
	}
	b.latency, b.counts = mergeCells(intervals, func(r *IntervalResult) []cell { return r.base })
	c.latency, c.counts = mergeCells(intervals, func(r *IntervalResult) []cell { return r.can })
	var o IntervalResult
	o.base, o.can = cells(b.counts), cells(c.counts)
	fill(&o, cfg, b, c)
	return o
}

// mergeCells adds the cells of every interval's side into a histogram of
// engine.NewHistogram's geometry, returned with its counts.
func mergeCells(intervals []IntervalResult, of func(*IntervalResult) []cell) (*hdrhistogram.Histogram, []int64) {
	h := hdrhistogram.New(histLowest, histHighest, histSigFigs)
	snap := h.Export()
	for i := range intervals {
		for _, c := range of(&intervals[i]) {
			if int(c.i) < len(snap.Counts) {
				snap.Counts[c.i] += c.n
			}
		}
	}
	return hdrhistogram.Import(snap), snap.Counts
}

// plural writes "1 interval", "6 intervals".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
