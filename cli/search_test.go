package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// searchSummary is the JSON summary's search.
type searchSummary struct {
	Search *struct {
		HighestHeldRPS *float64 `json:"highest_held_rps"`
		StoppedBy      string   `json:"stopped_by"`
		Steps          []struct {
			RateRPS        float64  `json:"rate_rps"`
			AchievedRPS    float64  `json:"achieved_rps"`
			P99Ms          *float64 `json:"p99_ms"`
			Held           bool     `json:"held"`
			GeneratorBound bool     `json:"generator_bound"`
			Dropped        uint64   `json:"dropped"`
			Thresholds     []struct {
				Source string `json:"source"`
				OK     bool   `json:"ok"`
			} `json:"thresholds"`
		} `json:"steps"`
	} `json:"search"`
}

// TestSearchDemoFindsKnee runs a capacity search on a CPU-bound fleet (2
// replicas, 5 ms of CPU a request: at most 400 req/s on 2 cores): the
// rate doubles every 2 s from 50 req/s until p(99) fails, and the summary
// gives the highest rate held, below the first that failed.
func TestSearchDemoFindsKnee(t *testing.T) {
	bin := buildBinary(t)
	plan := writePlan(t, `name: knee
target: {fleet: {replicas: 2, version: v1, latency: 1ms, cpu_work: 5ms, startup_delay: 200ms, drain: 200ms}}
search:
  from: 50
  step: 100%
  hold: 2s
  max: 3200
  until:
    latency: ["p(99)<200"]
`)
	out, errOut, code := runBin(t, bin, "demo", "--headless", "--no-record", "--json", "--plan", plan)
	if code != 0 {
		t.Fatalf("exit %d, want 0 (a search that ran)\n%s", code, errOut)
	}
	var sum searchSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	s := sum.Search
	if s == nil || len(s.Steps) < 2 {
		t.Fatalf("want a search of 2 steps or more:\n%s\n%s", out, errOut)
	}
	last := s.Steps[len(s.Steps)-1]
	if s.StoppedBy != "threshold" || last.Held || len(last.Thresholds) != 1 || last.Thresholds[0].OK {
		t.Fatalf("stopped by %q, last step %+v; want a p(99) failure\n%s", s.StoppedBy, last, errOut)
	}
	if s.HighestHeldRPS == nil || *s.HighestHeldRPS < 50 || *s.HighestHeldRPS >= last.RateRPS {
		t.Errorf("highest held %v, want from 50 to below the failed %g req/s", s.HighestHeldRPS, last.RateRPS)
	}
	for _, st := range s.Steps[:len(s.Steps)-1] {
		if !st.Held || st.P99Ms == nil || *st.P99Ms >= 200 {
			t.Errorf("step %+v before the last did not hold", st)
		}
	}
	if !strings.Contains(errOut, "search  50 req/s") {
		t.Errorf("no progress line on stderr:\n%s", errOut)
	}
}

// TestSearchGeneratorBound: a rate the generator cannot send (2,000,000
// req/s to a loopback server) is the generator's limit, not the
// service's: stopped by generator, no rate held; the text says so.
func TestSearchGeneratorBound(t *testing.T) {
	bin := buildBinary(t)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	plan := writePlan(t, `name: too fast
target: {url: "`+srv.URL+`/"}
search: {from: 2000000, step: 10%, hold: 1s, max: 2000000, until: {latency: ["p(99)<10s"]}}
`)
	out, errOut, code := runBin(t, bin, "run", "--headless", "--no-record", "--json", "--plan", plan)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var sum searchSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	s := sum.Search
	if s == nil || s.StoppedBy != "generator" || s.HighestHeldRPS != nil || len(s.Steps) != 1 || !s.Steps[0].GeneratorBound {
		t.Fatalf("want stopped by generator, none held:\n%s\n%s", out, errOut)
	}
	out, _, code = runBin(t, bin, "run", "--headless", "--no-record", "--plan", plan)
	if code != 0 || !strings.Contains(out, "highest rate held: none (the first, 2,000,000 req/s: the generator did not keep up") {
		t.Errorf("text: exit %d\n%s", code, out)
	}
}

// TestSearchBadPlan: a hold too short to judge and a --rate against the
// search's exit 2 with one line naming the plan's line.
func TestSearchBadPlan(t *testing.T) {
	bin := buildBinary(t)
	short := writePlan(t, "name: short\ntarget: {url: \"http://127.0.0.1:1/\"}\nsearch: {from: 10, step: 10, hold: 500ms, max: 100, until: {latency: [\"p(99)<200\"]}}\n")
	_, errOut, code := runBin(t, bin, "run", "--headless", "--no-record", "--plan", short)
	if code != 2 || !strings.Contains(errOut, short+":3: search.hold 500ms: at least 1s") {
		t.Errorf("short hold: exit %d\n%s", code, errOut)
	}
	good := writePlan(t, "name: good\ntarget: {url: \"http://127.0.0.1:1/\"}\nsearch: {from: 10, step: 10, hold: 1s, max: 100, until: {latency: [\"p(99)<200\"]}}\n")
	_, errOut, code = runBin(t, bin, "run", "--headless", "--no-record", "--rate", "50", "--plan", good)
	if code != 2 || !strings.Contains(errOut, good+":3: search: --rate: the capacity search sets the rate") {
		t.Errorf("--rate with a search: exit %d\n%s", code, errOut)
	}
}
