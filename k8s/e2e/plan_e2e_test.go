//go:build k8se2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/report"
	corev1 "k8s.io/api/core/v1"
)

// planReport is a planned run's JSON summary: the load's, the verdict,
// the thresholds, the abort, the steady state, the rollbacks and the
// steps.
type planReport = report.WithSteps

// runPlan runs plan (the YAML text) headless on the app's Deployment
// with --json and --yes, and decodes its JSON summary.
func (a *app) runPlan(t *testing.T, plan string) (cliRun, planReport) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(file, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	run := a.scalelab(t, "--headless", "--json", "--plan", file, "--yes")
	var rep planReport
	if err := json.Unmarshal([]byte(run.stdout), &rep); err != nil {
		t.Fatalf("the JSON summary (exit %d): %v\n%s\nstderr:\n%s", run.code, err, run.stdout, run.stderr)
	}
	return run, rep
}

// TestCLIPlanOnDeployment runs a plan file on the Deployment
// (`scalelab run --k8s deployment/NAME --plan FILE`, the command line's
// target overriding the plan's fleet): its upgrade step, a step after
// it, and its thresholds, judged on the live load; the verdict passes,
// exit 0.
func TestCLIPlanOnDeployment(t *testing.T) {
	t.Parallel()
	a := newApp(t, 3, "v1", replicaOpts()...)
	run, rep := a.runPlan(t, `name: upgrade on a cluster
target: {fleet: {replicas: 3}}
load: {rate: 100, duration: 10s}
steps:
  - {name: upgrade, at: 1s, action: "upgrade=v2"}
  - {name: mark, after: upgrade + 500ms, action: "note=upgraded"}
thresholds:
  availability: ["rate>0.99"]
  latency: ["p(99)<5000"]
  "requests{version:v2}": ["count>0"]
`)
	if run.code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", run.code, run.stderr)
	}
	if rep.Plan != "upgrade on a cluster" || rep.Verdict != "pass" || rep.Requests == 0 {
		t.Errorf("plan %q, verdict %q, %d requests; want the plan's name, pass, requests", rep.Plan, rep.Verdict, rep.Requests)
	}
	if len(rep.Steps) != 2 || !rep.Steps[0].Completed || !rep.Steps[1].Completed || rep.Steps[1].StartS < rep.Steps[0].StartS {
		t.Errorf("steps %+v: want the upgrade, then the step after it, both completed", rep.Steps)
	}
	if len(rep.Thresholds) != 3 {
		t.Fatalf("thresholds %+v: want the plan's three", rep.Thresholds)
	}
	for _, th := range rep.Thresholds {
		if !th.OK || th.Value == nil {
			t.Errorf("threshold %s %s: ok %v, value %v; want held with a value", th.Metric, th.Source, th.OK, th.Value)
		}
	}
}

// badV3 makes the app's v3 a bad build, as the local fleet's
// bad_versions: 30% of its answers are 500s.
func (a *app) badV3() { a.kubelet.versionOptions("v3", fleet.ErrorRate(0.3)) }

// rolledBackToV1 checks that the plan's one rollback action, rollback,
// ran and completed, and that it returned the Deployment to v1: its
// template and, as the run ended, every live pod (the action returns
// once the rollout is done), then every pod the kubelet runs.
func (a *app) rolledBackToV1(t *testing.T, rep planReport, replicas int) {
	t.Helper()
	if len(rep.Rollbacks) != 1 || rep.Rollbacks[0].Action != "rollback" || !rep.Rollbacks[0].OK {
		t.Fatalf("rollbacks %+v: want the rollback, completed", rep.Rollbacks)
	}
	if v := imageVersion(&corev1.Pod{Spec: a.get(t).Spec.Template.Spec}); v != "v1" {
		t.Errorf("after the rollback the Deployment's template runs %s, want v1", v)
	}
	if vs := a.versions(t); len(vs) != 1 || vs["v1"] != replicas {
		t.Errorf("as the run ended the live pods run %v, want %d of v1", vs, replicas)
	}
	ctx, cancel := context.WithTimeout(runCtx, time.Minute)
	defer cancel()
	a.waitConverged(ctx, t, replicas, "v1")
}

