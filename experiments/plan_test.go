package experiments

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// want is one problem a bad plan must report: its line and a part of its
// reason.
type want struct {
	line int
	text string
}

// good is the start of a valid plan the bad cases add to.
const good = "target: {fleet: {replicas: 3}}\nload: {rate: 100, duration: 20s}\n"

// TestBadPlansReportEveryProblemAtItsLine feeds ParsePlan bad plans and
// checks each problem is reported at its line with its reason, one line
// each, and nothing else is.
func TestBadPlansReportEveryProblemAtItsLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []want
	}{
		{"empty file", "", []want{{1, "empty"}}},
		{"only a comment", "# nothing\n", []want{{1, "empty"}}},
		{"not YAML: unclosed", "target: {fleet: [\n", []want{{1, "not YAML: did not find expected node content"}}},
		{"not YAML", "target: x\n  y: z\n", []want{{2, "not YAML: mapping values are not allowed"}}},
		{"tab indentation", "target:\n\tfleet: {}\n", []want{{2, "not YAML"}}},
		{"a list instead of a mapping", "- target\n- load\n", []want{{1, "the plan: want a mapping"}}},
		{"a scalar instead of a mapping", "hello\n", []want{{1, "the plan: want a mapping"}}},
		{"two documents", good + "---\nname: x\n", []want{{3, "a second YAML document"}}},
		{"unknown key at top level", good + "nmae: x\n", []want{{3, `unknown field "nmae"`}}},
		{"unknown key nested", "target: {fleet: {replicas: 3, replica: 4}}\n", []want{{1, `target.fleet: unknown field "replica"`}}},
		{"unknown key in a step", good + "steps:\n  - {at: 1s, action: scale=2, atx: 2s}\n", []want{{4, `steps[1]: unknown field "atx"`}}},
		{"unknown key in a threshold", good + "thresholds:\n  latency: [{threshold: p(99)<1, abortOnFAIL: true}]\n", []want{{4, `unknown field "abortOnFAIL"`}}},
		{"a key twice", good + "name: a\nname: b\n", []want{{4, "name given twice"}}},
		{"no target", "load: {rate: 100}\n", []want{{1, "no target"}}},
		{"empty target", "target: {}\n", []want{{1, "target: give one of fleet, url or k8s"}}},
		{"two targets", "target: {fleet: {}, url: \"http://127.0.0.1:8080/\"}\n", []want{{1, "fleet and url: choose one"}}},
		{"bad url", "target: {url: \"ftp://x/\"}\n", []want{{1, "scheme must be http or https"}}},
		{"url port 0", "target: {url: \"http://127.0.0.1:0/\"}\n", []want{{1, "port 0"}}},
		{"k8s without a deployment", "target: {k8s: {namespace: demo}}\n", []want{{1, "no deployment"}}},
		{"k8s bad names", "target:\n  k8s: {deployment: Web_1, namespace: \"a b\", service: 1svc}\n", []want{{2, "target.k8s.deployment"}, {2, "target.k8s.namespace"}, {2, "target.k8s.service"}}},
		{"k8s not a deployment", "target: {k8s: {deployment: statefulset/web}}\n", []want{{1, "is not a Deployment"}}},
		{"wrong type: replicas a string", "target: {fleet: {replicas: three}}\n", []want{{1, "target.fleet.replicas: want a whole number 1..32"}}},
		{"wrong type: replicas a float", "target: {fleet: {replicas: 2.5}}\n", []want{{1, "want a whole number"}}},
		{"replicas beyond the cap", "target: {fleet: {replicas: 33}}\n", []want{{1, "target.fleet.replicas 33: want 1..32"}}},
		{"surge and unavailable 0", "target:\n  fleet: {max_surge: 0, max_unavailable: 0}\n", []want{{2, "could never progress"}}},
		{"bad version", "target: {fleet: {version: \"v 2\"}}\n", []want{{1, "target.fleet.version"}}},
		{"bad latency", "target: {fleet: {latency: fast}}\n", []want{{1, "target.fleet.latency"}}},
		{"listen not loopback", "target: {fleet: {listen: \"10.0.0.1:0\"}}\n", []want{{1, "not a loopback address"}}},
		{"bad version empty", "target: {fleet: {bad_versions: [v3, \"\"]}}\n", []want{{1, "target.fleet.bad_versions[1]: version \"\": empty"}}},
		{"wrong type: no_drain", "target: {fleet: {no_drain: yes please}}\n", []want{{1, "want true or false"}}},
		{"wrong type: load a list", "target: {fleet: {}}\nload: [rate]\n", []want{{2, "load: want a mapping"}}},
		{"negative rate", "target: {fleet: {}}\nload: {rate: -5}\n", []want{{2, "load.rate -5: want above 0"}}},
		{"zero rate", "target: {fleet: {}}\nload: {rate: 0}\n", []want{{2, "a rate of 0 sends nothing"}}},
		{"NaN rate", "target: {fleet: {}}\nload: {rate: .nan}\n", []want{{2, "not a finite number"}}},
		{"Inf rate", "target: {fleet: {}}\nload: {rate: .inf}\n", []want{{2, "not a finite number"}}},
		{"rate above MaxRate", "target: {fleet: {}}\nload: {rate: 10000001}\n", []want{{2, "at most 10000000 req/s"}}},
		{"rate a string", "target: {fleet: {}}\nload: {rate: \"100\"}\n", []want{{2, "load.rate: want a number"}}},
		{"both rate and connections", "target: {fleet: {}}\nload: {rate: 10, connections: 4}\n", []want{{2, "rate and connections: choose one"}}},
		{"stages and rate", "target: {fleet: {}}\nload:\n  rate: 10\n  stages: [{duration: 5s, target: 10}]\n", []want{{4, "stages set the rate"}}},
		{"stages and duration", "target: {fleet: {}}\nload:\n  duration: 5s\n  stages: [{duration: 5s, target: 10}]\n", []want{{3, "stages set the duration"}}},
		{"stages with connections", "target: {fleet: {}}\nload:\n  connections: 4\n  stages: [{duration: 5s, target: 10}]\n", []want{{4, "cannot ramp yet"}}},
		{"stages all zero", "target: {fleet: {}}\nload:\n  stages: [{duration: 5s, target: 0}]\n", []want{{3, "nothing would be sent"}}},
		{"stage without target", "target: {fleet: {}}\nload:\n  stages:\n    - {duration: 5s}\n", []want{{4, "load.stages[1]: no target"}}},
		{"stage negative target", "target: {fleet: {}}\nload:\n  stages:\n    - {duration: 5s, target: -1}\n", []want{{4, "load.stages[1].target -1"}}},
		{"connections above MaxConcurrency", "target: {fleet: {}}\nload: {connections: 100001}\n", []want{{2, "load.connections 100001: want 1..100000"}}},
		{"bad duration", "target: {fleet: {}}\nload: {rate: 10, duration: soon}\n", []want{{2, `load.duration "soon": not a duration`}}},
		{"bare number duration", "target: {fleet: {}}\nload: {rate: 10, duration: 30}\n", []want{{2, "30 is a bare number"}}},
		{"negative duration", "target: {fleet: {}}\nload: {rate: 10, duration: -3s}\n", []want{{2, "negative"}}},
		{"zero duration", "target: {fleet: {}}\nload: {rate: 10, duration: 0s}\n", []want{{2, "want a duration above 0"}}},
		{"bad method", "target: {fleet: {}}\nload: {rate: 10, method: \"GE T\"}\n", []want{{2, "load.method"}}},
		{"bad header", "target: {fleet: {}}\nload:\n  rate: 10\n  headers: {\"Bad Name\": x}\n", []want{{4, "header name"}}},
		{"header set by the engine", "target: {fleet: {}}\nload:\n  rate: 10\n  headers: [\"Content-Length: 4\"]\n", []want{{4, "set by the engine"}}},
		{"header control character", "target: {fleet: {}}\nload:\n  rate: 10\n  headers: {X-A: \"a\\rb\"}\n", []want{{4, "control character"}}},
		{"bad path", "target: {fleet: {}}\nload: {rate: 10, path: api}\n", []want{{2, "want a path starting with /"}}},
		{"body and body_file", "target: {fleet: {}}\nload: {rate: 10, body: x, body_file: x.json}\n", []want{{2, "choose one"}, {2, "load.body_file"}}},
		{"missing body file", "target: {fleet: {}}\nload: {rate: 10, body_file: nothere.json}\n", []want{{2, `load.body_file "nothere.json": no such file`}}},
		{"missing trigger", good + "steps:\n  - {name: a, action: scale=2}\n", []want{{4, "steps[1]: no trigger"}}},
		{"two triggers", good + "steps:\n  - {name: a, at: 1s, when: \"p(99) > 1ms\", action: scale=2}\n", []want{{4, "at and when: choose one trigger"}}},
		{"no action", good + "steps:\n  - {name: a, at: 1s}\n", []want{{4, "no action"}}},
		{"bad action", good + "steps:\n  - {at: 1s, action: explode=3}\n", []want{{4, `unknown action "explode"`}}},
		{"bad action argument", good + "steps:\n  - {at: 1s, action: scale=-1}\n", []want{{4, `"-1" is not a replica count`}}},
		{"bad load action", good + "steps:\n  - {at: 1s, action: set-rate=abc}\n  - {at: 2s, action: pause-load=1}\n  - {at: 3s, action: \"note=\"}\n",
			[]want{{4, "set-rate"}, {5, "pause-load takes no argument"}, {6, "note needs its text"}}},
		{"set-rate in a closed loop", "target: {fleet: {}}\nload: {connections: 4}\nsteps:\n  - {at: 1s, action: set-rate=10}\n", []want{{4, "closed loop"}}},
		{"bad at", good + "steps:\n  - {at: 10, action: scale=2}\n", []want{{4, "10 is a bare number"}}},
		{"at after the window", good + "steps:\n  - {at: 20s, action: scale=2}\n", []want{{4, "not before the end of the run (20s)"}}},
		{"two steps at one instant", good + "steps:\n  - {at: 5s, action: scale=2}\n  - {at: 5s, action: scale=4}\n", []want{{5, "which would act first is not defined"}}},
		{"after an unknown step", good + "steps:\n  - {name: a, at: 1s, action: scale=2}\n  - {name: b, after: upgrade + 1s, action: scale=4}\n", []want{{5, `after "upgrade": no step is named so (the steps named are: a, b)`}}},
		{"after itself", good + "steps:\n  - {name: a, after: a, action: scale=2}\n", []want{{4, "after itself"}}},
		{"after a bad delay", good + "steps:\n  - {name: a, at: 1s, action: scale=2}\n  - {name: b, after: a + soon, action: scale=4}\n", []want{{5, "not a duration"}}},
		{"a cycle", good + "steps:\n  - {name: a, after: c + 1s, action: scale=2}\n  - {name: b, after: a, action: scale=4}\n  - {name: c, after: b, action: scale=5}\n",
			[]want{{4, "after c after b after a: a cycle"}}},
		{"duplicate names", good + "steps:\n  - {name: a, at: 1s, action: scale=2}\n  - {name: a, at: 2s, action: scale=4}\n", []want{{5, `the name "a" is taken by the step on line 4`}}},
		{"bad step name", good + "steps:\n  - {name: \"up grade\", at: 1s, action: scale=2}\n", []want{{4, "steps[1].name"}}},
		{"empty when", good + "steps:\n  - {when: \"\", action: scale=2}\n", []want{{4, "steps[1].when: empty"}}},
		{"steps not a list", good + "steps: {at: 1s}\n", []want{{3, "steps: want a list"}}},
		{"thresholds a list", good + "thresholds: [p(99)<200]\n", []want{{3, "thresholds: want a mapping of metric"}}},
		{"threshold expressions not a list", good + "thresholds:\n  latency: p(99)<200\n", []want{{4, "thresholds.latency: want a list"}}},
		{"threshold without expression", good + "thresholds:\n  latency: [{abortOnFail: true}]\n", []want{{4, "no threshold"}}},
		{"threshold empty", good + "thresholds:\n  latency: [\"\"]\n", []want{{4, "an empty expression"}}},
		{"threshold wrong types", good + "thresholds:\n  latency:\n    - {threshold: p(99)<1, abortOnFail: 1, window: 5, allow_no_data: maybe}\n",
			[]want{{5, "abortOnFail: want true or false"}, {5, "window: 5 is a bare number"}, {5, "allow_no_data: want true or false"}}},
		{"delayAbortEval without abortOnFail", good + "thresholds:\n  latency: [{threshold: p(99)<1, delayAbortEval: 5s}]\n", []want{{4, "no abort to delay"}}},
		{"recover without a step", good + "thresholds:\n  availability: [{threshold: rate>0.9, recover: 5s}]\n", []want{{4, "availability{step:kill}"}}},
		{"filter on an unknown step", good + "thresholds:\n  \"latency{step:upgrade}\": [p(99)<1]\n", []want{{4, `no step is named "upgrade"`}}},
		{"window longer than the run", good + "thresholds:\n  latency: [{threshold: p(99)<1, window: 30s}]\n", []want{{4, "longer than the run"}}},
		{"bad strategy", good + "rollbacks: {strategy: sometimes, actions: [rollback]}\n", []want{{3, `rollbacks.strategy "sometimes"`}}},
		{"bad rollback action", good + "rollbacks:\n  actions: [rollback, explode, stop]\n", []want{{4, `unknown action "explode"`}, {4, "acts on the load"}}},
		{"steady state without thresholds", good + "steady_state: {before: 5s}\n", []want{{3, "steady_state: no thresholds"}}},
		{"steady state without a window", good + "steady_state: {thresholds: {latency: [p(99)<1]}}\n", []want{{3, "neither before nor after"}}},
		{"step inside the baseline", good + "steps:\n  - {at: 2s, action: scale=2}\nsteady_state: {before: 5s, thresholds: {latency: [p(99)<1]}}\n", []want{{5, "inside the baseline"}}},
		{"search incomplete", "target: {fleet: {}}\nsearch: {from: 100}\n", []want{{2, "search: no step"}, {2, "search: no hold"}, {2, "search: no until"}}},
		{"search bad values", "target: {fleet: {}}\nsearch:\n  from: -1\n  step: 0%\n  hold: 5\n  until: {latency: [p(99)<1]}\n",
			[]want{{3, "search.from -1"}, {4, "search.step \"0%\""}, {5, "search.hold: 5 is a bare number"}}},
		{"search with a rate", good + "search: {from: 100, step: 20%, hold: 5s, until: {latency: [p(99)<1]}}\n", []want{{3, "search sets the rate"}}},
		{"search max below from", "target: {fleet: {}}\nsearch: {from: 100, step: 10, hold: 1s, max: 50, until: {latency: [p(99)<1]}}\n", []want{{2, "below search.from"}}},
		{"agents beside a URL", good + "agents: 3\n", []want{{3, "agents 3: agents run as a Kubernetes Job"}}},
		{"agents negative", good + "agents: -1\n", []want{{3, "agents -1"}}},
		{"name with a newline", good + "name: \"a\\nb\"\n", []want{{3, "control character"}}},
		{"alias to a bad value", "r: &r -1\n" + good, []want{{1, `unknown field "r"`}}},
		{"several problems in one file", "nmae: x\ntarget: {fleet: {replicas: 0}, url: \"http://127.0.0.1:8080/\"}\nload: {rate: .nan, duration: 30}\nsteps:\n  - {at: 1s}\n  - {name: b, after: nope, action: scale=1}\n",
			[]want{{1, "unknown field"}, {2, "target.fleet.replicas 0"}, {2, "choose one"}, {3, "load.rate"}, {3, "bare number"}, {5, "no action"}, {6, "no step is named so"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePlan([]byte(tc.yaml), "bad.yaml")
			var pe *PlanError
			if !errors.As(err, &pe) {
				t.Fatalf("ParsePlan: %v, want a *PlanError", err)
			}
			checkProblems(t, pe, tc.want)
		})
	}
}

