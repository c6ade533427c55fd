package experiments

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExamplePlansAreValid parses and validates every file in examples/
// (hooks that accept every expression but count them), each short enough
// to run in a test on the local fleet.
func TestExamplePlansAreValid(t *testing.T) {
	files, err := filepath.Glob("examples/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("examples: %v, %d files, want at least 5", err, len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var thresholds, conditions int
			p, err := CheckPlan(f, Checks{
				Threshold: func(metric, expr string) error { thresholds++; return nil },
				Condition: func(string) error { conditions++; return nil },
			})
			if err != nil {
				t.Fatal(err)
			}
			if p.Target.Kind() != "fleet" {
				t.Errorf("target %q, want the local fleet", p.Target.Kind())
			}
			if thresholds != p.ThresholdCount() || thresholds == 0 {
				t.Errorf("the hook saw %d thresholds, the plan has %d", thresholds, p.ThresholdCount())
			}
			for _, s := range p.Steps {
				if s.Trigger.Kind == TriggerWhen {
					conditions--
				}
			}
			if conditions != 0 {
				t.Errorf("the hook saw %d conditions more than the plan's when: steps", conditions)
			}
			w := p.Load.Window()
			if p.Search != nil {
				w = time.Duration(len(p.Search.Rates())) * p.Search.Hold
			}
			// Short enough to run on a laptop in a talk: the zero-downtime
			// example needs 30 s for its kill's 10 s recovery to be judged.
			if w <= 0 || w > 30*time.Second {
				t.Errorf("the run lasts %s, want at most 30s", w)
			}
		})
	}
}

// TestValidateReportsTheHooksProblemsAtTheirLines checks Validate passes
// each threshold and condition to its hook and reports each refusal at
// the expression's line, and that nil hooks skip the checks.
func TestValidateReportsTheHooksProblemsAtTheirLines(t *testing.T) {
	src := good + `steps:
  - {name: up, at: 1s, action: scale=4}
  - {name: shed, when: "p(99) >> 5", action: scale=6}
thresholds:
  latency: ["p(99)<200", "p(99)<>200"]
  "latency{step:up}": ["bogus"]
steady_state: {before: 1s, thresholds: {availability: ["rate>>1"]}}
`
	p, err := ParsePlan([]byte(src), "bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(Checks{}); err != nil {
		t.Fatalf("nil hooks: %v", err)
	}
	var seen []string
	err = p.Validate(Checks{
		Threshold: func(metric, expr string) error {
			seen = append(seen, metric+" "+expr)
			if strings.Contains(expr, "<>") || strings.Contains(expr, ">>") || expr == "bogus" {
				return errors.New("not an expression\nsecond line")
			}
			return nil
		},
		Condition: func(expr string) error { return fmt.Errorf("bad condition %q", expr) },
	})
	var pe *PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("Validate: %v", err)
	}
	if want := []string{"latency p(99)<200", "latency p(99)<>200", "latency{step:up} bogus", "availability rate>>1"}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("the hook saw %q, want %q", seen, want)
	}
	checkProblems(t, pe, []want{
		{5, `step "shed": when "p(99) >> 5": bad condition`},
		{7, `thresholds.latency "p(99)<>200": not an expression`},
		{8, `thresholds.latency{step:up} "bogus": not an expression`},
		{9, `steady_state.thresholds.availability "rate>>1"`},
	})
}

// TestCheckPlanMergesBothKindsOfProblems checks CheckPlan reports the
// decoding problems and the hooks' together, in line order.
func TestCheckPlanMergesBothKindsOfProblems(t *testing.T) {
	path := writePlan(t, good+"thresholds:\n  latency: [\"p(99)<>1\"]\nnmae: x\n")
	_, err := CheckPlan(path, Checks{Threshold: func(_, expr string) error { return errors.New("bad") }})
	var pe *PlanError
	if !errors.As(err, &pe) || len(pe.Problems) != 2 || pe.Problems[0].Line != 4 || pe.Problems[1].Line != 5 {
		t.Fatalf("CheckPlan: %v", err)
	}
}

