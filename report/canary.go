package report

import (
	"fmt"
	"io"

	"github.com/scalelab/scalelab/canary"
)

// CanaryResult is a canary's analysis in the JSON summary: the canary's
// version and its baseline's, the decision (promote, rollback or
// inconclusive) with its reason (the verdict's line), what the run did
// (action: promote or rollback; acted when the cluster completed it,
// note why not), passed when it passes the run (promoted), and each
// interval judged.
type CanaryResult struct {
	Step      string           `json:"step"`
	Version   string           `json:"version"`
	Baseline  string           `json:"baseline"`
	Decision  string           `json:"decision"`
	Reason    string           `json:"reason"`
	Action    string           `json:"action,omitempty"`
	Acted     bool             `json:"acted"`
	Note      string           `json:"note,omitempty"`
	Passed    bool             `json:"passed"`
	Intervals []CanaryInterval `json:"intervals"`
}

// CanaryInterval is one interval judged: its outcome (pass, fail or
// inconclusive), the metric that decided a fail or an inconclusive one
// (requests, errors, p50, p99), its reason, both versions' figures, the
// canary's p99 over the baseline's (0 without latency on either side) and
// the one-sided p-values of the U test (the canary slower), of the tail
// test (more of it above the baseline's p99) and of the errors' test.
type CanaryInterval struct {
	Outcome  string        `json:"outcome"`
	Metric   string        `json:"metric,omitempty"`
	Reason   string        `json:"reason"`
	Baseline CanaryFigures `json:"baseline"`
	Canary   CanaryFigures `json:"canary"`
	P50Ratio float64       `json:"p50_ratio"`
	P99Ratio float64       `json:"p99_ratio"`
	UP       float64       `json:"u_p"`
	TailP    float64       `json:"tail_p"`
	ErrorsP  float64       `json:"errors_p"`
}

// CanaryFigures are one version's figures over an interval: requests,
// failed (transport errors and 5xx), error_rate (failed over requests)
// and the latency's p50 and p99 in milliseconds.
type CanaryFigures struct {
	Requests  uint64  `json:"requests"`
	Failed    uint64  `json:"failed"`
	ErrorRate float64 `json:"error_rate"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
}

// NewCanaryResult is a canary's analysis as the summary keeps it: the
// step's label, the versions, the decision and its intervals, and what
// the run did: action, acted, note, and passed.
func NewCanaryResult(step, version, baseline string, d canary.Decision, intervals []canary.IntervalResult,
	action canary.Action, acted bool, note string, passed bool) *CanaryResult {
	c := &CanaryResult{Step: step, Version: version, Baseline: baseline, Decision: string(d.Action), Reason: d.Reason,
		Action: string(action), Acted: acted, Note: note, Passed: passed, Intervals: []CanaryInterval{}}
	for _, r := range intervals {
		c.Intervals = append(c.Intervals, CanaryInterval{Outcome: string(r.Outcome), Metric: r.Metric, Reason: r.Reason,
			Baseline: canaryFigures(r.Baseline), Canary: canaryFigures(r.Canary), P50Ratio: r.P50Ratio,
			P99Ratio: r.P99Ratio, UP: r.Latency.PSlower, TailP: r.Tail.P, ErrorsP: r.Errors.P})
	}
	return c
}

func canaryFigures(f canary.Figures) CanaryFigures {
	return CanaryFigures{Requests: f.Requests, Failed: f.Failed, ErrorRate: f.ErrorRate, P50Ms: f.P50, P99Ms: f.P99}
}

// failed is why the canary fails the run, for the verdict's line and the
// JUnit testcase: "canary v2 rolled back: REASON".
func (c CanaryResult) failed() string {
	what := "not promoted"
	switch {
	case c.Action == string(canary.Promote): // its promotion failed
		what = "promotion failed"
	case c.Decision == string(canary.Rollback):
		what = "rolled back"
	case c.Decision == string(canary.InconclusiveDecision):
		what = "inconclusive"
	}
	msg := fmt.Sprintf("canary %s %s: %s", printable(c.Version), what, printable(c.Reason))
	if c.Note != "" {
		msg += " (" + printable(c.Note) + ")"
	}
	return msg
}

// writeCanary prints the canary's block: the versions, each interval's
// outcome and figures, and the decision's line with what was done.
func (r Summary) writeCanary(w io.Writer) {
	c := r.Canary
	if c == nil {
		return
	}
	fmt.Fprintf(w, "\n  canary %s against %s (step %s)\n", printable(c.Version), printable(c.Baseline), printable(c.Step))
	for i, iv := range c.Intervals {
		fmt.Fprintf(w, "    %2d %-12s %s\n", i+1, iv.Outcome, printable(iv.Reason))
	}
	done := "nothing done"
	switch {
	case c.Acted && c.Action == string(canary.Promote):
		done = "promoted"
	case c.Acted:
		done = "rolled back"
	case c.Action == string(canary.Promote):
		done = "not promoted"
	case c.Action != "":
		done = "not rolled back"
	}
	if c.Note != "" {
		done += ": " + printable(c.Note)
	}
	fmt.Fprintf(w, "    %s\n    → %s\n", printable(c.Reason), done)
}