// checkProblems checks pe has exactly the problems wanted, in line order,
// each one line "bad.yaml:LINE: reason".
func checkProblems(t *testing.T, pe *PlanError, wants []want) {
	t.Helper()
	got := pe.Problems
	if len(got) != len(wants) {
		t.Fatalf("%d problems, want %d:\n%s", len(got), len(wants), pe)
	}
	for i, w := range wants {
		p := got[i]
		if p.Line != w.line || !strings.Contains(p.Reason, w.text) {
			t.Errorf("problem %d: %s; want line %d with %q", i+1, p, w.line, w.text)
		}
		if strings.ContainsAny(p.String(), "\n\r") {
			t.Errorf("problem %d is more than one line: %q", i+1, p)
		}
	}
	for _, l := range strings.Split(pe.Error(), "\n") {
		if !strings.HasPrefix(l, "bad.yaml:") {
			t.Errorf("line %q does not start with the file's name", l)
		}
	}
}

// TestPlanTooLargeIsRefused checks a file beyond MaxPlanSize is refused
// whole, without decoding it.
func TestPlanTooLargeIsRefused(t *testing.T) {
	data := []byte(good + "description: " + strings.Repeat("x", MaxPlanSize) + "\n")
	_, err := ParsePlan(data, "big.yaml")
	if err == nil || !strings.Contains(err.Error(), "big.yaml: more than 1048576 bytes") {
		t.Fatalf("ParsePlan: %v, want a too-large error", err)
	}
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPlan(path); err == nil || !strings.Contains(err.Error(), "more than 1048576 bytes") {
		t.Fatalf("LoadPlan: %v, want a too-large error", err)
	}
}

