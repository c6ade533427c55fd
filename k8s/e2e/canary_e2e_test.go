//go:build k8se2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	scluster "github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/k8s"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// checkCanaryHeld checks the Deployment holds a canary of version on
// one pod beside the 4 old ones: paused, exactly one pod of version,
// ready and among the endpoints, and it stays so for longer than the
// pods take to start (a rollout that was not held would move on).
func checkCanaryHeld(t *testing.T, a *app, d *k8s.Deployment, version string) {
	t.Helper()
	for _, wait := range []time.Duration{0, 2 * time.Second} {
		time.Sleep(wait)
		dep := a.get(t)
		if !dep.Spec.Paused {
			t.Errorf("after %s: the Deployment is not paused", wait)
		}
		if v := a.versions(t); v[version] != 1 || v["v1"] != 4 {
			t.Errorf("after %s: pods by version %v, want 1 of %s beside the 4 of v1", wait, v, version)
		}
		got := map[string]int{}
		for _, e := range d.Endpoints().List() {
			got[e.Version]++
		}
		if got[version] != 1 || got["v1"] != 4 {
			t.Errorf("after %s: endpoints by version %v, want %s on 1 beside v1 on 4", wait, got, version)
		}
	}
	if err := d.Upgrade(t.Context(), "v9"); err == nil || !strings.Contains(err.Error(), "canary of "+version+" is held") {
		t.Errorf("an upgrade while the canary is held: %v, want it refused", err)
	}
}

// checkStrategyRestored checks the Deployment's own strategy (max surge
// 1, max unavailable 0, as newApp makes it) and minReadySeconds are back
// and it is no longer paused.
func checkStrategyRestored(t *testing.T, dep *appsv1.Deployment) {
	t.Helper()
	ru := dep.Spec.Strategy.RollingUpdate
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	if ru == nil || *ru.MaxSurge != one || *ru.MaxUnavailable != zero || dep.Spec.MinReadySeconds != 0 || dep.Spec.Paused {
		t.Errorf("strategy %+v, minReadySeconds %d, paused %v: want the Deployment's own back (surge 1, unavailable 0, 0 s), resumed",
			dep.Spec.Strategy, dep.Spec.MinReadySeconds, dep.Spec.Paused)
	}
}

// TestCanaryHeldThenEnded starts a canary of v2 on one pod of a
// 4-replica Deployment under load, through the driver: it returns with
// the rollout paused at exactly one v2 pod, ready and serving beside the
// four v1 pods, and held there. Promoting completes the rollout; rolling
// back (Rollback, as AbortCanary) brings every pod back to v1, the
// driver's event a rollback, with no canary held after. Either way the
// Deployment's own strategy is restored and no request fails.
func TestCanaryHeldThenEnded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, final string
		end         func(*k8s.Deployment, context.Context) error
	}{
		{"promoted", "v2", (*k8s.Deployment).PromoteCanary},
		{"rolled back", "v1", (*k8s.Deployment).Rollback},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, 4, "v1", replicaOpts()...)
			d, events := a.startDriver(t, a.cp.client, k8s.Options{})
			waitBalanced(t, d.Endpoints(), 4, "v1")
			load := startLoad(t, a.url(), d.Endpoints(), 200, 90*time.Second)
			ctx, cancel := context.WithTimeout(runCtx, time.Minute)
			defer cancel()

			if err := d.StartCanary(ctx, "v2", 1); err != nil {
				t.Fatalf("start the canary: %v; events:\n%s", err, events)
			}
			checkCanaryHeld(t, a, d, "v2")
			if err := tc.end(d, ctx); err != nil {
				t.Fatalf("end the canary: %v; events:\n%s", err, events)
			}
			a.waitConverged(ctx, t, 4, tc.final)
			waitBalanced(t, d.Endpoints(), 4, tc.final)
			checkStrategyRestored(t, a.get(t))
			if err := d.PromoteCanary(ctx); err == nil || !strings.Contains(err.Error(), "no canary is held") {
				t.Errorf("promote once ended: %v, want no canary held", err)
			}
			res := load.stop(t)
			t.Logf("load: %s", describe(res.Total))
			assertNoLoss(t, res.Total)
			if v2 := res.Total.ByVersion["v2"]; v2 == nil || v2.Requests == 0 {
				t.Error("the canary took no traffic")
			}
			if tc.final == "v1" {
				events.waitFor(t, "of the rollback", func(e scluster.Event) bool { return e.Kind == scluster.Rollback })
			}
		})
	}
}

