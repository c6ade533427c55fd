//go:build k8se2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	scluster "github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/fleet"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/kubectl/pkg/polymorphichelpers"
)

// appName is the Deployment and Service every proof works on (each in its
// own namespace).
const appName = "web"

// app is the demo service deployed in a test's own namespace: a
// Deployment of scalelab/target:VERSION with maxSurge 1 and
// maxUnavailable 0, a Service selecting its pods, and the test kubelet
// running them.
type app struct {
	cp      *controlPlane
	ns      string
	kubelet *kubelet
}

// answerTime is how long the demo service takes to answer in the proofs:
// long enough that several requests are in flight on every pod at the
// load's rate, which is what a pod ending without a drain loses.
var answerTime = scluster.LatencyRange{Min: 50 * time.Millisecond, Max: 100 * time.Millisecond}

// replicaOpts are the demo service's settings in the proofs (extra ones
// override them): answers take answerTime, startup takes 300 ms, and the
// drain lasts 1 s (endpoint updates reach the balancer well within it).
func replicaOpts(extra ...fleet.ReplicaOption) []fleet.ReplicaOption {
	return append([]fleet.ReplicaOption{
		fleet.Latency(answerTime),
		fleet.StartupDelay(300 * time.Millisecond),
		fleet.Drain(time.Second),
	}, extra...)
}

// newApp deploys replicas pods of version in a new namespace, with a
// kubelet running the demo service with opts, and waits until the
// rollout is done and the Service has that many ready endpoints.
func newApp(t *testing.T, replicas int32, version string, opts ...fleet.ReplicaOption) *app {
	t.Helper()
	cp := cluster(t)
	ns := cp.namespace(t)
	a := &app{cp: cp, ns: ns, kubelet: kubeletFor(t, cp, ns, opts...)}
	ctx, cancel := context.WithTimeout(runCtx, time.Minute)
	defer cancel()
	if _, err := cp.client.CoreV1().Services(ns).Create(ctx, demoService(appName), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	dep := demoDeployment(appName, replicas, "scalelab/target:"+version)
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	dep.Spec.Strategy = appsv1.DeploymentStrategy{
		Type:          appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &one, MaxUnavailable: &zero},
	}
	grace := int64(10)
	dep.Spec.Template.Spec.TerminationGracePeriodSeconds = &grace
	if _, err := cp.client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	a.waitRolledOut(ctx, t)
	a.waitEndpoints(ctx, t, int(replicas))
	return a
}

// get returns the Deployment as the API server has it now.
func (a *app) get(t *testing.T) *appsv1.Deployment {
	t.Helper()
	ctx, cancel := context.WithTimeout(runCtx, 10*time.Second)
	defer cancel()
	d, err := a.cp.client.AppsV1().Deployments(a.ns).Get(ctx, appName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get deployment: %v", err)
	}
	return d
}

// rolloutStatus is `kubectl rollout status` on the Deployment, through
// kubectl's own status viewer and the admin client (independent of the
// driver under test): its message and whether the rollout is done.
func rolloutStatus(ctx context.Context, c kubernetes.Interface, ns, name string) (string, bool, error) {
	dep, err := c.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", false, err
	}
	sv, err := polymorphichelpers.StatusViewerFor(schema.GroupKind{Group: "apps", Kind: "Deployment"})
	if err != nil {
		return "", false, err
	}
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(dep)
	if err != nil {
		return "", false, err
	}
	msg, done, err := sv.Status(&unstructured.Unstructured{Object: obj}, 0)
	return strings.TrimSpace(msg), done, err
}

// waitRolledOut waits until `kubectl rollout status` says the rollout is
// done ("successfully rolled out") and returns its message.
func (a *app) waitRolledOut(ctx context.Context, t *testing.T) string {
	t.Helper()
	var msg string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var done bool
		var err error
		msg, done, err = rolloutStatus(ctx, a.cp.client, a.ns, appName)
		return done, err
	})
	if err != nil {
		t.Fatalf("rollout status never done: last %q: %v", msg, err)
	}
	return msg
}

// waitEndpoints waits until the Service has n ready endpoints.
func (a *app) waitEndpoints(ctx context.Context, t *testing.T, n int) {
	t.Helper()
	var eps []string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var err error
		eps, err = readyEndpoints(ctx, a.cp, a.ns, appName)
		return len(eps) == n, err
	})
	if err != nil {
		t.Fatalf("want %d ready endpoints, have %v: %v", n, eps, err)
	}
}

// pods returns the live and terminating pods of the app.
func (a *app) pods(t *testing.T) (live, terminating []corev1.Pod) {
	t.Helper()
	ctx, cancel := context.WithTimeout(runCtx, 10*time.Second)
	defer cancel()
	live, terminating, err := podsOf(ctx, a.cp.client, a.ns, appName)
	if err != nil {
		t.Fatal(err)
	}
	return live, terminating
}

// versions counts the live pods by the version of their image.
func (a *app) versions(t *testing.T) map[string]int {
	t.Helper()
	live, _ := a.pods(t)
	out := map[string]int{}
	for i := range live {
		out[imageVersion(&live[i])]++
	}
	return out
}

// waitConverged waits until exactly n live pods run version, no pod is
// terminating and the kubelet runs n services of version and no other.
func (a *app) waitConverged(ctx context.Context, t *testing.T, n int, version string) {
	t.Helper()
	var live, term []corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var err error
		live, term, err = podsOf(ctx, a.cp.client, a.ns, appName)
		if err != nil || len(live) != n || len(term) != 0 {
			return false, err
		}
		for i := range live {
			if imageVersion(&live[i]) != version {
				return false, nil
			}
		}
		run := a.kubelet.running()
		return run[version] == n && len(run) == 1, nil
	})
	if err != nil {
		t.Fatalf("want %d pods of %s: %d live, %d terminating, kubelet runs %v: %v",
			n, version, len(live), len(term), a.kubelet.running(), err)
	}
}

// url is the load's URL: scheme, Host header and path (the balancer
// chooses the address).
func (a *app) url() string { return fmt.Sprintf("http://%s.%s/", appName, a.ns) }