// TestLoadPlanRefusesWhatIsNotAFile checks a missing file and a folder are
// one line each.
func TestLoadPlanRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	for path, want := range map[string]string{
		filepath.Join(dir, "none.yaml"): "no such file",
		dir:                             "not a regular file",
	} {
		_, err := LoadPlan(path)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), path+": ") {
			t.Errorf("LoadPlan(%s): %v, want %q", path, err, want)
		}
	}
}

// TestParsePlanDecodesEveryField decodes a plan that sets every field and
// checks each value and its defaults.
func TestParsePlanDecodesEveryField(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "body.json"), []byte(`{"a":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	src := `name: every field
description: all of them
target:
  fleet: {replicas: 4, version: v2, max_surge: 2, max_unavailable: 1, drain: 1s, no_drain: true, startup_delay: 200ms, latency: 1ms..3ms, cpu_work: 1ms, listen: "[::1]:0", bad_versions: [v3, v4]}
load:
  stages: [{duration: 5s, target: 100}, {duration: 1m, target: 0}]
  method: POST
  path: /api?x=1
  headers: {Content-Type: application/json, X-Trace: "1"}
  body_file: body.json
steps:
  - {name: upgrade, at: 10s, action: upgrade=v3}
  - {name: kill, after: upgrade + 5s, action: "kill=1:force"}
  - {name: shed, when: "p(99) > 250ms over 5s", action: scale=6}
  - {after: kill, action: set-rate=50}
  - {at: 20s, action: note=half way}
  - {at: 30s, action: pause-load}
  - {at: 31s, action: resume-load}
  - {at: 60s, action: stop}
thresholds:
  latency: ["p(99)<200", {threshold: "p(99.9)<500", abortOnFail: true, delayAbortEval: 5s}]
  "availability{step:kill}": [{threshold: "rate>0.999", recover: 10s, window: 10s, allow_no_data: true}]
steady_state: {before: 5s, after: 4s, thresholds: {latency: ["p(99)<100"]}}
rollbacks: {strategy: always, actions: [rollback, scale=4]}
agents: 1
`
	p, err := ParsePlan([]byte(src), filepath.Join(dir, "plan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "every field" || p.Description != "all of them" || p.Agents != 1 {
		t.Errorf("name, description, agents: %q %q %d", p.Name, p.Description, p.Agents)
	}
	f := p.Target.Fleet
	if p.Target.Kind() != "fleet" || f == nil {
		t.Fatalf("target %+v", p.Target)
	}
	wantFleet := FleetTarget{Replicas: 4, Version: "v2", MaxSurge: 2, MaxUnavailable: 1, Drain: time.Second, NoDrain: true,
		StartupDelay: 200 * time.Millisecond, Latency: "1ms..3ms", CPUWork: time.Millisecond, Listen: "[::1]:0",
		BadVersions: []string{"v3", "v4"}}
	if !reflect.DeepEqual(*f, wantFleet) {
		t.Errorf("fleet %+v, want %+v", *f, wantFleet)
	}
	l := p.Load
	if len(l.Stages) != 2 || l.Stages[1] != (engine.Stage{Duration: time.Minute, Rate: 0}) || l.Window() != 65*time.Second {
		t.Errorf("stages %+v, window %s", l.Stages, l.Window())
	}
	if l.Method != "POST" || l.Path != "/api?x=1" || string(l.Body) != `{"a":1}` || l.BodyFile != filepath.Join(dir, "body.json") {
		t.Errorf("request %q %q %q %q", l.Method, l.Path, l.Body, l.BodyFile)
	}
	if len(l.Headers) != 2 || l.Headers[0] != (engine.Header{Name: "Content-Type", Value: "application/json"}) || l.Headers[1].Value != "1" {
		t.Errorf("headers %+v", l.Headers)
	}
	if u, err := l.RequestURL("http://127.0.0.1:8080/"); err != nil || u != "http://127.0.0.1:8080/api?x=1" {
		t.Errorf("RequestURL: %q %v", u, err)
	}
	if len(p.Steps) != 8 {
		t.Fatalf("%d steps, want 8", len(p.Steps))
	}
	kill := p.Steps[1]
	if kill.Trigger != (Trigger{Kind: TriggerAfter, After: "upgrade", Delay: 5 * time.Second, Line: 13}) || !kill.Step.Fault.Force || kill.Line != 13 {
		t.Errorf("kill %+v", kill)
	}
	if s := p.Steps[2]; s.Trigger.Kind != TriggerWhen || s.Trigger.When != "p(99) > 250ms over 5s" || s.Step.Replicas != 6 {
		t.Errorf("shed %+v", s)
	}
	if s := p.Steps[3]; s.Step.Action != ActionSetRate || s.Rate != 50 || s.Trigger.Delay != 0 || s.Trigger.String() != "after kill" {
		t.Errorf("set-rate %+v", s)
	}
	if s := p.Steps[4]; s.Note != "half way" || s.Step.Spec != "20s:note=half way" || !IsLoadAction(s.Step.Action) {
		t.Errorf("note %+v", s)
	}
	if len(p.Thresholds) != 3 {
		t.Fatalf("thresholds %+v", p.Thresholds)
	}
	if th := p.Thresholds[1]; th != (Threshold{Metric: "latency", Expr: "p(99.9)<500", AbortOnFail: true, DelayAbortEval: 5 * time.Second, Line: 21}) {
		t.Errorf("threshold %+v", th)
	}
	if th := p.Thresholds[2]; th.Metric != "availability{step:kill}" || th.Recover != 10*time.Second || th.Window != 10*time.Second || !th.AllowNoData || th.Line != 22 {
		t.Errorf("threshold %+v", th)
	}
	if ss := p.SteadyState; ss == nil || ss.Before != 5*time.Second || ss.After != 4*time.Second || len(ss.Thresholds) != 1 {
		t.Errorf("steady state %+v", ss)
	}
	if r := p.Rollbacks; r.Strategy != RollbackAlways || len(r.Actions) != 2 || r.Actions[1].Replicas != 4 {
		t.Errorf("rollbacks %+v", r)
	}
	if p.ThresholdCount() != 4 {
		t.Errorf("ThresholdCount %d, want 4", p.ThresholdCount())
	}
}

// TestParsePlanDefaults checks what a minimal plan leaves to defaults: the
// demo's fleet, no load model, the default rollback strategy.
func TestParsePlanDefaults(t *testing.T) {
	p, err := ParsePlan([]byte("target: {fleet: {}}\n"), "min.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*p.Target.Fleet, defaultFleet()) || p.Target.Fleet.Replicas != 3 || p.Target.Fleet.Latency != "2ms..10ms" {
		t.Errorf("fleet %+v", *p.Target.Fleet)
	}
	if p.Load.EngineOptions() != nil || p.Load.Window() != 0 || p.Rollbacks.Strategy != RollbackDefault || p.Search != nil || p.SteadyState != nil {
		t.Errorf("plan %+v", p)
	}
	p, err = ParsePlan([]byte("target: {url: \"http://127.0.0.1:8080/x\"}\nload: {connections: 8, duration: 5s}\n"), "url.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Target.Kind() != "url" || !p.Load.ClosedLoop() || len(p.Load.EngineOptions()) != 2 {
		t.Errorf("plan %+v", p)
	}
	if u, _ := p.Load.RequestURL(p.Target.URL); u != "http://127.0.0.1:8080/x" {
		t.Errorf("RequestURL %q", u)
	}
	p, err = ParsePlan([]byte("target: {k8s: {deployment: deployment/web, namespace: demo}}\n"), "k8s.yaml")
	if err != nil || p.Target.K8s.Deployment != "web" || p.Target.K8s.Namespace != "demo" {
		t.Errorf("k8s %+v %v", p.Target.K8s, err)
	}
}
