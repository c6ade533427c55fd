package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// canaryPlan is a plan of a good canary (v2 as fast as v1) on 4 fast
// replicas at 400 req/s, judged in 1 s intervals: about 100 canary
// requests each, under the default min_samples (200), which the plan
// lowers to 50.
const canaryPlan = `name: quick canary
target: {fleet: {replicas: 4, startup_delay: 100ms, drain: 300ms, latency: 1ms}}
load: {rate: 400, duration: 5s}
steps:
  - name: canary
    at: 300ms
    action: "canary=v2"
    analysis: {interval: 1s, count: 2, min_samples: 50, max_ratio: 1.5, dead_band: 2ms}
`

// canarySummary is the part of the JSON summary the canary fills.
type canarySummary struct {
	Canary *struct {
		Decision  string `json:"decision"`
		Reason    string `json:"reason"`
		Acted     bool   `json:"acted"`
		Intervals []struct {
			Outcome  string `json:"outcome"`
			Baseline struct {
				Requests uint64 `json:"requests"`
			} `json:"baseline"`
			Canary struct {
				Requests uint64 `json:"requests"`
			} `json:"canary"`
		} `json:"intervals"`
	} `json:"canary"`
}

// TestPlanCanaryAnalysisTakesEffect runs a plan whose canary step's
// analysis judges 2 intervals of 1 s with 50 samples: the canary is
// promoted within the 5 s run (the defaults, 6 intervals of 10 s and 200
// samples, would leave it undecided), each interval a second's requests.
// --canary-interval 10s overrides the plan's interval: the run ends
// before the first interval did, inconclusive (exit 99). (The generator
// bound is ignored: a loaded test machine's generator is often saturated,
// and what is tested here is the plan's analysis.)
func TestPlanCanaryAnalysisTakesEffect(t *testing.T) {
	t.Parallel()
	plan := writePlan(t, canaryPlan)
	t.Run("the plan's analysis", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := scalelab(t.Context(), "demo", "--headless", "--no-record", "--json", "--plan", plan, "--canary-generator-bound", "ignore")
		if code != 0 {
			t.Fatalf("exit %d, want 0 (promoted):\n%s", code, errOut)
		}
		var s canarySummary
		if err := json.Unmarshal([]byte(out), &s); err != nil || s.Canary == nil {
			t.Fatalf("canary %+v, %v:\n%s", s.Canary, err, out)
		}
		c := s.Canary
		if c.Decision != "promote" || !c.Acted || len(c.Intervals) != 2 {
			t.Fatalf("decision %q (acted %v) after %d intervals, want promote after 2: %s\n%s", c.Decision, c.Acted, len(c.Intervals), c.Reason, errOut)
		}
		for i, r := range c.Intervals {
			// 1 s: about 300 baseline and 100 canary requests (10 s
			// would be ten times that); under 200 canary requests, the
			// default min_samples would make it inconclusive.
			if r.Outcome != "pass" || r.Baseline.Requests < 150 || r.Baseline.Requests > 600 || r.Canary.Requests < 50 || r.Canary.Requests >= 200 {
				t.Errorf("interval %d: %+v, want a pass of about 300 baseline and 100 canary requests", i+1, r)
			}
		}
		wantLines(t, errOut, "canary 2/2 pass", "canary v2: promoted")
	})
	t.Run("--canary-interval overrides it", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := scalelab(t.Context(), "demo", "--headless", "--no-record", "--json", "--plan", plan, "--canary-interval", "10s")
		if code != 99 {
			t.Fatalf("exit %d, want 99 (inconclusive):\n%s", code, errOut)
		}
		var s canarySummary
		if err := json.Unmarshal([]byte(out), &s); err != nil || s.Canary == nil {
			t.Fatalf("canary %+v, %v:\n%s", s.Canary, err, out)
		}
		if s.Canary.Decision != "inconclusive" || len(s.Canary.Intervals) != 0 || !strings.Contains(s.Canary.Reason, "0 intervals of 2") {
			t.Errorf("decision %q after %d intervals (%s), want inconclusive after none of 2", s.Canary.Decision, len(s.Canary.Intervals), s.Canary.Reason)
		}
	})
}

// TestPlanRetryBlockTakesEffect runs a plan's retry block against a
// target failing every 10th attempt: the summary has the retry fields,
// raw ≈ 90% and effective ≥ 99.5%; --retries 0 on the command line turns
// the plan's retries off (no retry field), its on: and budget: with them.
func TestPlanRetryBlockTakesEffect(t *testing.T) {
	t.Parallel()
	plan := writePlan(t, "target: {url: \""+failEvery10th(t)+"\"}\n"+
		"load:\n  rate: 300\n  duration: 1s\n  retry: {retries: 2, on: [503, reset], budget: 50%, initial: 1ms, max: 5ms, multiplier: 2}\n")
	code, out, errOut := runCLI(t, context.Background(), "run", "--headless", "--no-record", "--json", "--plan", plan)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s retrySummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if s.EffectiveAvailability == nil || s.RawAvailability == nil || s.Retries == nil || s.Amplification == nil {
		t.Fatalf("retry fields missing:\n%s", out)
	}
	if *s.RawAvailability > 0.92 || *s.EffectiveAvailability < 0.995 || *s.Retries == 0 {
		t.Errorf("raw %.4f, effective %.4f, %d retries: want about 0.9, at least 0.995, some", *s.RawAvailability, *s.EffectiveAvailability, *s.Retries)
	}

	code, out, errOut = runCLI(t, context.Background(), "run", "--headless", "--no-record", "--json", "--plan", plan, "--retries", "0", "--duration", "300ms")
	if code != 0 {
		t.Fatalf("--retries 0: exit %d: %s", code, errOut)
	}
	s = retrySummary{}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if s.EffectiveAvailability != nil || s.Retries != nil {
		t.Errorf("--retries 0: retry fields present:\n%s", out)
	}
}

// TestPlanCheckAnalysisAndRetryProblems: plan check reports a bad
// analysis block and a bad retry block one problem a line, at its line,
// and exits 2.
func TestPlanCheckAnalysisAndRetryProblems(t *testing.T) {
	t.Parallel()
	plan := writePlan(t, "target: {fleet: {}}\nload:\n  rate: 100\n  retry: {retries: 2, budget: 0%}\nsteps:\n"+
		"  - {at: 1s, action: scale=2, analysis: {count: 2}}\n  - {at: 2s, action: canary=v2, analysis: {interval: 0s}}\n")
	code, _, errOut := scalelab(t.Context(), "plan", "check", plan)
	if code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, errOut)
	}
	wantLines(t, errOut, plan+`:4: load.retry.budget "0%": want a percentage above 0% and at most 1000%`,
		plan+":6: steps[1].analysis: only a canary step (action: canary=VERSION) is judged; this step's action is scale",
		plan+":7: steps[2].analysis.interval 0s: want a duration above 0")
}
