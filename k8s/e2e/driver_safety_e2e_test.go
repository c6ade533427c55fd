//go:build k8se2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	cl "github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/k8s"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// TestDriverSafety: on a real API server, a dry-run driver's actions are
// accepted and change nothing, a read-only one refuses them, and the
// read-only token gets one-line RBAC refusals naming what it lacks.
func TestDriverSafety(t *testing.T) {
	t.Parallel()
	s := setupDriver(t, "safe", 2, "scalelab/target:v1", k8s.Options{})
	ctx := s.ctx
	if err := s.d.Scale(ctx, 2); err != nil {
		t.Fatalf("Scale(2): %v", err)
	}

	dry, log := startDriver(t, s.cp.client, k8s.Options{Namespace: s.ns, Name: "safe", DryRun: true})
	quick, cancel := context.WithTimeout(ctx, 10*time.Second) // dry runs do not wait
	defer cancel()
	pods := livePods(s.d.State())["v1"]
	for what, act := range map[string]func() error{
		"dry run: would scale deployment/safe 2 → 5":                   func() error { return dry.Scale(quick, 5) },
		"dry run: would upgrade deployment/safe v1 → v9":               func() error { return dry.Upgrade(quick, "v9") },
		"dry run: would delete pod " + pods[0] + " of deployment/safe": func() error { return dry.Inject(quick, cl.Fault{Kind: cl.FaultKill, Replica: pods[0]}) },
		"dry run: would restart deployment/safe":                       func() error { return dry.Restart(quick) },
	} {
		if err := act(); err != nil {
			t.Errorf("%s: %v", what, err)
			continue
		}
		log.waitText(t, cl.Note, what)
	}
	dep, err := s.cp.client.AppsV1().Deployments(s.ns).Get(ctx, "safe", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *dep.Spec.Replicas != 2 || dep.Spec.Template.Spec.Containers[0].Image != "scalelab/target:v1" || dep.Spec.Template.Annotations != nil {
		t.Errorf("dry runs changed the Deployment: replicas %d image %s annotations %v", *dep.Spec.Replicas, dep.Spec.Template.Spec.Containers[0].Image, dep.Spec.Template.Annotations)
	}
	if _, err := s.cp.client.CoreV1().Pods(s.ns).Get(ctx, pods[0], metav1.GetOptions{}); err != nil {
		t.Errorf("dry-run kill deleted %s: %v", pods[0], err)
	}
	if err := dry.Scale(quick, 0); err == nil || err.Error() != "scale to 0 refused: below the minimum of 1 replicas (--min-replicas)" {
		t.Errorf("scale to 0: %v", err)
	}

	ro, err := kubernetes.NewForConfig(s.cp.readOnly)
	if err != nil {
		t.Fatal(err)
	}
	// No rights at all: Start says which.
	bare, err := k8s.New(ro, k8s.Options{Namespace: s.ns, Name: "safe"})
	if err != nil {
		t.Fatal(err)
	}
	if err := bare.Start(ctx); err == nil || err.Error() != "start deployment/safe: forbidden: needs get on deployments in namespace "+s.ns {
		t.Errorf("Start without rights: %v", err)
	}
	_ = bare.Stop(ctx)

	// Reads only: the driver runs, writes are refused by RBAC.
	grantReads(t, s.cp, ro, s.ns)
	viewer, _ := startDriver(t, ro, k8s.Options{Namespace: s.ns, Name: "safe"})
	// The EndpointSlices may trail the pods' readiness that Scale waited for.
	_ = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		return len(viewer.Endpoints().List()) == 2, nil
	})
	if st := viewer.State(); st.Desired != 2 || len(viewer.Endpoints().List()) != 2 {
		t.Errorf("read-only view: desired %d, endpoints %v", st.Desired, viewer.Endpoints().List())
	}
	err = viewer.Scale(ctx, 3)
	if want := "scale deployment/safe to 3: forbidden: needs update on deployments/scale in namespace " + s.ns; err == nil || err.Error() != want {
		t.Errorf("scale with reads only: %v, want %q", err, want)
	}
	err = viewer.Upgrade(ctx, "v2")
	if want := "forbidden: needs patch on deployments in namespace " + s.ns; err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("upgrade with reads only: %v, want ...%q", err, want)
	}
	err = viewer.Rollback(ctx)
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("rollback with reads only: %v, want a one-line error", err)
	}

	readOnly, _ := startDriver(t, s.cp.client, k8s.Options{Namespace: s.ns, Name: "safe", ReadOnly: true})
	if err := readOnly.Scale(ctx, 3); err == nil || err.Error() != "read-only: scale refused (--read-only)" {
		t.Errorf("--read-only scale: %v", err)
	}
}

// grantReads lets the read-only user read what the driver watches in ns
// (the reads of deploy/rbac.yaml's scalelab-read-only).
func grantReads(t *testing.T, cp *controlPlane, ro kubernetes.Interface, ns string) {
	t.Helper()
	reads := []string{"get", "list", "watch"}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "reads"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets"}, Verbs: reads},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale"}, Verbs: []string{"get"}},
			{APIGroups: []string{""}, Resources: []string{"pods", "services", "events"}, Verbs: reads},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: reads},
			{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: reads},
		},
	}
	ctx := t.Context()
	if _, err := cp.client.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "reads"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "reads"},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: readOnlyUser}},
	}
	if _, err := cp.client.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// RBAC takes effect once the API server's authorizer sees the
	// binding: ask it, as the read-only user.
	waitAllowed(ctx, t, ro, authorizationv1.ResourceAttributes{Namespace: ns, Verb: "watch", Group: "discovery.k8s.io", Resource: "endpointslices"})
}
