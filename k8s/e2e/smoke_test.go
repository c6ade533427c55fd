//go:build k8se2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// testNode is the node the test Deployments bind their pods to (there is
// no scheduler); the test kubelet plays it.
const testNode = "scalelab-e2e-node"

// demoDeployment is a Deployment of the demo service bound to testNode.
func demoDeployment(name string, replicas int32, image string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					NodeName: testNode,
					Containers: []corev1.Container{{
						Name:  "target",
						Image: image,
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
					}},
				},
			},
		},
	}
}

// podsOf lists the pods in ns with the app label, split into live and
// terminating ones.
func podsOf(ctx context.Context, c kubernetes.Interface, ns, app string) (live, terminating []corev1.Pod, err error) {
	list, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		return nil, nil, fmt.Errorf("list pods: %w", err)
	}
	for _, p := range list.Items {
		if p.DeletionTimestamp != nil {
			terminating = append(terminating, p)
		} else {
			live = append(live, p)
		}
	}
	return live, terminating, nil
}

// TestControllersCreatePods proves the control plane works end to end
// without a kubelet: the deployment controller makes a ReplicaSet, the
// replicaset controller makes its pods on the named node and, when the
// Deployment is scaled down through its scale subresource, marks the
// surplus for deletion; the read-only token may read but not scale.
func TestControllersCreatePods(t *testing.T) {
	t.Parallel()
	cp := cluster(t)
	ns := cp.namespace(t)
	ctx, cancel := context.WithTimeout(runCtx, 2*time.Minute)
	defer cancel()
	deps := cp.client.AppsV1().Deployments(ns)
	if _, err := deps.Create(ctx, demoDeployment("smoke", 3, "scalelab/target:v1"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}

	var pods []corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		live, _, err := podsOf(ctx, cp.client, ns, "smoke")
		pods = live
		return len(live) == 3, err
	})
	if err != nil {
		t.Fatalf("want 3 pods from the controllers, have %d: %v", len(pods), err)
	}
	rss, err := cp.client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=smoke"})
	if err != nil || len(rss.Items) != 1 {
		t.Fatalf("want 1 ReplicaSet, have %v (err %v)", rss, err)
	}
	rs := rss.Items[0]
	if owner := metav1.GetControllerOf(&rs); owner == nil || owner.Kind != "Deployment" || owner.Name != "smoke" {
		t.Errorf("ReplicaSet %s controller = %v, want Deployment smoke", rs.Name, owner)
	}
	if rev := rs.Annotations["deployment.kubernetes.io/revision"]; rev != "1" {
		t.Errorf("ReplicaSet revision = %q, want 1", rev)
	}
	for _, p := range pods {
		if p.Spec.NodeName != testNode {
			t.Errorf("pod %s on node %q, want %q", p.Name, p.Spec.NodeName, testNode)
		}
		if owner := metav1.GetControllerOf(&p); owner == nil || owner.UID != rs.UID {
			t.Errorf("pod %s controller = %v, want ReplicaSet %s", p.Name, owner, rs.Name)
		}
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		d, err := deps.Get(ctx, "smoke", metav1.GetOptions{})
		return err == nil && d.Status.ObservedGeneration == d.Generation && d.Status.Replicas == 3 && d.Status.UpdatedReplicas == 3, err
	})
	if err != nil {
		t.Fatalf("deployment status never showed 3 updated replicas: %v", err)
	}

	// Read-only: the token authenticates, RBAC refuses the scale.
	ro, err := kubernetes.NewForConfig(cp.readOnly)
	if err != nil {
		t.Fatal(err)
	}
	scale := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "smoke", Namespace: ns}, Spec: autoscalingv1.ScaleSpec{Replicas: 1}}
	if _, err := ro.AppsV1().Deployments(ns).UpdateScale(ctx, "smoke", scale, metav1.UpdateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("scale with the read-only token: err = %v, want forbidden", err)
	}

	// Scale down through the scale subresource: two pods get deleted
	// (they stay terminating: no kubelet finalizes them in this test).
	if _, err := deps.UpdateScale(ctx, "smoke", scale, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("scale to 1: %v", err)
	}
	var live, term []corev1.Pod
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		live, term, err = podsOf(ctx, cp.client, ns, "smoke")
		return len(live) == 1 && len(term) == 2, err
	})
	if err != nil {
		t.Fatalf("after scale to 1: %d live and %d terminating pods, want 1 and 2: %v", len(live), len(term), err)
	}
}
