package experiments

import (
	"errors"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TestRetryDecodes checks load.retry reads every key, and its policy is
// the engine's with the on: list as --retry-on reads it.
func TestRetryDecodes(t *testing.T) {
	for _, tc := range []struct {
		name, retry string
		want        Retry
		budget      string
	}{
		{"retries only", "{retries: 2}", Retry{Retries: 2, Line: 3}, ""},
		{"every key", "{retries: 3, on: [5xx, 429, reset], budget: 5%, initial: 10ms, max: 500ms, multiplier: 1.5}",
			Retry{Retries: 3, On: "5xx,429,reset", Budget: 0.05, Initial: 10 * time.Millisecond, Max: 500 * time.Millisecond, Multiplier: 1.5, Line: 3}, "5%"},
		{"initial above the default max, max left out", "{retries: 1, initial: 2s}", Retry{Retries: 1, Initial: 2 * time.Second, Line: 3}, ""},
		{"none", "{retries: 0}", Retry{Line: 3}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePlan([]byte("target: {fleet: {}}\nload:\n  retry: "+tc.retry+"\n"), "p.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if p.Load.Retry == nil || *p.Load.Retry != tc.want || p.Load.Retry.BudgetFlag() != tc.budget {
				t.Fatalf("retry %+v, want %+v (budget %q)", p.Load.Retry, tc.want, tc.budget)
			}
		})
	}
	p, err := ParsePlan([]byte("target: {fleet: {}}\nload: {rate: 10, retry: {retries: 2, on: [429, refused]}}\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pol := p.Load.Retry.Policy()
	if pol.Max != 2 || !pol.On.Retries(429, 0) || pol.On.Retries(503, 0) || !pol.On.Retries(0, engine.ErrRefused) || pol.On.Retries(0, engine.ErrReset) {
		t.Errorf("policy %+v: want 2 retries of 429 and refused only", pol)
	}
	if len(p.Load.EngineOptions()) != 2 {
		t.Errorf("engine options %d, want the rate and the retries", len(p.Load.EngineOptions()))
	}
}

// TestRetryProblems checks every problem of a retry block is one line at
// its key's line.
func TestRetryProblems(t *testing.T) {
	block := func(lines string) string { return "target: {fleet: {}}\nload:\n  retry:\n" + lines }
	for _, tc := range []struct {
		name, yaml string
		want       []want
	}{
		{"not a mapping", "target: {fleet: {}}\nload: {retry: 2}\n", []want{{2, "load.retry: want a mapping with retries, on, budget, initial, max, multiplier"}}},
		{"unknown key", block("    retries: 1\n    retry_on: [5xx]\n"), []want{{5, `load.retry: unknown field "retry_on"`}}},
		{"no retries", block("    on: [5xx]\n"), []want{{4, "load.retry: no retries: give retries: N (1..10)"}}},
		{"retries above the cap", block("    retries: 11\n"), []want{{4, "load.retry.retries 11: want 0..10"}}},
		{"retries negative", block("    retries: -1\n"), []want{{4, "load.retry.retries -1: want 0..10"}}},
		{"retries 0 with others", block("    retries: 0\n    on: [5xx]\n    budget: 10%\n"), []want{{4, "load.retry: on, budget: need retries 1 or more"}}},
		{"on not a list", block("    retries: 1\n    on: 5xx\n"), []want{{5, "load.retry.on: want a list such as [5xx, 429, reset]"}}},
		{"on empty", block("    retries: 1\n    on: []\n"), []want{{5, "load.retry.on: an empty list names nothing to retry"}}},
		{"on a bad name", block("    retries: 1\n    on:\n      - 5xx\n      - oops\n      - 302\n"),
			[]want{{7, `load.retry.on[2] "oops": want a status (400..599), 4xx, 5xx or an error class (`}, {8, `load.retry.on[3] "302"`}}},
		{"on a joined item", block("    retries: 1\n    on: [\"5xx,429\"]\n"), []want{{5, `load.retry.on[1] "5xx,429"`}}},
		{"budget bare", block("    retries: 1\n    budget: 20\n"), []want{{5, "load.retry.budget: 20 is a bare number: write a percentage, such as 20%"}}},
		{"budget 0%", block("    retries: 1\n    budget: 0%\n"), []want{{5, `load.retry.budget "0%": want a percentage above 0% and at most 1000%`}}},
		{"budget too high", block("    retries: 1\n    budget: 1001%\n"), []want{{5, `load.retry.budget "1001%"`}}},
		{"initial 0", block("    retries: 1\n    initial: 0s\n"), []want{{5, "load.retry.initial 0s: want a duration above 0"}}},
		{"initial bare", block("    retries: 1\n    initial: 25\n"), []want{{5, "load.retry.initial: 25 is a bare number"}}},
		{"max too long", block("    retries: 1\n    max: 11m\n"), []want{{5, "load.retry.max 11m: want at most 10m0s"}}},
		{"max below initial", block("    retries: 1\n    initial: 100ms\n    max: 50ms\n"), []want{{6, "load.retry: initial 100ms above max 50ms"}}},
		{"max below the default initial", block("    retries: 1\n    max: 10ms\n"), []want{{5, "load.retry: initial 25ms above max 10ms"}}},
		{"multiplier below 1", block("    retries: 1\n    multiplier: 0.5\n"), []want{{5, "load.retry.multiplier 0.5: want at least 1"}}},
		{"multiplier nan", block("    retries: 1\n    multiplier: .nan\n"), []want{{5, "load.retry.multiplier .nan: not a finite number"}}},
		{"every problem at its line", block("    retries: 12\n    on: [nope]\n    budget: 5\n    multiplier: 0\n"),
			[]want{{4, "retries 12"}, {5, `on[1] "nope"`}, {6, "budget: 5 is a bare number"}, {7, "multiplier 0"}}},
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
