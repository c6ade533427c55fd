package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
)

// TestReplayJudgesTheSteadyState: a plan run whose steady state fails
// before the method (the real binary, live) replays with the live verdict
// (steady-state-not-met), its summary byte for byte and no warning; the
// recording keeps the steady state (1.8) and a replay judges it again.
func TestReplayJudgesTheSteadyState(t *testing.T) {
	bin := tuiBinary(t)
	plan := writePlan(t, `name: baseline
target: {fleet: {replicas: 2, version: v1, latency: 50ms}}
load: {rate: 100, duration: 4s}
steps:
  - {name: upgrade, at: 2s, action: "upgrade=v2"}
steady_state: {before: 1500ms, thresholds: {latency: ["p(99)<10"]}}
`)
	file := filepath.Join(t.TempDir(), "plan.scalelab")
	sum, live, errOut, code := runPlanBin(t, bin, "demo", "--headless", "--json", "--plan", plan, "--record", file)
	if code != 99 || sum.Verdict != string(analysis.VerdictSteadyStateNotMet) {
		t.Fatalf("live: exit %d, verdict %q\n%s", code, sum.Verdict, errOut)
	}
	replaysAsLive(t, file, live)
}

// TestReplayJudgesAKilledSteadyStatePlan SIGKILLs a plan run inside its
// steady state's baseline: the summary computed from the frames has the
// verdict the live run reaches from them (steady-state-not-met: the
// baseline was never judged) and the steady state, the step not run.
func TestReplayJudgesAKilledSteadyStatePlan(t *testing.T) {
	bin := tuiBinary(t)
	plan := writePlan(t, `name: baseline
target: {fleet: {replicas: 2, version: v1, latency: 50ms}}
load: {rate: 100, duration: 30s}
steps:
  - {name: upgrade, at: 20s, action: "upgrade=v2"}
steady_state: {before: 15s, thresholds: {latency: ["p(99)<10"]}}
`)
	file := filepath.Join(t.TempDir(), "killed.scalelab")
	p := start(t, bin, "demo", "--headless", "--plan", plan, "--record", file)
	p.waitLine(t, "recording to "+file, 30*time.Second)
	out := killAndReplay(t, p, file, 3*time.Second)
	var sum struct {
		Requests    uint64 `json:"requests"`
		Verdict     string `json:"verdict"`
		SteadyState *struct {
			Before *struct {
				OK bool `json:"ok"`
			} `json:"before"`
		} `json:"steady_state"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("stdout: %v\n%s", err, out)
	}
	if sum.Requests < 100 || sum.Verdict != string(analysis.VerdictSteadyStateNotMet) ||
		sum.SteadyState == nil || sum.SteadyState.Before == nil || sum.SteadyState.Before.OK {
		t.Fatalf("computed summary: %s", out)
	}
}