// TestCLIPlanFailsOnDeployment runs a plan that upgrades the Deployment
// to a bad build (v3, 30% 500s) under an availability threshold it must
// break: exit 99, the verdict fail naming the threshold with its value,
// the latency threshold held, and the rollbacks (deviated: the verdict
// is not a pass) return every pod to v1.
func TestCLIPlanFailsOnDeployment(t *testing.T) {
	t.Parallel()
	a := newApp(t, 3, "v1", replicaOpts()...)
	a.badV3()
	run, rep := a.runPlan(t, `name: bad version on a cluster
target: {fleet: {replicas: 3}}
load: {rate: 100, duration: 10s}
steps:
  - {name: upgrade, at: 1s, action: "upgrade=v3"}
thresholds:
  availability: ["rate>0.99"]
  latency: ["p(99)<5000"]
rollbacks: {strategy: deviated, actions: ["rollback"]}
`)
	if run.code != 99 || rep.Verdict != "fail" || rep.Aborted != nil {
		t.Fatalf("exit %d, verdict %q, aborted %+v; want 99 and fail", run.code, rep.Verdict, rep.Aborted)
	}
	if len(rep.Steps) != 1 || !rep.Steps[0].Completed {
		t.Errorf("steps %+v: want the upgrade completed (the bad build is ready, it fails only answers)", rep.Steps)
	}
	if v3, ok := rep.ByVersion["v3"]; !ok || v3.Requests == 0 || v3.Failed == 0 {
		t.Errorf("by_version %+v: want v3 answering, with failures (its 500s)", rep.ByVersion)
	}
	if len(rep.Thresholds) != 2 {
		t.Fatalf("thresholds %+v: want the plan's two", rep.Thresholds)
	}
	avail, lat := rep.Thresholds[0], rep.Thresholds[1]
	if avail.Metric != "availability" || avail.Source != "rate>0.99" || avail.OK || avail.NoData ||
		avail.Value == nil || *avail.Value >= 0.99 || *avail.Value <= 0 || !strings.HasPrefix(avail.Text, "rate=") || avail.FirstFailedS == nil {
		t.Errorf("availability threshold %+v: want failed, with its value under 0.99 and when it first failed", avail)
	} else {
		t.Logf("availability %s (%.4f), first failed at %.3fs", avail.Text, *avail.Value, *avail.FirstFailedS)
		if *avail.FirstFailedS < rep.Steps[0].StartS {
			t.Errorf("availability first failed at %.3fs, before the upgrade started at %.3fs", *avail.FirstFailedS, rep.Steps[0].StartS)
		}
	}
	if lat.Metric != "latency" || !lat.OK || lat.Value == nil {
		t.Errorf("latency threshold %+v: want held with a value", lat)
	}
	a.rolledBackToV1(t, rep, 3)
}

// TestCLIPlanAbortsOnDeployment upgrades the Deployment to the bad build
// under an abortOnFail availability threshold: exit 108, the verdict
// aborted naming the threshold, the load stopped within a second of the
// breach (its sending window and its requests both say so), and the
// rollbacks (default: on an abort) return every pod to v1, the upgrade
// cut wherever it was.
func TestCLIPlanAbortsOnDeployment(t *testing.T) {
	t.Parallel()
	a := newApp(t, 3, "v1", replicaOpts()...)
	a.badV3()
	const rate = 100
	run, rep := a.runPlan(t, fmt.Sprintf(`name: abort on a cluster
target: {fleet: {replicas: 3}}
load: {rate: %d, duration: 20s}
steps:
  - {name: upgrade, at: 1s, action: "upgrade=v3"}
thresholds:
  availability: [{threshold: "rate>0.99", abortOnFail: true}]
rollbacks: {strategy: default, actions: ["rollback"]}
`, rate))
	if run.code != 108 || rep.Verdict != "aborted" || rep.Aborted == nil {
		t.Fatalf("exit %d, verdict %q, aborted %+v; want 108 and aborted", run.code, rep.Verdict, rep.Aborted)
	}
	ab := rep.Aborted
	if !strings.Contains(ab.Threshold, "availability") || !strings.Contains(ab.Threshold, "rate>0.99") || ab.Value >= 0.99 {
		t.Errorf("aborted %+v: want the availability threshold, its value under 0.99", ab)
	}
	if len(rep.Steps) != 1 || ab.AtS < rep.Steps[0].StartS {
		t.Fatalf("the abort at %.3fs, steps %+v: want it after the upgrade started", ab.AtS, rep.Steps)
	}
	if len(rep.Thresholds) != 1 || rep.Thresholds[0].OK || rep.Thresholds[0].FirstFailedS == nil {
		t.Fatalf("thresholds %+v: want the availability failed, with when", rep.Thresholds)
	}
	first := *rep.Thresholds[0].FirstFailedS
	lag := rep.DurationS - ab.AtS
	t.Logf("upgrade at %.3fs (completed %v, cut %v), first failed at %.3fs, abort at %.3fs, the load ended at %.3fs: %.0f ms after the breach; %d requests",
		rep.Steps[0].StartS, rep.Steps[0].Completed, rep.Steps[0].Cut, first, ab.AtS, rep.DurationS, lag*1000, rep.Requests)
	if first > ab.AtS {
		t.Errorf("the threshold first failed at %.3fs, after the abort at %.3fs", first, ab.AtS)
	}
	if lag < 0 || lag > 1 {
		t.Errorf("the load ended %.3fs after the breach, want within 1s", lag)
	}
	// The open loop sends rate a second: what it sent says when it
	// stopped, apart from the window it reports.
	if most := uint64(rate*(ab.AtS+1)) + 10; rep.Requests > most {
		t.Errorf("%d requests by a load aborted at %.3fs, want at most %d (%d/s until a second later)", rep.Requests, ab.AtS, most, rate)
	}
	if st := rep.Steps[0]; !st.Completed && !st.Cut {
		t.Errorf("the upgrade %+v failed; want it completed, or cut by the abort", st)
	}
	a.rolledBackToV1(t, rep, 3)
}

