package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writePlan writes a plan file in a test's folder.
func writePlan(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPlanDemoTriggers runs demo --headless --plan on the local fleet: an
// at: step, an after: step that raises the rate (the summary's model
// changes), a when: step that fires at once and one that never does, named
// in the steps table; the JSON summary names the plan.
func TestPlanDemoTriggers(t *testing.T) {
	bin := buildBinary(t)
	plan := writePlan(t, `name: triggers
target: {fleet: {replicas: 2, version: v1, startup_delay: 200ms, drain: 200ms}}
load: {rate: 100, duration: 3s}
steps:
  - {name: mark, at: 500ms, action: "note=first"}
  - {name: faster, after: mark + 500ms, action: "set-rate=300"}
  - {name: busy, when: "rps > 10", action: "note=busy"}
  - {name: never, when: "p(99) > 10s", action: "scale=3"}
`)
	out, errOut, code := runBin(t, bin, "demo", "--headless", "--no-record", "--json", "--plan", plan)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var sum struct {
		Plan         string `json:"plan"`
		ModelChanges []any  `json:"model_changes"`
		Steps        []struct {
			Name, Error    string
			Completed, Cut bool
			StartS         float64 `json:"start_s"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	if sum.Plan != "triggers" {
		t.Errorf("plan %q, want triggers", sum.Plan)
	}
	if len(sum.ModelChanges) == 0 {
		t.Errorf("no model change after set-rate=300:\n%s", out)
	}
	got := map[string]string{}
	for _, s := range sum.Steps {
		state := "completed"
		if !s.Completed {
			state = s.Error
		}
		got[s.Name] = state
		if s.Name == "faster" && (s.StartS < 0.95 || s.StartS > 1.5) {
			t.Errorf("faster started at %.2fs, want 0.5 s after mark (1 s)", s.StartS)
		}
	}
	for name, want := range map[string]string{"mark": "completed", "faster": "completed", "busy": "completed", "never": "not triggered: its condition never held"} {
		if got[name] != want {
			t.Errorf("step %s: %q, want %q (all: %v)", name, got[name], want, got)
		}
	}
	if !strings.Contains(errOut, "step   faster completed") {
		t.Errorf("stderr does not name the step faster:\n%s", errOut)
	}
}

// TestPlanRunStopsEarlyOnAURL runs run --plan against a loopback URL (the
// plan's url: target) with --rate overriding the plan's: a stop step ends
// a 20 s load at 1 s. A bad plan exits 2 with each problem at its line.
func TestPlanRunStopsEarlyOnAURL(t *testing.T) {
	bin := buildBinary(t)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	plan := writePlan(t, `name: stop early
target: {url: "`+srv.URL+`/"}
load: {rate: 50, duration: 20s}
steps:
  - {name: end, at: 1s, action: stop}
`)
	out, errOut, code := runBin(t, bin, "run", "--headless", "--no-record", "--json", "--rate", "200", "--plan", plan)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var sum struct {
		Model    string  `json:"model"`
		Requests float64 `json:"requests"`
		WindowS  float64 `json:"window_s"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	if !strings.Contains(out, `"plan":"stop early"`) || !strings.Contains(out, "200 req/s") {
		t.Errorf("summary does not name the plan or the overriding rate:\n%s", out)
	}
	if !strings.Contains(errOut, "step   end completed") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if strings.Contains(errOut, "  3.0s ") {
		t.Errorf("the load went on after the stop at 1s:\n%s", errOut)
	}
	bad := writePlan(t, "name: bad\ntarget: {url: \""+srv.URL+"\"}\nload: {rate: -1}\nsteps:\n  - {at: 1s, action: \"warp=9\"}\n")
	_, errOut, code = runBin(t, bin, "run", "--headless", "--no-record", "--plan", bad)
	if code != 2 || !strings.Contains(errOut, bad+":3:") || !strings.Contains(errOut, bad+":5:") {
		t.Errorf("bad plan: exit %d, want 2 with lines 3 and 5:\n%s", code, errOut)
	}
}

// TestPlanThresholdsJudgeTheRun: a plan's thresholds are judged as the
// --threshold flags are, together with them, and a {step:NAME} filter
// names the plan's step: a threshold that cannot hold fails the run
// (exit 99, named in the JSON with its value), the others hold.
func TestPlanThresholdsJudgeTheRun(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	plan := writePlan(t, `name: judged
target: {fleet: {replicas: 2, version: v1, startup_delay: 200ms, drain: 200ms}}
load: {rate: 100, duration: 2s}
steps:
  - {name: grow, at: 500ms, action: "scale=3"}
thresholds:
  latency: ["p(99)<0.001"]
  "availability{step:grow}": ["rate>0.99"]
`)
	out, errOut, code := runBin(t, bin, "demo", "--headless", "--no-record", "--json", "--plan", plan,
		"--threshold", "requests: count>10")
	if code != 99 {
		t.Fatalf("exit %d, want 99 (a threshold failed)\n%s", code, errOut)
	}
	var sum struct {
		Verdict    string `json:"verdict"`
		Thresholds []struct {
			Metric, Filter, Source string
			OK                     bool     `json:"ok"`
			NoData                 bool     `json:"no_data"`
			Value                  *float64 `json:"value"`
		} `json:"thresholds"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	if sum.Verdict != "fail" || len(sum.Thresholds) != 3 {
		t.Fatalf("verdict %q, %d thresholds; want fail and the plan's two with the flag's:\n%s", sum.Verdict, len(sum.Thresholds), out)
	}
	for i, want := range []bool{false, true, true} {
		th := sum.Thresholds[i]
		if th.OK != want || th.NoData || th.Value == nil {
			t.Errorf("threshold %s%s %s: ok %v, no data %v, value %v; want ok %v with a value", th.Metric, th.Filter, th.Source, th.OK, th.NoData, th.Value, want)
		}
	}
}

// TestPlanGeneratorThreshold: generator: saturated == false in a plan and
// generator.saturated == false on the command line are judged on the
// generator probes' seconds: each has data, and each fails exactly when a
// sampled second was saturated (the JSON's generator.saturated_s), naming
// the seconds in its line.
func TestPlanGeneratorThreshold(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	plan := writePlan(t, `name: generator-judged
target: {fleet: {replicas: 1, version: v1}}
load: {rate: 50, duration: 3s}
thresholds:
  generator: ["saturated == false"]
`)
	out, errOut, code := runBin(t, bin, "demo", "--headless", "--no-record", "--json", "--plan", plan,
		"--threshold", "generator.saturated == false")
	var sum struct {
		Thresholds []struct {
			Metric, Source string
			OK             bool     `json:"ok"`
			NoData         bool     `json:"no_data"`
			Value          *float64 `json:"value"`
		} `json:"thresholds"`
		Generator *struct {
			SaturatedS float64 `json:"saturated_s"`
			SampledS   float64 `json:"sampled_s"`
		} `json:"generator"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary: %v\n%s\n%s", err, out, errOut)
	}
	if sum.Generator == nil || sum.Generator.SampledS < 1 || len(sum.Thresholds) != 2 {
		t.Fatalf("generator %+v, %d thresholds; want a sampled generator and 2 thresholds\n%s", sum.Generator, len(sum.Thresholds), out)
	}
	busy := sum.Generator.SaturatedS > 0
	wantCode := 0
	if busy {
		wantCode = 99
	}
	if code != wantCode {
		t.Errorf("exit %d, want %d (generator saturated %v s of %v)\n%s", code, wantCode, sum.Generator.SaturatedS, sum.Generator.SampledS, errOut)
	}
	for _, th := range sum.Thresholds {
		if th.Metric != "generator" || th.NoData || th.Value == nil || th.OK == busy {
			t.Errorf("threshold %s %s: ok %v, no data %v, value %v; want ok %v with a value", th.Metric, th.Source, th.OK, th.NoData, th.Value, !busy)
		}
	}
}
