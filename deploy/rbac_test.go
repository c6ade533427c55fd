package deploy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/component-helpers/auth/rbac/validation"
)

// needs is every API call scalelab makes on a Deployment, by resource:
// the Roles must grant exactly these (the read-only one, their get, list
// and watch).
var needs = []struct {
	group, resource string
	verbs           []string
	why             string
}{
	{"apps", "deployments", []string{"get", "list", "watch", "patch", "update"}, "informer; upgrade, restart, rollback, pause, resume"},
	{"apps", "deployments/scale", []string{"get", "update", "patch"}, "scale"},
	{"apps", "replicasets", []string{"get", "list", "watch"}, "informer: revisions, versions, rollback's target"},
	{"", "pods", []string{"get", "list", "watch", "delete"}, "informer; kill faults"},
	{"", "pods/proxy", []string{"get", "create"}, "the pods' /metrics (k8s.Deployment.PodScraper, the usage probes); the agents' control API (GET and POST through the pod proxy, --agents)"},
	{"batch", "jobs", []string{"create", "delete"}, "the agents' Indexed Job (k8s.StartAgents, --agents)"},
	{"", "secrets", []string{"create", "update", "delete"}, "the agents' token Secret, then owned by their Job (k8s.StartAgents, --agents)"},
	{"metrics.k8s.io", "pods", []string{"get", "list"}, "the pods' CPU and memory from metrics-server (the usage probes)"},
	{"", "services", []string{"get", "list", "watch"}, "the Service selecting the pods"},
	{"discovery.k8s.io", "endpointslices", []string{"get", "list", "watch"}, "the endpoints the load balances across"},
	{"", "events", []string{"get", "list", "watch"}, "the event log"},
	{"events.k8s.io", "events", []string{"get", "list", "watch"}, "the event log"},
	{"autoscaling", "horizontalpodautoscalers", []string{"get", "list", "watch"}, "the HPA view"},
}

// readVerbs are the verbs of the read-only Role.
var readVerbs = []string{"get", "list", "watch"}

// requiredRules returns needs as policy rules, with only the verbs keep
// accepts.
func requiredRules(keep func(verb string) bool) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, n := range needs {
		verbs := slices.DeleteFunc(slices.Clone(n.verbs), func(v string) bool { return !keep(v) })
		if len(verbs) > 0 {
			out = append(out, rbacv1.PolicyRule{APIGroups: []string{n.group}, Resources: []string{n.resource}, Verbs: verbs})
		}
	}
	return out
}

// checkRBAC checks rbac.yaml: namespaced Roles only, Role scalelab grants
// exactly what scalelab uses and scalelab-read-only exactly its reads,
// each bound to the ServiceAccount of its name, defined alongside.
func checkRBAC(objs []runtime.Object) error {
	var errs []error
	roles := map[string]*rbacv1.Role{}
	accounts := map[string]bool{}
	var bindings []*rbacv1.RoleBinding
	for _, o := range objs {
		switch o := o.(type) {
		case *rbacv1.Role:
			roles[o.Name] = o
		case *rbacv1.RoleBinding:
			bindings = append(bindings, o)
		case *corev1.ServiceAccount:
			accounts[o.Name] = true
		case *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding:
			errs = append(errs, fmt.Errorf("%T: scalelab works in one namespace, a Role and a RoleBinding are enough", o))
		}
	}
	for name, want := range map[string][]rbacv1.PolicyRule{
		"scalelab":           requiredRules(func(string) bool { return true }),
		"scalelab-read-only": requiredRules(func(v string) bool { return slices.Contains(readVerbs, v) }),
	} {
		role, ok := roles[name]
		if !ok {
			errs = append(errs, fmt.Errorf("no Role %s", name))
			continue
		}
		errs = append(errs, compareRules("Role "+name, role.Rules, want), checkBound(name, bindings, accounts))
	}
	return prefix("rbac.yaml", errors.Join(errs...))
}

// checkBound checks that a RoleBinding binds the Role to the
// ServiceAccount of its name, in the binding's namespace.
func checkBound(role string, bindings []*rbacv1.RoleBinding, accounts map[string]bool) error {
	if !accounts[role] {
		return fmt.Errorf("no ServiceAccount %s for Role %s", role, role)
	}
	for _, b := range bindings {
		if b.RoleRef.Kind != "Role" || b.RoleRef.Name != role || b.RoleRef.APIGroup != rbacv1.GroupName {
			continue
		}
		for _, s := range b.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Name == role && s.Namespace == "" {
				return nil
			}
		}
	}
	return fmt.Errorf("no RoleBinding of Role %s to ServiceAccount %s (in the binding's namespace)", role, role)
}

// compareRules reports what a role (who: "Role NAME") lacks and what it
// grants beyond want, one verb on one resource a line.
func compareRules(who string, have, want []rbacv1.PolicyRule) error {
	var errs []error
	if ok, missing := validation.Covers(have, want); !ok {
		for _, r := range missing {
			errs = append(errs, fmt.Errorf("%s lacks %s", who, describe(r)))
		}
	}
	if ok, extra := validation.Covers(want, have); !ok {
		for _, r := range extra {
			errs = append(errs, fmt.Errorf("%s grants %s, which scalelab does not use", who, describe(r)))
		}
	}
	return errors.Join(errs...)
}

// describe names a broken-down rule (one verb, one resource):
// "patch on deployments/scale (apps)", "get on secrets (core)".
func describe(r rbacv1.PolicyRule) string {
	if len(r.NonResourceURLs) > 0 {
		return fmt.Sprintf("%s on %s", strings.Join(r.Verbs, ","), strings.Join(r.NonResourceURLs, ","))
	}
	group := strings.Join(r.APIGroups, ",")
	if group == "" {
		group = "core"
	}
	s := fmt.Sprintf("%s on %s (%s)", strings.Join(r.Verbs, ","), strings.Join(r.Resources, ","), group)
	if len(r.ResourceNames) > 0 {
		s += " named " + strings.Join(r.ResourceNames, ",")
	}
	return s
}

// checkNodeMetrics checks rbac-node-metrics.yaml: one ClusterRole granting
// get on nodes/proxy (cAdvisor's throttling through the node proxy) and
// nothing else, and no binding: who gets it is the reader's choice.
func checkNodeMetrics(objs []runtime.Object) error {
	var errs []error
	var role *rbacv1.ClusterRole
	for _, o := range objs {
		switch o := o.(type) {
		case *rbacv1.ClusterRole:
			role = o
		default:
			errs = append(errs, fmt.Errorf("%T: the file grants nothing by itself, so it binds nothing (the reader binds the ClusterRole)", o))
		}
	}
	if role == nil || role.Name != "scalelab-node-metrics" {
		errs = append(errs, errors.New("no ClusterRole scalelab-node-metrics"))
	} else {
		want := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes/proxy"}, Verbs: []string{"get"}}}
		errs = append(errs, compareRules("ClusterRole "+role.Name, role.Rules, want))
	}
	return prefix("rbac-node-metrics.yaml", errors.Join(errs...))
}
