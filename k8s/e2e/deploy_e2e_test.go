//go:build k8se2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/fleet"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// deployDir is the repository's deploy/ folder, from k8s/e2e (where
// make k8s-e2e runs the suite).
const deployDir = "../../deploy"

// readManifest reads a manifest of deploy/ as unstructured objects, one
// a YAML document.
func readManifest(name string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(filepath.Join(deployDir, name))
	if err != nil {
		return nil, err
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &obj.Object); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(obj.Object) > 0 {
			out = append(out, obj)
		}
	}
}

// applier applies objects to one namespace the way `kubectl apply
// --server-side --validate=strict -n NS` does: the resource found through
// discovery, an apply patch with strict field validation.
type applier struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
	ns     string
}

func newApplier(cfg *rest.Config, ns string) (*applier, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	return &applier{dyn: dyn, mapper: mapper, ns: ns}, nil
}

// apply applies obj in the namespace (only with server-side dry run when
// dryRun). It refuses a cluster-scoped kind: everything in deploy/ lives
// in the namespace it is applied to.
func (a *applier) apply(ctx context.Context, obj *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	gvk := obj.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		return nil, fmt.Errorf("%s %s is cluster-scoped: deploy/ works in one namespace", gvk.Kind, obj.GetName())
	}
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, err
	}
	opts := metav1.PatchOptions{FieldManager: "scalelab-e2e", FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	out, err := a.dyn.Resource(m.Resource).Namespace(a.ns).Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts)
	if err != nil {
		return nil, fmt.Errorf("apply %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	return out, nil
}

// TestDeployManifestsApply applies deploy/demo.yaml and deploy/rbac.yaml
// to the real API server: first with server-side dry run (accepted, with
// strict field validation, and nothing created; loadgen.yaml too), then
// for real, the
// Deployment's pods bound to the test kubelet's node. The Deployment
// becomes available with 4 pods answering v1 (the image's tag) in the
// Service's endpoints, and the ServiceAccounts get what their Roles say
// in the namespace and nothing else: scalelab scales the Deployment through
// its scale subresource, scalelab-read-only is forbidden to.
func TestDeployManifestsApply(t *testing.T) {
	t.Parallel()
	cp := cluster(t)
	ns := cp.namespace(t)
	kubeletFor(t, cp, ns, fleet.Drain(200*time.Millisecond))
	ctx, cancel := context.WithTimeout(runCtx, 2*time.Minute)
	defer cancel()
	a, err := newApplier(cp.admin, ns)
	if err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	for _, name := range []string{"rbac.yaml", "demo.yaml"} {
		o, err := readManifest(name)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o...)
	}
	loadgen, err := readManifest("loadgen.yaml") // dry run only: no scalelab image here
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range append(slices.Clone(objs), loadgen...) {
		if _, err := a.apply(ctx, obj, true); err != nil {
			t.Fatalf("dry run: %v", err)
		}
	}
	if _, err := cp.client.AppsV1().Deployments(ns).Get(ctx, "scalelab-demo", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("after the dry run, get the Deployment: %v, want not found", err)
	}
	for _, obj := range objs {
		if obj.GetKind() == "Deployment" {
			// No scheduler here: bind the pods to the test kubelet's node.
			if err := unstructured.SetNestedField(obj.Object, testNode, "spec", "template", "spec", "nodeName"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.apply(ctx, obj, false); err != nil {
			t.Fatal(err)
		}
	}
	waitAvailable(ctx, t, cp, ns, "scalelab-demo", 4)
	var eps []string
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		eps, err = readyEndpoints(ctx, cp, ns, "scalelab-demo")
		return len(eps) == 4, err
	})
	if err != nil {
		t.Fatalf("Service scalelab-demo: ready endpoints %v, want 4: %v", eps, err)
	}
	for _, ip := range eps {
		if v, err := askVersion(ctx, ip); err != nil || v != "v1" {
			t.Errorf("pod at %s answers version %q (%v), want v1, the image's tag", ip, v, err)
		}
	}
	checkAccounts(ctx, t, cp, ns)
}

