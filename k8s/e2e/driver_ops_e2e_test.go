//go:build k8se2e

package e2e

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	cl "github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/k8s"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// livePods returns the names of the state's live pods, by version.
func livePods(st cl.State) map[string][]string {
	out := map[string][]string{}
	for _, r := range st.Replicas {
		if r.Phase.Live() {
			out[r.Version] = append(out[r.Version], r.Name)
		}
	}
	return out
}

// waitState polls d's state until ok, failing the test after a minute.
func waitState(t *testing.T, d *k8s.Deployment, what string, ok func(cl.State) bool) cl.State {
	t.Helper()
	var st cl.State
	err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		st = d.State()
		return ok(st), nil
	})
	if err != nil {
		t.Fatalf("%s: state never matched: %+v", what, st)
	}
	return st
}

// TestDriverKillReplacesPod deletes a pod forcefully through the driver:
// Inject returns once the ReplicaSet replaced it, the events say what
// happened (the fault, the kill, the pod gone, the controller's
// SuccessfulCreate), and the blast-radius cap refuses two pods.
func TestDriverKillReplacesPod(t *testing.T) {
	t.Parallel()
	s := setupDriver(t, "kill", 3, "scalelab/target:v1", k8s.Options{})
	d, ctx := s.d, s.ctx
	if err := d.Scale(ctx, 3); err != nil {
		t.Fatalf("Scale(3): %v", err)
	}
	victim := livePods(d.State())["v1"][0]
	start := time.Now()
	if err := d.Inject(ctx, cl.Fault{Kind: cl.FaultKill, Replica: victim, Force: true}); err != nil {
		t.Fatalf("kill %s: %v", victim, err)
	}
	t.Logf("forced kill replaced in %s", time.Since(start).Round(time.Millisecond))
	st := d.State()
	if live := livePods(st)["v1"]; len(live) != 3 || slices.Contains(live, victim) || st.Count(cl.Ready) != 3 {
		t.Errorf("after the kill: live %v (victim %s), %d ready; want 3 others ready", live, victim, st.Count(cl.Ready))
	}
	s.log.waitText(t, cl.FaultInjected, "fault: force-delete (grace period 0) pod "+victim)
	s.log.waitText(t, cl.ReplicaKilled, victim)
	s.log.waitText(t, cl.ReplicaStopped, "pod "+victim+" gone")
	s.log.waitText(t, cl.KubeEvent, "k8s Event: SuccessfulCreate replicaset/")

	err := d.Inject(ctx, cl.Fault{Kind: cl.FaultKill, Count: 2})
	if err == nil || err.Error() != "kill 2 pods refused: above the cap of 1 (--max-kill 1)" {
		t.Errorf("kill 2: %v, want the cap's refusal", err)
	}
	err = d.Inject(ctx, cl.Fault{Kind: cl.FaultHang, Count: 1})
	if err == nil || !strings.Contains(err.Error(), "not supported on Kubernetes") {
		t.Errorf("hang: %v", err)
	}
}

// TestDriverPauseRollbackRestart: pods that take 400 ms to get ready make
// the rollouts slow enough to act in the middle. Pause stops an upgrade
// (it keeps waiting), resume lets it finish; a rollback in the middle of
// the next upgrade supersedes it and returns every pod to the previous
// version; a restart replaces every pod.
func TestDriverPauseRollbackRestart(t *testing.T) {
	t.Parallel()
	s := setupDriver(t, "ops", 3, "scalelab/target:v1", k8s.Options{}, fleet.StartupDelay(400*time.Millisecond))
	d, ctx := s.d, s.ctx
	if err := d.Scale(ctx, 3); err != nil {
		t.Fatalf("Scale(3): %v", err)
	}

	upgraded := make(chan error, 1)
	go func() { upgraded <- d.Upgrade(ctx, "v2") }()
	waitState(t, d, "the upgrade started", func(st cl.State) bool { return len(livePods(st)["v2"]) >= 1 })
	if err := d.PauseRollout(ctx); err != nil {
		t.Fatalf("PauseRollout: %v", err)
	}
	paused := d.State()
	if !paused.Rollout.Paused || !paused.Rollout.Active {
		t.Errorf("after pause: rollout %+v, want paused and active", paused.Rollout)
	}
	time.Sleep(2 * time.Second) // the controller would have finished by now
	st := d.State()
	if n := len(livePods(st)["v2"]); n >= 3 {
		t.Errorf("paused rollout went on: %d pods of v2", n)
	}
	select {
	case err := <-upgraded:
		t.Fatalf("Upgrade returned while paused: %v", err)
	default:
	}
	s.log.waitText(t, cl.Note, "rollout of deployment/ops paused")
	if err := d.ResumeRollout(ctx); err != nil {
		t.Fatalf("ResumeRollout: %v", err)
	}
	if err := <-upgraded; err != nil {
		t.Fatalf("Upgrade after resume: %v", err)
	}
	if st := d.State(); st.Version != "v2" || st.Rollout.Paused {
		t.Errorf("after resume: version %s paused %v", st.Version, st.Rollout.Paused)
	}

	// Rollback in the middle of an upgrade to v3: back to v2.
	go func() { upgraded <- d.Upgrade(ctx, "v3") }()
	waitState(t, d, "the upgrade to v3 started", func(st cl.State) bool { return len(livePods(st)["v3"]) >= 1 })
	if err := d.Rollback(ctx); err != nil {
		t.Fatalf("Rollback mid-rollout: %v", err)
	}
	if err := <-upgraded; !errors.Is(err, cl.ErrSuperseded) {
		t.Errorf("the interrupted upgrade returned %v, want ErrSuperseded", err)
	}
	st = waitState(t, d, "all pods back on v2", func(st cl.State) bool {
		live := livePods(st)
		return len(live["v2"]) == 3 && len(live) == 1
	})
	if st.Version != "v2" || st.Previous != "v3" {
		t.Errorf("after rollback: version %s previous %s, want v2 v3", st.Version, st.Previous)
	}
	s.log.waitText(t, cl.Rollback, "rollback v3 → v2")

	before := livePods(st)["v2"]
	if err := d.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	st = waitState(t, d, "all pods restarted", func(st cl.State) bool {
		live := livePods(st)["v2"]
		return len(live) == 3 && !slices.ContainsFunc(live, func(n string) bool { return slices.Contains(before, n) })
	})
	dep, err := s.cp.client.AppsV1().Deployments(s.ns).Get(ctx, "ops", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if at := dep.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]; at == "" {
		t.Error("restart: no kubectl.kubernetes.io/restartedAt annotation")
	} else if _, err := time.Parse(time.RFC3339, at); err != nil {
		t.Errorf("restartedAt %q: %v", at, err)
	}
	s.log.waitText(t, cl.RolloutStarted, "rollout v2: pod template changed")
}