// TestCLIPlanSteadyStateNotMetOnDeployment runs a plan whose baseline
// cannot hold on the Deployment (answers take 50–100 ms, the steady
// state wants p(99) under 10 ms): the load stops at the baseline's end,
// exit 99 with the verdict steady-state-not-met, no step runs, the
// rollbacks run (always) and the Deployment is as it was: same
// generation, image, replicas and pods.
func TestCLIPlanSteadyStateNotMetOnDeployment(t *testing.T) {
	t.Parallel()
	a := newApp(t, 3, "v1", replicaOpts()...)
	before := a.look(t)
	run, rep := a.runPlan(t, `name: baseline on a cluster
target: {fleet: {replicas: 3}}
load: {rate: 100, duration: 10s}
steps:
  - {name: upgrade, at: 3s, action: "upgrade=v2"}
  - {name: later, after: upgrade, action: "note=never"}
steady_state: {before: 2s, after: 1s, thresholds: {latency: ["p(99)<10"]}}
rollbacks: {strategy: always, actions: ["scale=3"]}
`)
	if run.code != 99 || rep.Verdict != "steady-state-not-met" {
		t.Fatalf("exit %d, verdict %q; want 99 and steady-state-not-met", run.code, rep.Verdict)
	}
	t.Logf("the load ended at %.3fs, %d requests", rep.DurationS, rep.Requests)
	if rep.DurationS < 2 || rep.DurationS > 3 {
		t.Errorf("the load lasted %.3fs, want it stopped at the 2s baseline's end (within a second)", rep.DurationS)
	}
	ss := rep.SteadyState
	if ss == nil || ss.Before == nil || ss.Before.OK || ss.After != nil || len(ss.Before.Thresholds) != 1 {
		t.Fatalf("steady state %+v: want the baseline judged, not met, and no window after", ss)
	}
	if th := ss.Before.Thresholds[0]; th.OK || th.Value == nil || *th.Value < answerTime.Min.Seconds()*1000 {
		t.Errorf("the baseline's threshold %+v: want failed, its p(99) at least %v", th, answerTime.Min)
	}
	if len(rep.Steps) != 2 {
		t.Fatalf("steps %+v: want the plan's two", rep.Steps)
	}
	for _, st := range rep.Steps {
		if st.Completed || !st.Cut || !strings.Contains(st.Error, "steady state was not met") {
			t.Errorf("step %+v: want not run", st)
		}
	}
	if strings.Contains(run.stderr, "upgrade started") {
		t.Errorf("a step ran:\n%s", run.stderr)
	}
	if len(rep.Rollbacks) != 1 || rep.Rollbacks[0].Action != "scale=3" || !rep.Rollbacks[0].OK {
		t.Errorf("rollbacks %+v: want scale=3, completed (always)", rep.Rollbacks)
	}
	a.unchanged(t, before, "the baseline not met")
	if run := a.kubelet.running(); len(run) != 1 || run["v1"] != 3 {
		t.Errorf("the kubelet runs %v, want 3 of v1", run)
	}
}
