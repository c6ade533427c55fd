//go:build k8se2e

package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	scluster "github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/k8s"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestForceKillUnderLoad deletes one pod forcefully (grace period 0)
// through the driver under constant load: the pod is gone from the API at
// once and its service dies without a drain, so the requests in flight
// on it (and any sent before the endpoints caught up) fail and are
// counted; the ReplicaSet replaces it, the load recovers, and the
// driver's event stream shows both the killed pod and its replacement.
func TestForceKillUnderLoad(t *testing.T) {
	t.Parallel()
	// Slow answers: about 11 requests in flight on each pod at 300/s.
	slow := scluster.LatencyRange{Min: 100 * time.Millisecond, Max: 200 * time.Millisecond}
	a := newApp(t, 4, "v1", replicaOpts(fleet.Latency(slow))...)
	d, events := a.startDriver(t, a.cp.client, k8s.Options{})
	waitBalanced(t, d.Endpoints(), 4, "v1")
	before, _ := a.pods(t)
	var names []string
	for _, p := range before {
		names = append(names, p.Name)
	}

	load := startLoad(t, a.url(), d.Endpoints(), 300, 90*time.Second)
	load.waitRequests(t, 300)
	ctx, cancel := context.WithTimeout(runCtx, time.Minute)
	defer cancel()
	killedAt := len(load.snapshots())
	if err := d.Inject(ctx, scluster.Fault{Kind: scluster.FaultKill, Count: 1, Force: true}); err != nil {
		t.Fatalf("force kill: %v; events:\n%s", err, events)
	}
	waitBalanced(t, d.Endpoints(), 4, "v1")

	// Which pod died: the one of the four that is gone. Gone for good
	// from the API: a forced deletion leaves nothing terminating.
	live, term := a.pods(t)
	var victim string
	for _, n := range names {
		if !slices.ContainsFunc(live, func(p corev1.Pod) bool { return p.Name == n }) {
			if victim != "" {
				t.Fatalf("more than one pod died: %s and %s", victim, n)
			}
			victim = n
		}
	}
	if victim == "" || len(term) != 0 {
		t.Fatalf("after the kill: live %d, terminating %d, victim %q", len(live), len(term), victim)
	}
	if _, err := a.cp.client.CoreV1().Pods(a.ns).Get(ctx, victim, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the killed pod %s is still in the API: %v", victim, err)
	}
	var replacement string
	for _, p := range live {
		if !slices.Contains(names, p.Name) {
			replacement = p.Name
		}
	}
	if len(live) != 4 || replacement == "" {
		t.Fatalf("want 4 live pods with one replacement, have %d (replacement %q)", len(live), replacement)
	}

	// Two more seconds of load on the recovered Deployment.
	recovered := time.Now()
	load.waitUntil(t, recovered.Add(2*time.Second))
	res := load.stop(t)
	ticks := load.atRate()
	t.Logf("load: %s", describe(res.Total))
	total := res.Total
	if total.Failed() == 0 {
		t.Errorf("a forced kill under load failed no request: %s", describe(total))
	}
	if total.Failed()*20 > total.Requests {
		t.Errorf("more than 5%% of the requests failed for one pod of four: %s", describe(total))
	}
	if n := merged(ticks[:killedAt]).Failed(); n != 0 {
		t.Errorf("%d requests failed before the kill", n)
	}
	after := merged(slices.DeleteFunc(slices.Clone(ticks), func(s *engine.Snapshot) bool { return s.Start.Before(recovered) }))
	if after.Failed() != 0 || after.Requests == 0 {
		t.Errorf("the load did not recover with the replacement: %s", describe(after))
	}

	// The event stream: the victim killed (deleted at once), the
	// replacement started and ready.
	events.waitFor(t, "about the killed pod "+victim, func(e scluster.Event) bool {
		return e.Replica == victim && (e.Kind == scluster.ReplicaKilled || e.Kind == scluster.ReplicaStopped)
	})
	events.waitFor(t, "of the fault", func(e scluster.Event) bool { return e.Kind == scluster.FaultInjected })
	events.waitFor(t, "replacement "+replacement+" started", kindFor(scluster.ReplicaStarted, replacement))
	events.waitFor(t, "replacement "+replacement+" ready", kindFor(scluster.ReplicaReady, replacement))
	t.Logf("events:\n%s", events)
}
