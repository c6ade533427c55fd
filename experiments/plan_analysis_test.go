package experiments

import (
	"errors"
	"testing"
	"time"

	"github.com/scalelab/scalelab/canary"
)

// TestCanaryAnalysisDecodes checks a canary step's analysis: block reads
// over canary.DefaultConfig, every key and none, and a step without one
// keeps the defaults (nil).
func TestCanaryAnalysisDecodes(t *testing.T) {
	def := canary.DefaultConfig()
	every := def
	every.Interval, every.Count, every.FailureLimit, every.InconclusiveLimit = 2*time.Second, 3, 1, 2
	every.MinSamples, every.OnInconclusive, every.MaxIncrease, every.MaxRatio = 50, canary.OnInconclusivePromote, 0.01, 1.5
	every.DeadBand, every.Alpha = 2*time.Millisecond, 0.01
	some := def
	some.Interval, some.Count = time.Second, 2
	for _, tc := range []struct {
		name, analysis string
		want           *canary.Config
	}{
		{"none", "", nil},
		{"empty: the defaults", ", analysis: {}", &def},
		{"some keys", ", analysis: {interval: 1s, count: 2}", &some},
		{"every key", ", analysis: {interval: 2s, count: 3, failure_limit: 1, inconclusive_limit: 2, min_samples: 50, " +
			"on_inconclusive: promote, max_increase: 1%, max_ratio: 1.5, dead_band: 2ms, alpha: 0.01}", &every},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePlan([]byte(good+"steps:\n  - {at: 2s, action: canary=v2"+tc.analysis+"}\n"), "p.yaml")
			if err != nil {
				t.Fatal(err)
			}
			got := p.Steps[0].Analysis
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Fatalf("analysis %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestCanaryAnalysisProblems checks every problem of an analysis block
// is one line at its key's line.
func TestCanaryAnalysisProblems(t *testing.T) {
	step := func(analysis string) string {
		return good + "steps:\n  - at: 2s\n    action: canary=v2\n    analysis:\n" + analysis
	}
	for _, tc := range []struct {
		name, yaml string
		want       []want
	}{
		{"not a canary step", good + "steps:\n  - {at: 2s, action: upgrade=v2,\n     analysis: {count: 2}}\n",
			[]want{{5, "steps[1].analysis: only a canary step (action: canary=VERSION) is judged; this step's action is upgrade"}}},
		{"not a mapping", good + "steps:\n  - {at: 2s, action: canary=v2, analysis: 5}\n",
			[]want{{4, "steps[1].analysis: want a mapping with interval, count"}}},
		{"unknown key", step("      count: 2\n      intervals: 5s\n"), []want{{8, `steps[1].analysis: unknown field "intervals"`}}},
		{"interval 0", step("      interval: 0s\n"), []want{{7, "steps[1].analysis.interval 0s: want a duration above 0"}}},
		{"interval negative", step("      interval: -5s\n"), []want{{7, `steps[1].analysis.interval "-5s": negative`}}},
		{"interval bare", step("      interval: 10\n"), []want{{7, "steps[1].analysis.interval: 10 is a bare number"}}},
		{"interval not a duration", step("      interval: soon\n"), []want{{7, `steps[1].analysis.interval "soon": not a duration`}}},
		{"count 0", step("      count: 0\n"), []want{{7, "steps[1].analysis.count 0: want 1..10000 (intervals)"}}},
		{"count a word", step("      count: six\n"), []want{{7, "steps[1].analysis.count: want a whole number 1..10000"}}},
		{"failure_limit negative", step("      failure_limit: -1\n"), []want{{7, "steps[1].analysis.failure_limit -1: want 0..10000"}}},
		{"inconclusive_limit negative", step("      inconclusive_limit: -2\n"), []want{{7, "steps[1].analysis.inconclusive_limit -2: want 0..10000"}}},
		{"min_samples 0", step("      min_samples: 0\n"), []want{{7, "steps[1].analysis.min_samples 0: want 1..1000000000"}}},
		{"on_inconclusive ask", step("      on_inconclusive: ask\n"), []want{{7, `steps[1].analysis.on_inconclusive "ask": want promote or rollback`}}},
		{"max_increase bare", step("      max_increase: 0.5\n"), []want{{7, "steps[1].analysis.max_increase: 0.5 is a bare number: write a percentage, such as 0.5%"}}},
		{"max_increase 100%", step("      max_increase: 100%\n"), []want{{7, "steps[1].analysis.max_increase 100%: want 0% to below 100%"}}},
		{"max_increase negative", step("      max_increase: -1%\n"), []want{{7, "steps[1].analysis.max_increase -1%: want 0% to below 100%"}}},
		{"max_increase not a number", step("      max_increase: x%\n"), []want{{7, `steps[1].analysis.max_increase "x%": not a percentage`}}},
		{"max_ratio below 1", step("      max_ratio: 0.9\n"), []want{{7, "steps[1].analysis.max_ratio 0.9: at least 1"}}},
		{"max_ratio a word", step("      max_ratio: big\n"), []want{{7, "steps[1].analysis.max_ratio: want a number"}}},
		{"max_ratio inf", step("      max_ratio: .inf\n"), []want{{7, "steps[1].analysis.max_ratio .inf: not a finite number"}}},
		{"dead_band negative", step("      dead_band: -1ms\n"), []want{{7, `steps[1].analysis.dead_band "-1ms": negative`}}},
		{"alpha 1", step("      alpha: 1\n"), []want{{7, "steps[1].analysis.alpha 1: want between 0 and 1"}}},
		{"every problem at its line", step("      interval: 0s\n      count: 0\n      min_samples: -3\n      max_ratio: 0.5\n      on_inconclusive: fail\n"),
			[]want{{7, "interval 0s"}, {8, "count 0"}, {9, "min_samples -3"}, {10, "max_ratio 0.5"}, {11, `on_inconclusive "fail"`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePlan([]byte(tc.yaml), "bad.yaml")
			var pe *PlanError
			if !errors.As(err, &pe) {
				t.Fatalf("%v, want a *PlanError", err)
			}
			checkProblems(t, pe, tc.want)
		})
	}
}
