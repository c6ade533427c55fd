package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scalelab/scalelab/analysis"
)

// SearchResult is a capacity search's result in the JSON summary
// (search): the highest rate that held every until threshold, why the
// search stopped, and its steps.
type SearchResult struct {
	// HighestHeldRPS is the highest rate held, in requests per second;
	// null when even the first rate failed (or none was judged).
	HighestHeldRPS *float64 `json:"highest_held_rps"`
	// StoppedBy is threshold, generator, max, duration or stopped
	// (docs/plans.md).
	StoppedBy string `json:"stopped_by"`
	// Steps are the rates judged, in order (an empty array, not null).
	Steps []SearchStepResult `json:"steps"`
}

// SearchStepResult is one rate of a search, over its judged span (its
// hold less the warm-up).
type SearchStepResult struct {
	// RateRPS is the rate asked for; AchievedRPS the requests a second
	// that ended in the judged span.
	RateRPS     float64 `json:"rate_rps"`
	AchievedRPS float64 `json:"achieved_rps"`
	// StartS and EndS bound the step, in seconds from the load's start;
	// JudgedS is the span judged.
	StartS  float64 `json:"start_s"`
	EndS    float64 `json:"end_s"`
	JudgedS float64 `json:"judged_s"`
	// Requests, Failed, Dropped and Late count the judged span's, as the
	// summary's fields of those names.
	Requests uint64 `json:"requests"`
	Failed   uint64 `json:"failed"`
	Dropped  uint64 `json:"dropped"`
	Late     uint64 `json:"late"`
	// MeanLagMs is the sends' mean scheduling lag (actual minus intended
	// send), in milliseconds.
	MeanLagMs float64 `json:"mean_lag_ms"`
	// P50Ms and P99Ms are the latency's percentiles (from the intended
	// send), null without a request.
	P50Ms *float64 `json:"p50_ms"`
	P99Ms *float64 `json:"p99_ms"`
	// Availability is (requests - failed) / requests, 0..1.
	Availability float64 `json:"availability"`
	// CPU is the process's mean CPU use, a share of its processors; null
	// when not measured.
	CPU *float64 `json:"cpu"`
	// Held says the step held every threshold with the generator keeping
	// up. Thresholds are the until thresholds' statuses over the span.
	Held       bool              `json:"held"`
	Thresholds []ThresholdResult `json:"thresholds"`
	// GeneratorBound is set when the generator did not keep up with the
	// rate; Generator then says how ("2.3% of sends late").
	GeneratorBound bool   `json:"generator_bound"`
	Generator      string `json:"generator,omitempty"`
}

// SearchStep is what NewSearchStep needs of a step, as the session
// measured it.
type SearchStep struct {
	Rate, Achieved                  float64
	Start, End, Judged              time.Duration
	Requests, Failed, Dropped, Late uint64
	MeanLag                         time.Duration
	P50, P99                        time.Duration
	NoLatency                       bool
	Availability                    float64
	CPU                             float64
	CPUKnown                        bool
	Statuses                        []analysis.Status
	Held                            bool
	Generator                       string
}

// NewSearchStep is a step as the summary keeps it.
func NewSearchStep(s SearchStep) SearchStepResult {
	r := SearchStepResult{RateRPS: round3(s.Rate), AchievedRPS: round3(s.Achieved),
		StartS: seconds(s.Start), EndS: seconds(s.End), JudgedS: seconds(s.Judged),
		Requests: s.Requests, Failed: s.Failed, Dropped: s.Dropped, Late: s.Late, MeanLagMs: millis(s.MeanLag),
		Availability: s.Availability, Held: s.Held, GeneratorBound: s.Generator != "", Generator: s.Generator,
		Thresholds: []ThresholdResult{}}
	if !s.NoLatency {
		p50, p99 := millis(s.P50), millis(s.P99)
		r.P50Ms, r.P99Ms = &p50, &p99
	}
	if s.CPUKnown {
		c := math.Round(s.CPU*1000) / 1000
		r.CPU = &c
	}
	for _, st := range s.Statuses {
		r.Thresholds = append(r.Thresholds, NewThresholdResult(st))
	}
	return r
}

// NewSearchResult is the search's result: found says whether any rate
// held (highest its rate).
func NewSearchResult(highest float64, found bool, stoppedBy string, steps []SearchStepResult) *SearchResult {
	r := &SearchResult{StoppedBy: stoppedBy, Steps: steps}
	if r.Steps == nil {
		r.Steps = []SearchStepResult{}
	}
	if found {
		h := round3(highest)
		r.HighestHeldRPS = &h
	}
	return r
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func millis(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*1000) / 1000
}