// canaryReport is the part of a run's JSON summary the canary proofs read.
type canaryReport struct {
	Requests uint64 `json:"requests"`
	Failed   uint64 `json:"failed"`
	Canary   *struct {
		Version   string `json:"version"`
		Baseline  string `json:"baseline"`
		Decision  string `json:"decision"`
		Reason    string `json:"reason"`
		Acted     bool   `json:"acted"`
		Intervals []struct {
			Outcome string `json:"outcome"`
			Metric  string `json:"metric"`
		} `json:"intervals"`
	} `json:"canary"`
}

// TestCLICanaryJudged runs canary steps on a 4-replica Deployment from
// the command line, judged live: v2, as fast as v1, is promoted (every
// pod on v2, exit 0); then v3, a bad build (30% of its answers 500), is
// rolled back (every pod on v2 again, exit 99) with the verdict naming
// the error rate.
func TestCLICanaryJudged(t *testing.T) {
	t.Parallel()
	a := newApp(t, 4, "v1", replicaOpts()...)
	a.kubelet.versionOptions("v3", fleet.ErrorRate(0.3))
	ctx, cancel := context.WithTimeout(runCtx, 2*time.Minute)
	defer cancel()

	// At 500 req/s the canary's pod (1 of 5; measured: 1 request in 7)
	// answers about 280 per 4 s interval, past the 200 each version needs.
	// The generator bound is ignored: beside a control plane on a 2-core
	// machine the generator is saturated (run delay over 200 ms/s), which
	// would make every interval inconclusive; the bound is tested in the
	// canary and session packages.
	run := a.scalelab(t, "--headless", "--json", "--duration", "30s", "--rate", "500",
		"--step", "1s:canary=v2:1", "--canary-interval", "4s", "--canary-generator-bound", "ignore", "--yes")
	rep := decodeCanary(t, run)
	if run.code != 0 || rep.Canary.Decision != "promote" || !rep.Canary.Acted || rep.Canary.Version != "v2" || rep.Canary.Baseline != "v1" {
		t.Fatalf("good canary: exit %d, %+v; want promoted, exit 0", run.code, rep.Canary)
	}
	if rep.Failed != 0 {
		t.Errorf("good canary: %d of %d requests failed", rep.Failed, rep.Requests)
	}
	a.waitConverged(ctx, t, 4, "v2")
	t.Logf("promoted: %s", rep.Canary.Reason)

	run = a.scalelab(t, "--headless", "--json", "--duration", "20s", "--rate", "500",
		"--step", "1s:canary=v3:1", "--canary-interval", "4s", "--canary-generator-bound", "ignore", "--yes")
	rep = decodeCanary(t, run)
	if run.code != 99 || rep.Canary.Decision != "rollback" || !rep.Canary.Acted || rep.Canary.Baseline != "v2" {
		t.Fatalf("bad canary: exit %d, %+v; want rolled back, exit 99", run.code, rep.Canary)
	}
	if !strings.Contains(rep.Canary.Reason, "error") {
		t.Errorf("bad canary's verdict %q does not name the error rate", rep.Canary.Reason)
	}
	a.waitConverged(ctx, t, 4, "v2")
	checkStrategyRestored(t, a.get(t))
	t.Logf("rolled back: %s", rep.Canary.Reason)
}

// decodeCanary reads a run's JSON summary, which must have a canary.
func decodeCanary(t *testing.T, run cliRun) canaryReport {
	t.Helper()
	var rep canaryReport
	if err := json.Unmarshal([]byte(run.stdout), &rep); err != nil || rep.Canary == nil {
		t.Fatalf("the JSON summary (%v) has no canary: exit %d\n%s\nstderr:\n%s", err, run.code, run.stdout, run.stderr)
	}
	return rep
}
