//go:build k8se2e

package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/k8s"
)

// upgradeRate is the load during the upgrade proofs, in requests a second.
const upgradeRate = 300

// upgradeRun is what a rolling upgrade under load measured.
type upgradeRun struct {
	res     *engine.Result
	message string // the driver's rollout message at the end
	// before holds the ticks that ended before the upgrade started; after
	// those that started half a second after the driver's endpoints were
	// all v2 (the requests in flight to v1 then had ended).
	before, after *engine.Snapshot
	ticks         []*engine.Snapshot
	events        *eventTrail
	eps           *endpointHistory
}

// settle is how long after the endpoints changed the requests in flight
// to the old ones are surely done (answers take at most 100 ms; the
// margin is for a busy machine).
const settle = 500 * time.Millisecond

// upgradeUnderLoad deploys 4 replicas of v1 (maxSurge 1, maxUnavailable
// 0) whose demo service runs with opts, sends constant load through the
// driver's endpoints, upgrades to v2 through the driver, and keeps the
// load on until a second of load went to the v2 endpoints alone.
func upgradeUnderLoad(t *testing.T, opts ...fleet.ReplicaOption) upgradeRun {
	t.Helper()
	a := newApp(t, 4, "v1", opts...)
	d, events := a.startDriver(t, a.cp.client, k8s.Options{})
	waitBalanced(t, d.Endpoints(), 4, "v1")

	history := watchEndpoints(t, d.Endpoints())
	load := startLoad(t, a.url(), d.Endpoints(), upgradeRate, 90*time.Second)
	load.waitRequests(t, upgradeRate) // a second of v1
	ctx, cancel := context.WithTimeout(runCtx, time.Minute)
	defer cancel()
	start := time.Now()
	if err := d.Upgrade(ctx, "v2"); err != nil {
		t.Fatalf("upgrade to v2: %v; events:\n%s", err, events)
	}
	took := time.Since(start)
	waitBalanced(t, d.Endpoints(), 4, "v2")
	balanced := time.Now()
	load.waitUntil(t, balanced.Add(settle+time.Second))
	res := load.stop(t)
	msg := d.State().Rollout.Message
	t.Logf("upgrade took %s; load: %s", took.Round(time.Millisecond), describe(res.Total))
	a.waitConverged(ctx, t, 4, "v2")
	if status := a.waitRolledOut(ctx, t); !strings.Contains(status, "successfully rolled out") {
		t.Errorf("kubectl rollout status says %q", status)
	}
	ticks := load.atRate()
	run := upgradeRun{res: res, message: msg, ticks: ticks, events: events, eps: history}
	run.before = merged(slices.DeleteFunc(slices.Clone(ticks), func(s *engine.Snapshot) bool { return s.End.After(start) }))
	run.after = merged(slices.DeleteFunc(slices.Clone(ticks), func(s *engine.Snapshot) bool { return s.Start.Before(balanced.Add(settle)) }))
	return run
}

// TestRollingUpgradeLosesNothing proves the headline: a rolling upgrade
// v1→v2 of 4 replicas (maxSurge 1, maxUnavailable 0) under constant load
// through scalelab's endpoint-following balancer completes with zero
// failed requests, the driver's rollout status reaches kubectl's
// "successfully rolled out", and the per-version split shows the traffic
// moving from v1 to v2.
func TestRollingUpgradeLosesNothing(t *testing.T) {
	t.Parallel()
	run := upgradeUnderLoad(t, replicaOpts()...)
	total := run.res.Total
	assertNoLoss(t, total)
	if !strings.Contains(run.message, "successfully rolled out") {
		t.Errorf("the driver's rollout message is %q, want kubectl's \"successfully rolled out\"", run.message)
	}

	sum := engine.Summarize(total, run.res.Window.Seconds())
	for _, v := range []string{"v1", "v2"} {
		vs, ok := sum.ByVersion[v]
		if !ok || vs.Requests == 0 || vs.Errors != 0 {
			t.Errorf("by_version[%s] = %+v, want requests and no errors (by_version %+v)", v, vs, sum.ByVersion)
		}
	}
	if n := sum.ByVersion["v1"].Requests + sum.ByVersion["v2"].Requests; n != total.Requests {
		t.Errorf("by_version adds up to %d requests, the run had %d", n, total.Requests)
	}
	// Before the upgrade all traffic went to v1; once the endpoints were
	// v2, all of it went to v2.
	if v := versionsOf(run.before); !slices.Equal(v, []string{"v1"}) || run.before.Requests < upgradeRate/2 {
		t.Errorf("before the upgrade the traffic went to %v, want v1 only: %s", v, describe(run.before))
	}
	if v := versionsOf(run.after); !slices.Equal(v, []string{"v2"}) || run.after.Requests < upgradeRate/2 {
		t.Errorf("after the upgrade the traffic went to %v, want v2 only: %s", v, describe(run.after))
		t.Logf("ticks:\n%s\nendpoints:\n%s\nevents:\n%s", tickLines(run.ticks), run.eps, run.events)
	}
	t.Logf("before the upgrade: %s", describe(run.before))
	t.Logf("after it: %s", describe(run.after))
	t.Logf("by_version: v1 %d, v2 %d requests", sum.ByVersion["v1"].Requests, sum.ByVersion["v2"].Requests)
	t.Logf("zero-loss upgrade: %d requests", total.Requests)
}

// TestUpgradeWithoutDrainLosesRequests runs the same upgrade with the
// demo service's drain disabled (it closes its connections as soon as its
// pod is deleted): requests are lost, so the zero-loss proof can fail.
func TestUpgradeWithoutDrainLosesRequests(t *testing.T) {
	t.Parallel()
	run := upgradeUnderLoad(t, replicaOpts(fleet.NoDrain())...)
	total := run.res.Total
	if total.Failed() == 0 {
		t.Fatalf("without a drain the upgrade lost nothing: %s", describe(total))
	}
	t.Logf("without drain: %d of %d requests failed", total.Failed(), total.Requests)
}