// WriteSearch prints the search's step table and its result line:
//
//	capacity search (stopped by threshold)
//	      rate   achieved     p50     p99  availability  result
//	  100 req/s  99.8 req/s  2.1ms   4.3ms      100.000%  held
//	  ...
//	highest rate held: 2,400 req/s (next, 2,880 req/s: p(99)=312ms ≥ 200ms)
func (r *SearchResult) WriteSearch(w io.Writer) {
	fmt.Fprintf(w, "\n  capacity search (stopped by %s)\n", r.StoppedBy)
	fmt.Fprintf(w, "    %14s  %14s  %8s  %8s  %12s  %s\n", "rate", "achieved", "p50", "p99", "availability", "result")
	for _, s := range r.Steps {
		p50, p99 := "-", "-"
		if s.P50Ms != nil {
			p50, p99 = ms(*s.P50Ms), ms(*s.P99Ms)
		}
		fmt.Fprintf(w, "    %14s  %14s  %8s  %8s  %11.3f%%  %s\n", Rate(s.RateRPS), Rate(s.AchievedRPS), p50, p99, s.Availability*100, s.outcome())
	}
	fmt.Fprintf(w, "\n  %s\n", r.Line())
}

// outcome is the step's result in words: held; failed: p(99)=312ms ≥
// 200ms; generator-bound: 2.3% of sends late.
func (s SearchStepResult) outcome() string {
	switch {
	case s.GeneratorBound:
		return "generator-bound: " + s.Generator
	case s.Held:
		return "held"
	}
	return "failed: " + s.failing()
}

// failing names the step's failed thresholds with their values.
func (s SearchStepResult) failing() string {
	var parts []string
	for _, t := range s.Thresholds {
		if !t.OK {
			parts = append(parts, breach(t))
		}
	}
	return strings.Join(parts, ", ")
}

// breach is a failed threshold's value against its limit: p(99)=312ms ≥
// 200ms (the comparison that held instead), or latency p(99): no data.
func breach(t ThresholdResult) string {
	if t.NoData {
		return printable(t.name()) + ": no data"
	}
	op, limit, ok := splitSource(t.Source)
	if !ok {
		return printable(t.name()) + " = " + printable(t.value())
	}
	if _, err := strconv.ParseFloat(limit, 64); err == nil && (t.Metric == "latency" || t.Metric == "service_time") {
		limit += "ms" // a plain number is milliseconds
	}
	return printable(t.Text) + " " + negated(op) + " " + printable(limit)
}

// splitSource splits an expression at its operator: p(99)<200 gives <
// and 200.
func splitSource(src string) (op, right string, ok bool) {
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '<', '>', '=', '!':
			j := i + 1
			for j < len(src) && strings.IndexByte("<>=!", src[j]) >= 0 {
				j++
			}
			return src[i:j], strings.TrimSpace(src[j:]), true
		}
	}
	return "", "", false
}

// negated is the comparison that holds when op fails.
func negated(op string) string {
	switch op {
	case "<":
		return "≥"
	case "<=":
		return ">"
	case ">":
		return "≤"
	case ">=":
		return "<"
	case "==", "===":
		return "≠"
	case "!=":
		return "="
	}
	return "vs"
}

// Line is the search's result in one line: highest rate held: 2,400
// req/s (next, 2,880 req/s: p(99)=312ms ≥ 200ms); none held when even
// the first rate failed.
func (r *SearchResult) Line() string {
	head := "highest rate held: none"
	if r.HighestHeldRPS != nil {
		head = "highest rate held: " + Rate(*r.HighestHeldRPS)
	}
	var last *SearchStepResult
	if n := len(r.Steps); n > 0 {
		last = &r.Steps[n-1]
	}
	switch {
	case last != nil && !last.Held && r.HighestHeldRPS == nil:
		return fmt.Sprintf("%s (the first, %s: %s)", head, Rate(last.RateRPS), last.why())
	case last != nil && !last.Held:
		return fmt.Sprintf("%s (next, %s: %s)", head, Rate(last.RateRPS), last.why())
	case r.StoppedBy == "max":
		return head + " (every rate up to max held)"
	case r.StoppedBy == "duration":
		return head + " (the run's duration ended the search)"
	case r.StoppedBy == "stopped":
		return head + " (the load was stopped before the search ended)"
	}
	return head
}

// why says why a step did not hold.
func (s SearchStepResult) why() string {
	if s.GeneratorBound {
		return "the generator did not keep up, " + s.Generator + ": not the service's limit"
	}
	return s.failing()
}

// Rate writes a rate for people: 2,400 req/s, 337.5 req/s.
func Rate(v float64) string {
	v = math.Round(v*10) / 10
	whole, frac := math.Modf(v)
	digits := strconv.FormatFloat(whole, 'f', 0, 64)
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 && digits[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if f := math.Abs(frac); f >= 0.05 {
		b.WriteString(strings.TrimPrefix(strconv.FormatFloat(f, 'f', 1, 64), "0"))
	}
	return b.String() + " req/s"
}