// waitAvailable waits until the Deployment has n updated, ready and
// available replicas (minReadySeconds included).
func waitAvailable(ctx context.Context, t *testing.T, cp *controlPlane, ns, name string, n int32) {
	t.Helper()
	var last appsv1.DeploymentStatus
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		d, err := cp.client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		s := d.Status
		last = s
		return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == n && s.ReadyReplicas == n && s.AvailableReplicas == n, nil
	})
	if err != nil {
		t.Fatalf("Deployment %s never had %d available replicas (status %+v): %v", name, n, last, err)
	}
}

// checkAccounts asks the API server's authorizer what each ServiceAccount
// of rbac.yaml may do, and scales the Deployment as each.
func checkAccounts(ctx context.Context, t *testing.T, cp *controlPlane, ns string) {
	t.Helper()
	roles, err := cp.client.RbacV1().Roles(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"scalelab", "scalelab-read-only"} {
		if !slices.ContainsFunc(roles.Items, func(r rbacv1.Role) bool { return r.Name == want }) {
			t.Fatalf("no Role %s in %s: the grants below would check nothing", want, ns)
		}
	}
	denied := []authorizationv1.ResourceAttributes{
		{Verb: "get", Resource: "secrets"},
		{Verb: "create", Resource: "pods", Subresource: "exec"},
		{Verb: "delete", Group: "apps", Resource: "deployments"},
		{Verb: "create", Group: "apps", Resource: "deployments"},
		{Verb: "list", Group: "apps", Resource: "deployments", Namespace: "default"}, // another namespace
	}
	for _, role := range roles.Items {
		user := "system:serviceaccount:" + ns + ":" + role.Name
		for _, rule := range role.Rules {
			for _, attrs := range ruleAttributes(rule) {
				if !allowed(ctx, t, cp, user, ns, attrs) {
					t.Errorf("%s may not %s %s/%s (%s), which Role %s grants", user, attrs.Verb, attrs.Resource, attrs.Subresource, attrs.Group, role.Name)
				}
			}
		}
		for _, attrs := range denied {
			if allowed(ctx, t, cp, user, ns, attrs) {
				t.Errorf("%s may %s %s/%s (%s) in %q: more than scalelab needs", user, attrs.Verb, attrs.Resource, attrs.Subresource, attrs.Group, attrs.Namespace)
			}
		}
	}
	for sa, wantOK := range map[string]bool{"scalelab": true, "scalelab-read-only": false} {
		cfg := rest.CopyConfig(cp.admin)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":" + sa}
		c, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		deps := c.AppsV1().Deployments(ns)
		sc, err := deps.GetScale(ctx, "scalelab-demo", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: get scale: %v", sa, err)
		}
		sc.Spec.Replicas = 5
		_, err = deps.UpdateScale(ctx, "scalelab-demo", sc, metav1.UpdateOptions{})
		switch {
		case wantOK && err != nil:
			t.Fatalf("%s: scale to 5: %v", sa, err)
		case !wantOK && !apierrors.IsForbidden(err):
			t.Errorf("%s: scale to 5: %v, want forbidden", sa, err)
		}
	}
	waitAvailable(ctx, t, cp, ns, "scalelab-demo", 5)
}

// ruleAttributes lists each verb on each resource of a rule.
func ruleAttributes(r rbacv1.PolicyRule) []authorizationv1.ResourceAttributes {
	var out []authorizationv1.ResourceAttributes
	for _, g := range r.APIGroups {
		for _, res := range r.Resources {
			name, sub, _ := strings.Cut(res, "/")
			for _, v := range r.Verbs {
				out = append(out, authorizationv1.ResourceAttributes{Verb: v, Group: g, Resource: name, Subresource: sub})
			}
		}
	}
	return out
}

// allowed asks the API server's authorizer (a SubjectAccessReview)
// whether user may do attrs, in ns unless attrs names a namespace.
func allowed(ctx context.Context, t *testing.T, cp *controlPlane, user, ns string, attrs authorizationv1.ResourceAttributes) bool {
	t.Helper()
	if attrs.Namespace == "" {
		attrs.Namespace = ns
	}
	r, err := cp.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{User: user, ResourceAttributes: &attrs},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("access review: %v", err)
	}
	return r.Status.Allowed
}