// TestTimedStepsAreTheStepFlagsList checks the plan's at: cluster steps
// come out in time order as --step specs that ParseStep reads back to the
// same step; the load actions and the after: steps stay out.
func TestTimedStepsAreTheStepFlagsList(t *testing.T) {
	p, err := ParsePlan([]byte(`target: {fleet: {}}
load: {rate: 100, duration: 2m}
steps:
  - {name: kill, at: 1m0.5s, action: "kill=1:force"}
  - {name: up, at: 5s, action: upgrade=v2}
  - {after: up + 1s, action: scale=5}
  - {at: 7s, action: note=hello}
  - {at: 0s, action: "latency=2:5ms..50ms"}
`), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var specs []string
	for _, s := range p.TimedSteps() {
		specs = append(specs, s.Spec)
		back, err := ParseStep(s.Spec)
		if err != nil || fmt.Sprint(back) != fmt.Sprint(s) {
			t.Errorf("ParseStep(%q) = %+v, %v; want %+v", s.Spec, back, err, s)
		}
	}
	if want := "[0s:latency=2:5ms..50ms 5s:upgrade=v2 1m0.5s:kill=1:force]"; fmt.Sprint(specs) != want {
		t.Errorf("TimedSteps %v, want %s", specs, want)
	}
}

// TestAddStepsAppendsTheFlagsWithTheInstantChecks checks --step flags join
// the plan's steps, and a flag at an instant the plan (or another flag)
// has, or past the window, is refused with nothing added.
func TestAddStepsAppendsTheFlagsWithTheInstantChecks(t *testing.T) {
	p, err := ParsePlan([]byte(good+"steps:\n  - {name: up, at: 5s, action: upgrade=v2}\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags []string
		want  []string
	}{
		{[]string{"5s:scale=4"}, []string{`step "5s:scale=4": at 5s as the plan's step "up"`}},
		{[]string{"6s:scale=4", "6s:kill=1"}, []string{`step "6s:kill=1": at 6s as step "6s:scale=4"`}},
		{[]string{"20s:scale=4", "5s:heal"}, []string{"not before the end of the run (20s)", `at 5s as the plan's step "up"`}},
	} {
		steps, err := ParseSteps(tc.flags)
		if err != nil {
			t.Fatal(err)
		}
		err = p.AddSteps(steps)
		if err == nil {
			t.Fatalf("AddSteps(%q) accepted", tc.flags)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("AddSteps(%q): %v, want %q", tc.flags, err, w)
			}
		}
		if len(p.Steps) != 1 {
			t.Fatalf("a refused AddSteps added steps: %d", len(p.Steps))
		}
	}
	steps, _ := ParseSteps([]string{"8s:kill=1", "2s:scale=4"})
	if err := p.AddSteps(steps); err != nil {
		t.Fatal(err)
	}
	timed := p.TimedSteps()
	if len(p.Steps) != 3 || len(timed) != 3 || timed[0].Spec != "2s:scale=4" || timed[1].Spec != "5s:upgrade=v2" || timed[2].Spec != "8s:kill=1" {
		t.Errorf("steps after AddSteps: %+v", timed)
	}
}

// TestParseActionAcceptsEveryStepAction checks every --step action and the
// load actions parse, with their arguments.
func TestParseActionAcceptsEveryStepAction(t *testing.T) {
	for _, a := range []string{"scale=5", "upgrade=v2", "rollback", "restart", "pause", "resume", "kill=1", "kill=25%", "kill=replica-2", "kill=1:force",
		"hang=1", "latency=200ms", "latency=2:5ms..50ms", "errors=30%", "bad-version=v3", "heal", "heal=replica-2",
		"note=v2 is out", "set-rate=500", "pause-load", "resume-load", "stop"} {
		ps, err := ParseAction(a)
		if err != nil {
			t.Errorf("ParseAction(%q): %v", a, err)
			continue
		}
		if ps.Step.Spec != a || !strings.HasPrefix(a, ps.Step.Action) {
			t.Errorf("ParseAction(%q) = %+v", a, ps)
		}
	}
	if ps, _ := ParseAction("set-rate=1e3"); ps.Rate != 1000 {
		t.Errorf("set-rate=1e3: rate %g", ps.Rate)
	}
	for _, a := range []string{"", "set-rate=NaN", "set-rate=0", "set-rate=1e9", "stop=now", "note=a\tb", "note=" + strings.Repeat("x", 501), "scale", "kill=0"} {
		if _, err := ParseAction(a); err == nil || strings.Contains(err.Error(), "0s:") {
			t.Errorf("ParseAction(%q): %v, want a refusal without the 0s: it is parsed with", a, err)
		}
	}
}

// TestAfterChainsWithoutCyclesAreAccepted checks a chain of after:
// triggers and two steps after one are not mistaken for cycles, and that
// a cycle is reported once.
func TestAfterChainsWithoutCyclesAreAccepted(t *testing.T) {
	src := good + `steps:
  - {name: a, at: 1s, action: scale=2}
  - {name: b, after: a, action: scale=3}
  - {name: c, after: b + 1s, action: scale=4}
  - {name: d, after: b + 2s, action: scale=5}
`
	if _, err := ParsePlan([]byte(src), "ok.yaml"); err != nil {
		t.Fatal(err)
	}
	_, err := ParsePlan([]byte(good+"steps:\n  - {name: a, after: b, action: scale=2}\n  - {name: b, after: a, action: scale=3}\n  - {name: c, after: b, action: scale=4}\n"), "bad.yaml")
	var pe *PlanError
	if !errors.As(err, &pe) {
		t.Fatal(err)
	}
	checkProblems(t, pe, []want{{4, "after b after a: a cycle"}})
}

// TestSearchRates checks the rates a search climbs through, by a share
// and by a number.
func TestSearchRates(t *testing.T) {
	for _, tc := range []struct {
		s    Search
		want string
	}{
		{Search{From: 100, Step: 50, StepPercent: true, Max: 600}, "[100 150 225 337.5 506.25]"},
		{Search{From: 1000, Step: 500, Max: 2500}, "[1000 1500 2000 2500]"},
		{Search{From: 10, Step: 10, Max: 5}, "[]"},
	} {
		if got := fmt.Sprint(tc.s.Rates()); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.s, got, tc.want)
		}
	}
}

// writePlan writes src to a plan file in a temporary folder.
func writePlan(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
