package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/scalelab/scalelab/analysis"
)

// SteadyStateResult is the steady state's judgement in the JSON summary:
// the window before the method and the one after it, each absent when the
// plan gives none (after: also when the method never ran).
type SteadyStateResult struct {
	Before *HypothesisResult `json:"before,omitempty"`
	After  *HypothesisResult `json:"after,omitempty"`
}

// HypothesisResult is the steady state over one window: ok, the window
// judged (seconds from the load's start), the thresholds' statuses (as in
// the summary's thresholds), and a note when it was not judged (ok is
// then false).
type HypothesisResult struct {
	OK         bool              `json:"ok"`
	FromS      float64           `json:"from_s"`
	ToS        float64           `json:"to_s"`
	Thresholds []ThresholdResult `json:"thresholds"`
	Note       string            `json:"note,omitempty"`
}

// NewHypothesisResult is a window's judgement as the summary keeps it.
func NewHypothesisResult(ok bool, statuses []analysis.Status, from, to time.Duration, note string) *HypothesisResult {
	h := &HypothesisResult{OK: ok, FromS: seconds(from), ToS: seconds(to), Note: note, Thresholds: []ThresholdResult{}}
	for _, s := range statuses {
		h.Thresholds = append(h.Thresholds, NewThresholdResult(s))
	}
	return h
}

// failed names the failed thresholds (latency p(99)<100 = 312ms), or the
// note.
func (h HypothesisResult) failed() string {
	if h.Note != "" {
		return printable(h.Note)
	}
	var parts []string
	for _, t := range h.Thresholds {
		if !t.OK {
			parts = append(parts, printable(t.name())+" = "+printable(t.value()))
		}
	}
	return strings.Join(parts, "; ")
}

// RollbackResult is one rollback action in the JSON summary.
type RollbackResult struct {
	Action    string  `json:"action"`
	OK        bool    `json:"ok"`
	Error     string  `json:"error,omitempty"`
	DurationS float64 `json:"duration_s"`
}

// writeSteady prints the steady state's windows: each threshold, ✓ or ✗,
// and the window's outcome.
func (r Summary) writeSteady(w io.Writer) {
	ss := r.SteadyState
	if ss == nil || (ss.Before == nil && ss.After == nil) {
		return
	}
	fmt.Fprintf(w, "\n  steady state\n")
	for _, c := range []struct {
		name string
		h    *HypothesisResult
	}{{"before the method", ss.Before}, {"after the method", ss.After}} {
		h := c.h
		if h == nil {
			continue
		}
		state := "met"
		if !h.OK {
			state = "not met: " + h.failed()
		}
		fmt.Fprintf(w, "    %s (%.1fs..%.1fs): %s\n", c.name, h.FromS, h.ToS, state)
		for _, t := range h.Thresholds {
			mark := "✓"
			if !t.OK {
				mark = "✗"
			}
			fmt.Fprintf(w, "      %s %s  %s\n", mark, printable(t.name()), printable(t.Text))
		}
	}
}

// writeRollbacks prints the rollbacks run, each with its outcome.
func (r Summary) writeRollbacks(w io.Writer) {
	if len(r.Rollbacks) == 0 {
		return
	}
	fmt.Fprintf(w, "\n  rollbacks\n")
	for _, rb := range r.Rollbacks {
		state := "completed"
		if !rb.OK {
			state = "failed: " + printable(rb.Error)
		}
		fmt.Fprintf(w, "    %-24s for %5.1fs  %s\n", printable(rb.Action), rb.DurationS, state)
	}
}
