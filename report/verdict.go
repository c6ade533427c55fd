package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/experiments"
)

// ExitAborted is the exit code of a run that a threshold with abortOnFail
// stopped (k6's).
const ExitAborted = 108

// ThresholdResult is a threshold's final status in the JSON summary.
type ThresholdResult struct {
	// Metric is the metric's name (latency, availability, ...), Filter its
	// filters as written in braces ({version:v2}; empty without), Source
	// the expression (p(99)<200).
	Metric string `json:"metric"`
	Filter string `json:"filter"`
	Source string `json:"source"`
	// Value is the measured value in the metric's unit: milliseconds for
	// latency and service_time, a fraction from 0 to 1 for the rates of
	// availability, errors, dropped and late, per second for the rate of
	// requests and for rps, a number for counts; null with no data.
	Value *float64 `json:"value"`
	// Text is the value as the text summary shows it (p(99)=183ms).
	Text string `json:"text"`
	// OK is the judgement; NoData says nothing was measured (which fails
	// unless the threshold allows it).
	OK     bool `json:"ok"`
	NoData bool `json:"no_data"`
	// FirstFailedS is when it first failed, in seconds from the load's
	// start; null if it never did.
	FirstFailedS *float64 `json:"first_failed_s"`
}

// AbortResult says which threshold aborted the run, its value then and
// when, in seconds from the load's start.
type AbortResult struct {
	Threshold string  `json:"threshold"`
	Value     float64 `json:"value"`
	Text      string  `json:"text"`
	AtS       float64 `json:"at_s"`
}

// NewThresholdResult is a status as the summary keeps it.
func NewThresholdResult(s analysis.Status) ThresholdResult {
	m := s.Threshold.Metric
	r := ThresholdResult{Metric: string(m.Name), Filter: strings.TrimPrefix(m.String(), string(m.Name)),
		Source: s.Threshold.Source, Text: s.Text, OK: s.OK, NoData: s.NoData}
	if !s.NoData {
		v := s.Value
		r.Value = &v
	}
	if s.FirstFailed != analysis.Never {
		f := seconds(s.FirstFailed)
		r.FirstFailedS = &f
	}
	return r
}

// NewAbortResult is the abort as the summary keeps it: the threshold
// (latency p(99)<200), its status then, and the breach's offset.
func NewAbortResult(th analysis.Threshold, st analysis.Status, at time.Duration) *AbortResult {
	return &AbortResult{Threshold: th.String(), Value: st.Value, Text: st.Text, AtS: seconds(at)}
}

func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

// Judged puts the run's verdict in the summary: the verdict (empty: the
// run had no threshold and no step, and the summary has none), the
// thresholds' final statuses and the abort (nil when none).
func (r *Summary) Judged(v analysis.Verdict, statuses []analysis.Status, aborted *AbortResult) {
	r.Verdict, r.Aborted = v, aborted
	r.Thresholds = nil
	for _, s := range statuses {
		r.Thresholds = append(r.Thresholds, NewThresholdResult(s))
	}
}

// name is the threshold as written: latency{version:v2} p(99)<200.
func (t ThresholdResult) name() string { return t.Metric + t.Filter + " " + t.Source }

// value is the measured value alone: 312ms, 99.5%, no data.
func (t ThresholdResult) value() string {
	if t.NoData {
		return "no data"
	}
	if _, v, ok := strings.Cut(t.Text, "="); ok {
		return v
	}
	return t.Text
}

// WriteVerdict prints the thresholds table, as k6's end-of-test summary
// (✓ or ✗, the expression, the value), and the verdict line; nothing
// without a verdict. steps are the run's (for the failed ones' names).
func (r Summary) WriteVerdict(w io.Writer, steps []experiments.Result) {
	if r.Verdict == "" {
		return
	}
	if len(r.Thresholds) > 0 {
		width := 0
		for _, t := range r.Thresholds {
			width = max(width, utf8.RuneCountInString(printable(t.Metric+t.Filter)))
		}
		fmt.Fprintf(w, "\n  thresholds\n")
		for _, t := range r.Thresholds {
			mark := "✓"
			if !t.OK {
				mark = "✗"
			}
			fmt.Fprintf(w, "    %s %-*s  %-16s  %s\n", mark, width, printable(t.Metric+t.Filter), printable(t.Source), printable(t.Text))
		}
	}
	r.writeSteady(w)
	r.writeCanary(w)
	r.writeRollbacks(w)
	fmt.Fprintf(w, "\n  verdict: %s\n", r.VerdictLine(steps))
}

// VerdictLine is the verdict in words: PASS; FAIL (1 of 2 thresholds
// failed: latency p(99)<200 = 312ms; 1 of 3 steps failed: 10s:kill=9);
// ABORTED at 12.3s: latency p(99)<200 = 312ms.
func (r Summary) VerdictLine(steps []experiments.Result) string {
	switch r.Verdict {
	case analysis.VerdictPass:
		return "PASS"
	case analysis.VerdictAborted:
		if a := r.Aborted; a != nil {
			v := a.Text
			if _, after, ok := strings.Cut(v, "="); ok {
				v = after
			}
			return fmt.Sprintf("ABORTED at %.1fs: %s = %s (abortOnFail)", a.AtS, printable(a.Threshold), printable(v))
		}
		return "ABORTED"
	case analysis.VerdictSteadyStateNotMet:
		why := "steady state not met before the method"
		if ss := r.SteadyState; ss != nil && ss.Before != nil {
			why += ": " + ss.Before.failed()
		}
		return "STEADY-STATE-NOT-MET (" + why + "; no step ran)"
	}
	var parts []string
	var failed []string
	for _, t := range r.Thresholds {
		if !t.OK {
			if t.NoData {
				failed = append(failed, printable(t.name())+": no data")
			} else {
				failed = append(failed, printable(t.name())+" = "+printable(t.value()))
			}
		}
	}
	if len(failed) > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d thresholds failed: %s", len(failed), len(r.Thresholds), strings.Join(failed, "; ")))
	}
	var bad []string
	for _, s := range steps {
		if s.StepFailed() {
			bad = append(bad, s.Spec)
		}
	}
	if len(bad) > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d steps failed: %s", len(bad), len(steps), strings.Join(bad, ", ")))
	}
	if ss := r.SteadyState; ss != nil && ss.After != nil && !ss.After.OK {
		parts = append(parts, "steady state not met after the method: "+ss.After.failed())
	}
	if c := r.Canary; c != nil && !c.Passed {
		parts = append(parts, c.failed())
	}
	if len(parts) == 0 {
		return strings.ToUpper(string(r.Verdict))
	}
	return strings.ToUpper(string(r.Verdict)) + " (" + strings.Join(parts, "; ") + ")"
}
