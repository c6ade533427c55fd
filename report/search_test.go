package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
)

func searchStatus(t *testing.T, metric, expr string, v float64, ok bool, text string) analysis.Status {
	t.Helper()
	th, err := analysis.ParseThreshold(metric, expr)
	if err != nil {
		t.Fatal(err)
	}
	return analysis.Status{Threshold: th, Value: v, OK: ok, Text: text, FirstFailed: analysis.Never}
}

func TestRate(t *testing.T) {
	for v, want := range map[float64]string{2400: "2,400 req/s", 337.5: "337.5 req/s", 100: "100 req/s",
		1234567: "1,234,567 req/s", 99.96: "100 req/s", 0: "0 req/s", 506.25: "506.3 req/s"} {
		if got := Rate(v); got != want {
			t.Errorf("Rate(%g) = %q, want %q", v, got, want)
		}
	}
}

// TestSearchText: the table and the line name the highest rate held and
// the next one's breach, its value against its limit.
func TestSearchText(t *testing.T) {
	held := NewSearchStep(SearchStep{Rate: 2400, Achieved: 2398.2, Start: 0, End: 2 * time.Second, Judged: time.Second,
		Requests: 2398, P50: 2 * time.Millisecond, P99: 20 * time.Millisecond, Availability: 1, Held: true,
		Statuses: []analysis.Status{searchStatus(t, "latency", "p(99)<200", 20, true, "p(99)=20ms")}})
	failed := NewSearchStep(SearchStep{Rate: 2880, Achieved: 2870, Start: 2 * time.Second, End: 4 * time.Second, Judged: time.Second,
		Requests: 2870, P50: 40 * time.Millisecond, P99: 312 * time.Millisecond, Availability: 0.999,
		Statuses: []analysis.Status{searchStatus(t, "latency", "p(99)<200", 312, false, "p(99)=312ms")}})
	r := NewSearchResult(2400, true, "threshold", []SearchStepResult{held, failed})
	if got, want := r.Line(), "highest rate held: 2,400 req/s (next, 2,880 req/s: p(99)=312ms ≥ 200ms)"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	var b bytes.Buffer
	r.WriteSearch(&b)
	for _, want := range []string{"capacity search (stopped by threshold)", "2,400 req/s", "held\n", "failed: p(99)=312ms ≥ 200ms\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table:\n%s\nwant %q", b.String(), want)
		}
	}

	gen := NewSearchStep(SearchStep{Rate: 2e6, Achieved: 180000, Requests: 180000, Late: 150000, Generator: "83.3% of sends late",
		Statuses: []analysis.Status{searchStatus(t, "latency", "p(99)<200", 5, true, "p(99)=5ms")}})
	g := NewSearchResult(0, false, "generator", []SearchStepResult{gen})
	if got, want := g.Line(), "highest rate held: none (the first, 2,000,000 req/s: the generator did not keep up, 83.3% of sends late: not the service's limit)"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	js, err := json.Marshal(Summary{Search: g})
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Search struct {
			HighestHeldRPS *float64 `json:"highest_held_rps"`
			StoppedBy      string   `json:"stopped_by"`
			Steps          []struct {
				RateRPS        float64  `json:"rate_rps"`
				GeneratorBound bool     `json:"generator_bound"`
				P99Ms          *float64 `json:"p99_ms"`
				Held           bool     `json:"held"`
			} `json:"steps"`
		} `json:"search"`
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	s := back.Search
	if s.HighestHeldRPS != nil || s.StoppedBy != "generator" || len(s.Steps) != 1 || !s.Steps[0].GeneratorBound || s.Steps[0].Held ||
		s.Steps[0].RateRPS != 2e6 || s.Steps[0].P99Ms == nil || *s.Steps[0].P99Ms != 0 {
		t.Errorf("JSON search %s", js)
	}
}
