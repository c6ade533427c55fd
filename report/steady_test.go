package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
)

// TestSteadyStateAndRollbacksInTheSummary: the steady state's windows and
// the rollbacks in the text summary, the verdict line, the JSON summary
// and the JUnit output, for a baseline not met and for a window after
// the method not met.
func TestSteadyStateAndRollbacksInTheSummary(t *testing.T) {
	slow := status(t, "latency", "p(99)<100", 312, false, false, time.Second, "p(99)=312ms")
	fine := status(t, "latency", "p(99)<100", 8.1, false, true, analysis.Never, "p(99)=8.1ms")
	rbs := []RollbackResult{{Action: "rollback", OK: true, DurationS: 1.25}, {Action: "scale=4", Error: "not done within 5s: context deadline exceeded", DurationS: 5}}
	for _, c := range []struct {
		name    string
		verdict analysis.Verdict
		ss      SteadyStateResult
		want    []string
	}{
		{"not met before", analysis.VerdictSteadyStateNotMet,
			SteadyStateResult{Before: NewHypothesisResult(false, []analysis.Status{slow}, 0, 3*time.Second, "")},
			[]string{"  steady state\n    before the method (0.0s..3.0s): not met: latency p(99)<100 = 312ms\n      ✗ latency p(99)<100  p(99)=312ms\n",
				"  rollbacks\n    rollback                 for   1.2s  completed\n    scale=4                  for   5.0s  failed: not done within 5s: context deadline exceeded\n",
				"  verdict: STEADY-STATE-NOT-MET (steady state not met before the method: latency p(99)<100 = 312ms; no step ran)\n"}},
		{"not met after", analysis.VerdictFail,
			SteadyStateResult{Before: NewHypothesisResult(true, []analysis.Status{fine}, 0, 3*time.Second, ""),
				After: NewHypothesisResult(false, nil, 9*time.Second, 10*time.Second, "the run ended 1.0s into the 3s window after the method")},
			[]string{"    before the method (0.0s..3.0s): met\n      ✓ latency p(99)<100  p(99)=8.1ms\n",
				"    after the method (9.0s..10.0s): not met: the run ended 1.0s into the 3s window after the method\n",
				"  verdict: FAIL (steady state not met after the method: the run ended 1.0s into the 3s window after the method)\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var s Summary
			s.Judged(c.verdict, nil, nil)
			ss := c.ss
			s.SteadyState, s.Rollbacks = &ss, rbs
			var b bytes.Buffer
			s.WriteVerdict(&b, nil)
			for _, w := range c.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("text:\n%s\nwant:\n%s", b.String(), w)
				}
			}
			js, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var back struct {
				SteadyState struct {
					Before *struct {
						OK         bool `json:"ok"`
						Thresholds []struct {
							Source string `json:"source"`
							OK     bool   `json:"ok"`
						} `json:"thresholds"`
					} `json:"before"`
				} `json:"steady_state"`
				Rollbacks []struct {
					Action    string  `json:"action"`
					OK        bool    `json:"ok"`
					Error     string  `json:"error"`
					DurationS float64 `json:"duration_s"`
				} `json:"rollbacks"`
			}
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatal(err)
			}
			bf := back.SteadyState.Before
			if bf == nil || bf.OK != ss.Before.OK || len(bf.Thresholds) != 1 || bf.Thresholds[0].Source != "p(99)<100" {
				t.Errorf("JSON steady_state: %s", js)
			}
			if len(back.Rollbacks) != 2 || !back.Rollbacks[0].OK || back.Rollbacks[1].OK || back.Rollbacks[1].Error == "" || back.Rollbacks[0].DurationS != 1.25 {
				t.Errorf("JSON rollbacks: %s", js)
			}
			ju := NewJUnit(s, nil)
			var names []string
			for _, tc := range ju.Cases {
				names = append(names, tc.Classname+"/"+tc.Name)
			}
			if !strings.Contains(strings.Join(names, ","), "steady_state/steady state before the method") || !strings.Contains(strings.Join(names, ","), "rollbacks/scale=4") || ju.Failures < 2 {
				t.Errorf("JUnit cases %v, %d failures", names, ju.Failures)
			}
		})
	}
}
