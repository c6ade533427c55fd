//go:build k8se2e

package e2e

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	scluster "github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/k8s"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// slowStart makes each pod take a while to become ready, so that a
// 4-replica rollout lasts several seconds and can be caught in the middle.
func slowStart() []fleet.ReplicaOption {
	return replicaOpts(fleet.StartupDelay(1500 * time.Millisecond))
}

// TestRollbackMidRollout rolls back (kubectl rollout undo, through the
// driver) while an upgrade to v2 is half done and v2 already takes
// traffic: the upgrade reports that it was superseded, every pod returns
// to v1, and no request fails on the way.
func TestRollbackMidRollout(t *testing.T) {
	t.Parallel()
	a := newApp(t, 4, "v1", slowStart()...)
	d, events := a.startDriver(t, a.cp.client, k8s.Options{})
	waitBalanced(t, d.Endpoints(), 4, "v1")
	load := startLoad(t, a.url(), d.Endpoints(), 200, 90*time.Second)
	ctx, cancel := context.WithTimeout(runCtx, time.Minute)
	defer cancel()

	upgraded := make(chan error, 1)
	go func() { upgraded <- d.Upgrade(ctx, "v2") }()
	// Mid-rollout: a v2 pod takes traffic (it is among the endpoints the
	// load balances across, at once: the load's own snapshots lag by a
	// tick, long enough for a busy machine to finish the rollout) while v1
	// pods remain. That v2 answered is checked with the load's total below.
	err := wait.PollUntilContextTimeout(ctx, 5*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		for _, e := range d.Endpoints().List() {
			if e.Version == "v2" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("v2 never took traffic: %v; events:\n%s", err, events)
	}
	time.Sleep(100 * time.Millisecond) // some of the load's requests reach it
	// v1 pods remain (Active) and v2 is not all ready: the new ReplicaSet
	// may be at its full count already (Updated 4, Ready 3 seen in CI).
	if st := d.State(); !st.Rollout.Active || st.Rollout.Ready >= st.Rollout.Desired {
		t.Fatalf("not mid-rollout: %+v", st.Rollout)
	}
	if err := d.Rollback(ctx); err != nil {
		t.Fatalf("rollback: %v; events:\n%s", err, events)
	}
	select {
	case err := <-upgraded:
		if !errors.Is(err, scluster.ErrSuperseded) {
			t.Errorf("the interrupted upgrade returned %v, want an error wrapping ErrSuperseded", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the interrupted upgrade did not return")
	}

	a.waitConverged(ctx, t, 4, "v1")
	waitBalanced(t, d.Endpoints(), 4, "v1")
	if msg := a.waitRolledOut(ctx, t); !strings.Contains(msg, "successfully rolled out") {
		t.Errorf("kubectl rollout status says %q", msg)
	}
	// As after kubectl rollout undo: v1's template is revision 3.
	if rev := a.get(t).Annotations["deployment.kubernetes.io/revision"]; rev != "3" {
		t.Errorf("the Deployment's revision after the rollback is %q, want 3", rev)
	}
	if st := d.State(); st.Version != "v1" || st.Rollout.Active {
		t.Errorf("driver state after the rollback: version %q, rollout %+v", st.Version, st.Rollout)
	}
	res := load.stop(t)
	t.Logf("load: %s", describe(res.Total))
	assertNoLoss(t, res.Total)
	if v2 := res.Total.ByVersion["v2"]; v2 == nil || v2.Requests == 0 {
		t.Error("v2 took no traffic before the rollback: not a mid-rollout rollback")
	}
	events.waitFor(t, "of the rollback", func(e scluster.Event) bool { return e.Kind == scluster.Rollback })
}

// TestPauseStopsRollout pauses an upgrade in its first step (kubectl
// rollout pause, through the driver): while paused, the updated count
// stays frozen, no old pod is removed, and the upgrade does not complete;
// resuming completes it.
func TestPauseStopsRollout(t *testing.T) {
	t.Parallel()
	a := newApp(t, 4, "v1", slowStart()...)
	d, events := a.startDriver(t, a.cp.client, k8s.Options{})
	ctx, cancel := context.WithTimeout(runCtx, time.Minute)
	defer cancel()

	upgraded := make(chan error, 1)
	go func() { upgraded <- d.Upgrade(ctx, "v2") }()
	// The controller started the rollout: a v2 pod exists.
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return a.versions(t)["v2"] >= 1, nil
	})
	if err != nil {
		t.Fatalf("no v2 pod appeared: %v", err)
	}
	if err := d.PauseRollout(ctx); err != nil {
		t.Fatalf("pause: %v; events:\n%s", err, events)
	}
	// Take the reference once the controller has seen the pause and its
	// status counts the v2 pod seen above (its ReplicaSet's status can lag
	// the pod: once in CI the paused status said 0 updated).
	var dep *appsv1.Deployment
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		dep = a.get(t)
		return dep.Spec.Paused && dep.Status.ObservedGeneration == dep.Generation && dep.Status.UpdatedReplicas >= 1, nil
	})
	if err != nil {
		t.Fatalf("the controller never observed the pause with the v2 pod counted: %v", err)
	}
	updated := dep.Status.UpdatedReplicas
	live, _ := a.pods(t)
	if updated < 1 || updated >= 4 {
		t.Fatalf("paused with %d updated replicas: not mid-rollout", updated)
	}

	time.Sleep(3 * time.Second) // a v2 pod becomes ready in 1.5 s: the rollout would move on
	now := a.get(t)
	if now.Status.UpdatedReplicas != updated {
		t.Errorf("updated replicas went %d → %d while paused", updated, now.Status.UpdatedReplicas)
	}
	after, _ := a.pods(t)
	for _, p := range live {
		if imageVersion(&p) == "v1" && !slices.ContainsFunc(after, func(q corev1.Pod) bool { return q.UID == p.UID }) {
			t.Errorf("v1 pod %s was removed while paused", p.Name)
		}
	}
	if v := a.versions(t); v["v2"] != int(updated) {
		t.Errorf("%d v2 pods while paused with %d updated", v["v2"], updated)
	}
	if st := d.State(); !st.Rollout.Paused {
		t.Errorf("the driver does not report the pause: %+v", st.Rollout)
	}
	select {
	case err := <-upgraded:
		t.Fatalf("the upgrade returned while paused: %v", err)
	default:
	}

	if err := d.ResumeRollout(ctx); err != nil {
		t.Fatalf("resume: %v", err)
	}
	select {
	case err := <-upgraded:
		if err != nil {
			t.Fatalf("the resumed upgrade: %v; events:\n%s", err, events)
		}
	case <-ctx.Done():
		t.Fatal("the resumed upgrade did not complete")
	}
	a.waitConverged(ctx, t, 4, "v2")
	if got := a.get(t); got.Spec.Paused {
		t.Error("the Deployment is still paused")
	}
}
