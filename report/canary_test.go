package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/engine"
)

// canarySample is a version's requests, 10 to 14 ms times slow, failed
// of them failing, in an engine histogram.
func canarySample(t *testing.T, version string, n int, slow float64, failed uint64) canary.Sample {
	t.Helper()
	h := engine.NewHistogram()
	for i := range n {
		if err := h.RecordValue(int64(float64(10_000+i*37%4000) * slow)); err != nil {
			t.Fatal(err)
		}
	}
	return canary.Sample{Version: version, Requests: uint64(n), Failed: failed, Latency: h}
}

// TestCanaryInTheSummary: a promoted, a rolled-back and an inconclusive
// canary in the JSON summary (the names), the text summary's
// block and verdict line, and the JUnit testcase (failing unless
// promoted).
func TestCanaryInTheSummary(t *testing.T) {
	cfg := canary.DefaultConfig()
	cfg.Count = 2
	good := []canary.IntervalResult{
		canary.Judge(cfg, canarySample(t, "v1", 600, 1, 0), canarySample(t, "v2", 300, 1, 0)),
		canary.Judge(cfg, canarySample(t, "v1", 600, 1, 0), canarySample(t, "v2", 300, 1, 0)),
	}
	slow := []canary.IntervalResult{canary.Judge(cfg, canarySample(t, "v1", 600, 1, 0), canarySample(t, "v2", 300, 3, 0))}
	sparse := []canary.IntervalResult{
		canary.Judge(cfg, canarySample(t, "v1", 600, 1, 0), canarySample(t, "v2", 10, 1, 0)),
		canary.Judge(cfg, canarySample(t, "v1", 600, 1, 0), canarySample(t, "v2", 10, 1, 0)),
	}
	for _, c := range []struct {
		name      string
		intervals []canary.IntervalResult
		action    canary.Action
		verdict   analysis.Verdict
		decision  string
		outcomes  []string
		text      []string
		failure   string // the JUnit testcase's, "" when it passes
	}{
		{"promoted", good, canary.Promote, analysis.VerdictPass, "promote", []string{"pass", "pass"},
			[]string{"  canary v2 against v1 (step canary=v2:25%)\n     1 pass         v2 p99 14.0 ms vs v1 14.0 ms (1.00×), errors 0.00% vs 0.00%\n",
				"    v2 p99 14.0 ms vs v1 14.0 ms (1.00×), errors 0.00% vs 0.00% over 2 intervals: promote\n    → promoted\n",
				"  verdict: PASS\n"}, ""},
		{"rolled back", slow, canary.Rollback, analysis.VerdictFail, "rollback", []string{"fail"},
			[]string{"     1 fail         v2 p99 41.9 ms vs v1 14.0 ms (3.0× > 1.20×, U-test p < 0.001)\n",
				"    v2 p99 41.9 ms vs v1 14.0 ms (3.0×, U-test p < 0.001, in 1 of 1 interval): roll back\n    → rolled back\n",
				"  verdict: FAIL (canary v2 rolled back: v2 p99 41.9 ms vs v1 14.0 ms (3.0×, U-test p < 0.001, in 1 of 1 interval): roll back)\n"},
			"canary v2 rolled back: v2 p99 41.9 ms vs v1 14.0 ms (3.0×, U-test p < 0.001, in 1 of 1 interval): roll back"},
		{"inconclusive", sparse, canary.Rollback, analysis.VerdictFail, "inconclusive", []string{"inconclusive", "inconclusive"},
			[]string{"     2 inconclusive v2 10 requests, v1 600: fewer than 200 (min_samples)\n",
				"(inconclusive_limit 1): inconclusive\n    → rolled back\n",
				"  verdict: FAIL (canary v2 inconclusive: v2 10 requests, v1 600: fewer than 200 (min_samples) in 2 of 2 intervals (inconclusive_limit 1): inconclusive)\n"},
			"canary v2 inconclusive: v2 10 requests, v1 600: fewer than 200 (min_samples) in 2 of 2 intervals (inconclusive_limit 1): inconclusive"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := canary.Decide(cfg, c.intervals)
			if string(d.Action) != c.decision {
				t.Fatalf("decided %s, want %s", d.Action, c.decision)
			}
			var s Summary
			s.Command, s.Target = "demo", "http://127.0.0.1:8080/"
			s.Judged(c.verdict, nil, nil)
			s.Canary = NewCanaryResult("canary=v2:25%", "v2", "v1", d, c.intervals, c.action, true, "", c.verdict == analysis.VerdictPass)

			var b bytes.Buffer
			s.WriteVerdict(&b, nil)
			for _, w := range c.text {
				if !strings.Contains(b.String(), w) {
					t.Errorf("text:\n%s\nwant:\n%s", b.String(), w)
				}
			}

			js, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var back struct {
				Canary *struct {
					Version   string `json:"version"`
					Baseline  string `json:"baseline"`
					Decision  string `json:"decision"`
					Reason    string `json:"reason"`
					Passed    bool   `json:"passed"`
					Intervals []struct {
						Outcome  string `json:"outcome"`
						Reason   string `json:"reason"`
						Baseline struct {
							Requests  uint64   `json:"requests"`
							ErrorRate *float64 `json:"error_rate"`
							P50       float64  `json:"p50_ms"`
							P99       float64  `json:"p99_ms"`
						} `json:"baseline"`
						Canary struct {
							Requests uint64  `json:"requests"`
							P99      float64 `json:"p99_ms"`
						} `json:"canary"`
						P99Ratio *float64 `json:"p99_ratio"`
						UP       *float64 `json:"u_p"`
					} `json:"intervals"`
				} `json:"canary"`
			}
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatal(err)
			}
			bc := back.Canary
			if bc == nil || bc.Version != "v2" || bc.Baseline != "v1" || bc.Decision != c.decision || bc.Reason != d.Reason ||
				bc.Passed != (c.failure == "") || len(bc.Intervals) != len(c.intervals) {
				t.Fatalf("JSON canary: %s", js)
			}
			for i, iv := range bc.Intervals {
				r := c.intervals[i]
				if iv.Outcome != c.outcomes[i] || iv.Reason != r.Reason || iv.Baseline.Requests != r.Baseline.Requests ||
					iv.Canary.Requests != r.Canary.Requests || iv.Baseline.ErrorRate == nil || iv.Baseline.P50 != r.Baseline.P50 ||
					iv.Baseline.P99 != r.Baseline.P99 || iv.Canary.P99 != r.Canary.P99 ||
					iv.P99Ratio == nil || *iv.P99Ratio != r.P99Ratio || iv.UP == nil || *iv.UP != r.Latency.PSlower {
					t.Errorf("JSON interval %d: %+v, want the figures of %+v", i+1, iv, r)
				}
			}

			var x bytes.Buffer
			if err := WriteJUnit(&x, s, nil); err != nil {
				t.Fatal(err)
			}
			var suite JUnitSuite
			if err := xml.Unmarshal(x.Bytes(), &suite); err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, tc := range suite.Cases {
				if tc.Classname != "canary" {
					continue
				}
				found = true
				if tc.Name != "canary v2" {
					t.Errorf("testcase %q, want canary v2", tc.Name)
				}
				switch {
				case c.failure == "" && tc.Failure != nil:
					t.Errorf("a promoted canary's testcase fails: %q", tc.Failure.Message)
				case c.failure != "" && (tc.Failure == nil || tc.Failure.Message != c.failure):
					t.Errorf("testcase failure %+v, want %q", tc.Failure, c.failure)
				}
			}
			if wantFailures := map[bool]int{true: 0, false: 1}[c.failure == ""]; !found || suite.Failures != wantFailures {
				t.Errorf("JUnit %s: want the canary's testcase, %d failures", x.String(), wantFailures)
			}
		})
	}
}

// TestCanaryNotActedOn: a canary the cluster could not act on says so in
// its block and in the JUnit failure; a failed promotion fails the run.
func TestCanaryNotActedOn(t *testing.T) {
	cfg := canary.DefaultConfig()
	cfg.Count = 1
	good := []canary.IntervalResult{canary.Judge(cfg, canarySample(t, "v1", 600, 1, 0), canarySample(t, "v2", 300, 1, 0))}
	d := canary.Decide(cfg, good)
	var s Summary
	s.Judged(analysis.VerdictFail, nil, nil)
	s.Canary = NewCanaryResult("canary=v2", "v2", "v1", d, good, canary.Promote, false, "promote v2: rollout stuck", false)
	var b bytes.Buffer
	s.WriteVerdict(&b, nil)
	for _, w := range []string{"    → not promoted: promote v2: rollout stuck\n",
		"  verdict: FAIL (canary v2 promotion failed: v2 p99 14.0 ms vs v1 14.0 ms (1.00×), errors 0.00% vs 0.00% over 1 interval: promote (promote v2: rollout stuck))\n"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("text:\n%s\nwant:\n%s", b.String(), w)
		}
	}
}
