//go:build k8se2e

package e2e

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	cl "github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/k8s"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
)

// driverSetup is a namespace with a test kubelet, the demo Service and a
// Deployment of replicas of image (maxSurge 1, maxUnavailable 0), and a
// started driver on it; the kubelet's demo services drain for 200 ms,
// and take the kubelet options given.
type driverSetup struct {
	cp  *controlPlane
	ns  string
	d   *k8s.Deployment
	log *eventTrail
	ctx context.Context
}

func setupDriver(t *testing.T, app string, replicas int32, image string, opts k8s.Options, kubelet ...fleet.ReplicaOption) *driverSetup {
	t.Helper()
	cp := cluster(t)
	ns := cp.namespace(t)
	kubeletFor(t, cp, ns, append([]fleet.ReplicaOption{fleet.Drain(200 * time.Millisecond)}, kubelet...)...)
	ctx, cancel := context.WithTimeout(runCtx, 3*time.Minute)
	t.Cleanup(cancel)
	if _, err := cp.client.CoreV1().Services(ns).Create(ctx, demoService(app), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	dep := demoDeployment(app, replicas, image)
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	dep.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: &one, MaxUnavailable: &zero}
	if _, err := cp.client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	opts.Namespace, opts.Name = ns, app
	d, log := startDriver(t, cp.client, opts)
	return &driverSetup{cp: cp, ns: ns, d: d, log: log, ctx: ctx}
}

// endpointsSettle waits until the driver's endpoints are n addresses in
// the pod range, all of version, and returns them.
func endpointsSettle(t *testing.T, eps *engine.Endpoints, n int, version string) []engine.Endpoint {
	t.Helper()
	waitBalanced(t, eps, n, version)
	list := eps.List()
	for _, e := range list {
		host, port, err := net.SplitHostPort(e.Addr)
		if err != nil || !podNet.Contains(net.ParseIP(host)) || port != "8080" {
			t.Errorf("endpoint %s: want a 10.244.0.x:8080 address", e.Addr)
		}
	}
	return list
}

// TestDriverScaleUpgradeEndpoints drives a real Deployment: Start sees
// it, Scale 2→3 converges, Upgrade v1→v2 completes with kubectl's
// "successfully rolled out", Rollback returns to v1, and Endpoints()
// follows the EndpointSlices the controller writes, with each pod's
// version; the events report all of it.
func TestDriverScaleUpgradeEndpoints(t *testing.T) {
	t.Parallel()
	s := setupDriver(t, "web", 2, "scalelab/target:v1", k8s.Options{})
	d, ctx := s.d, s.ctx
	// A scale to the current count waits for the initial rollout.
	if err := d.Scale(ctx, 2); err != nil {
		t.Fatalf("Scale(2): %v", err)
	}
	st := d.State()
	if st.Desired != 2 || st.Version != "v1" || st.MaxSurge != 1 || st.MaxUnavailable != 0 {
		t.Errorf("state: desired %d version %q surge %d unavailable %d, want 2 v1 1 0", st.Desired, st.Version, st.MaxSurge, st.MaxUnavailable)
	}
	if st.Rollout.Active || !strings.Contains(st.Rollout.Message, "successfully rolled out") {
		t.Errorf("rollout after start: %+v", st.Rollout)
	}
	eps := endpointsSettle(t, d.Endpoints(), 2, "v1")
	checkReplicas(t, s, 2, "v1", "1", eps)

	start := time.Now()
	if err := d.Scale(ctx, 3); err != nil {
		t.Fatalf("Scale(3): %v", err)
	}
	t.Logf("scale 2→3 converged in %s", time.Since(start).Round(time.Millisecond))
	if st := d.State(); st.Desired != 3 || st.Rollout.Available != 3 {
		t.Errorf("after scale: desired %d available %d, want 3 3", st.Desired, st.Rollout.Available)
	}
	eps = endpointsSettle(t, d.Endpoints(), 3, "v1")
	checkReplicas(t, s, 3, "v1", "1", eps)
	s.log.waitText(t, cl.ScaleStarted, "scale 2 → 3")
	s.log.waitText(t, cl.ScaleDone, "scaled to 3")
	s.log.waitText(t, cl.KubeEvent, "k8s Event: ScalingReplicaSet deployment/web")

	start = time.Now()
	if err := d.Upgrade(ctx, "v2"); err != nil {
		t.Fatalf("Upgrade(v2): %v", err)
	}
	t.Logf("upgrade v1→v2 of 3 rolled out in %s", time.Since(start).Round(time.Millisecond))
	st = d.State()
	if st.Version != "v2" || st.Previous != "v1" || !strings.Contains(st.Rollout.Message, `deployment "web" successfully rolled out`) {
		t.Errorf("after upgrade: version %q previous %q rollout %+v", st.Version, st.Previous, st.Rollout)
	}
	eps = endpointsSettle(t, d.Endpoints(), 3, "v2")
	checkReplicas(t, s, 3, "v2", "2", eps)
	s.log.waitText(t, cl.RolloutStarted, "rollout v1 → v2 (max surge 1, max unavailable 0)")
	s.log.waitText(t, cl.RolloutProgress, "rollout v2: ")
	s.log.waitText(t, cl.RolloutDone, "successfully rolled out")
	s.log.waitText(t, cl.BalancerAdded, "added to the endpoints of service web")
	s.log.waitText(t, cl.BalancerRemoved, "removed from the endpoints of service web")
	s.log.waitText(t, cl.ReplicaDraining, "terminating")

	if err := d.Rollback(ctx); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	if st := d.State(); st.Version != "v1" || st.Previous != "v2" {
		t.Errorf("after rollback: version %q previous %q, want v1 v2", st.Version, st.Previous)
	}
	endpointsSettle(t, d.Endpoints(), 3, "v1")
	s.log.waitText(t, cl.Rollback, "rollback v2 → v1")
}

// checkReplicas checks State's live replicas against the endpoints: n
// ready pods of version and revision on the test node, each in the
// endpoints at its address.
func checkReplicas(t *testing.T, s *driverSetup, n int, version, revision string, eps []engine.Endpoint) {
	t.Helper()
	var st cl.State
	var ready []cl.Replica
	_ = wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		st = s.d.State()
		ready = ready[:0]
		for _, r := range st.Replicas {
			if r.Phase == cl.Ready && r.Version == version && r.InEndpoints {
				ready = append(ready, r)
			}
		}
		return len(ready) == n, nil
	})
	if len(ready) != n {
		t.Fatalf("want %d ready replicas of %s in the endpoints, state has %+v", n, version, st.Replicas)
	}
	addrs := make([]string, len(eps))
	for i, e := range eps {
		addrs[i] = e.Addr
	}
	for _, r := range ready {
		if r.Revision != revision || r.Node != testNode || !r.EndpointsKnown || !slices.Contains(addrs, r.Address) {
			t.Errorf("replica %+v: want revision %s on %s at one of %v", r, revision, testNode, addrs)
		}
	}
}
