//go:build k8se2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/scalelab/scalelab/fleet"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
)

// kubeletFor starts a test kubelet for the pods of namespace ns on
// testNode that lives as long as the test, and fails the test afterwards
// if it met errors it could not recover from.
func kubeletFor(t *testing.T, cp *controlPlane, ns string, opts ...fleet.ReplicaOption) *kubelet {
	t.Helper()
	ctx, cancel := context.WithCancel(runCtx)
	k, err := startKubelet(ctx, cp.client, testNode, ns, cp.ips, opts...)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		for _, err := range k.failures() {
			t.Errorf("kubelet: %v", err)
		}
	})
	return k
}

// demoService selects the app's pods on port 8080.
func demoService(app string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: app},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": app},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(podPort)}},
		},
	}
}

// readyEndpoints returns the ready addresses in the service's
// EndpointSlices.
func readyEndpoints(ctx context.Context, cp *controlPlane, ns, svc string) ([]string, error) {
	list, err := cp.client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range list.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && *e.Conditions.Ready {
				out = append(out, e.Addresses...)
			}
		}
	}
	return out, nil
}

// askVersion asks the demo service at ip which version it runs.
func askVersion(ctx context.Context, ip string) (string, error) {
	body, err := httpGet(ctx, http.DefaultClient, "http://"+net.JoinHostPort(ip, fmt.Sprint(podPort))+"/")
	if err != nil {
		return "", err
	}
	var v struct{ Version string }
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return "", fmt.Errorf("answer %q: %w", body, err)
	}
	return v.Version, nil
}

// TestKubeletRunsPods proves the test kubelet plays its node: the pods
// of a Deployment become ready on their own 10.244.0.x addresses, serve
// the version of their image tag there, and show up in the Service's
// EndpointSlices; a graceful delete drains and finalizes the pod, a
// forced one ends it at once, and the ReplicaSet replaces both.
func TestKubeletRunsPods(t *testing.T) {
	t.Parallel()
	cp := cluster(t)
	ns := cp.namespace(t)
	k := kubeletFor(t, cp, ns, fleet.Drain(200*time.Millisecond))
	ctx, cancel := context.WithTimeout(runCtx, 2*time.Minute)
	defer cancel()
	if _, err := cp.client.CoreV1().Services(ns).Create(ctx, demoService("web"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	if _, err := cp.client.AppsV1().Deployments(ns).Create(ctx, demoDeployment("web", 3, "scalelab/target:v7"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}

	var eps []string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var err error
		eps, err = readyEndpoints(ctx, cp, ns, "web")
		return len(eps) == 3, err
	})
	if err != nil {
		t.Fatalf("want 3 ready endpoints, have %v: %v", eps, err)
	}
	for _, ip := range eps {
		if !podNet.Contains(net.ParseIP(ip)) {
			t.Errorf("endpoint %s outside the pod range %s", ip, podNet)
		}
		if v, err := askVersion(ctx, ip); err != nil || v != "v7" {
			t.Errorf("pod at %s answers version %q (err %v), want v7", ip, v, err)
		}
	}
	if got := k.running(); got["v7"] != 3 || len(got) != 1 {
		t.Errorf("kubelet runs %v, want 3 of v7", got)
	}

	live, _, err := podsOf(ctx, cp.client, ns, "web")
	if err != nil || len(live) != 3 {
		t.Fatalf("pods: %d, %v", len(live), err)
	}
	pods := cp.client.CoreV1().Pods(ns)
	graceful, forced := live[0], live[1]
	if err := pods.Delete(ctx, graceful.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete %s: %v", graceful.Name, err)
	}
	zero := int64(0)
	if err := pods.Delete(ctx, forced.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatalf("force-delete %s: %v", forced.Name, err)
	}
	// Both are gone for good (the graceful one once the kubelet
	// finalized it), and two replacements are ready.
	for _, p := range []corev1.Pod{graceful, forced} {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			_, err := pods.Get(ctx, p.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			return false, err
		})
		if err != nil {
			t.Errorf("pod %s never went away: %v", p.Name, err)
		}
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var err error
		eps, err = readyEndpoints(ctx, cp, ns, "web")
		return len(eps) == 3 && k.running()["v7"] == 3, err
	})
	if err != nil {
		t.Fatalf("after the deletions: endpoints %v, kubelet runs %v: %v", eps, k.running(), err)
	}
	for _, ip := range eps {
		if v, err := askVersion(ctx, ip); err != nil || v != "v7" {
			t.Errorf("replacement at %s answers version %q (err %v), want v7", ip, v, err)
		}
	}
}
