package k8s

import (
	"encoding/json"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestCanaryRefusals: a canary that cannot be held is refused with one
// line saying why, before anything is written.
func TestCanaryRefusals(t *testing.T) {
	paused := testDeployment()
	paused.Spec.Paused = true
	recreate := testDeployment()
	recreate.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	rolling := testDeployment()
	rolling.Status.UpdatedReplicas = 1
	for _, c := range []struct {
		name     string
		dep      *appsv1.Deployment
		version  string
		replicas int
		want     string
	}{
		{"current version", nil, "v2", 1, "it is the current version: nothing would roll out"},
		{"no pods left on the old version", nil, "v3", 3, "want 1 to 2 pods of 3 (the others stay on v2)"},
		{"no pod", nil, "v3", 0, "want 1 to 2 pods of 3"},
		{"paused", paused, "v3", 1, "the rollout is paused: resume it first"},
		{"recreate", recreate, "v3", 1, "strategy is Recreate: a canary needs RollingUpdate"},
		{"mid-rollout", rolling, "v3", 1, "a rollout is in progress"},
		{"bad version", nil, "v 3", 1, `version "v 3"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			objs := testObjects()
			if c.dep != nil {
				objs = append([]runtime.Object{c.dep}, objs[1:]...)
			}
			d, client := startFake(t, Options{}, objs...)
			err := d.StartCanary(t.Context(), c.version, c.replicas)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line with %q", err, c.want)
			}
			if w := writes(client); len(w) > 0 {
				t.Errorf("a refused canary wrote: %v", w)
			}
			if err := d.PromoteCanary(t.Context()); err == nil || !strings.Contains(err.Error(), "no canary is held") {
				t.Errorf("promote without a canary: %v", err)
			}
		})
	}
	d, _ := startFake(t, Options{ReadOnly: true}, testObjects()...)
	if err := d.StartCanary(t.Context(), "v3", 1); err == nil || err.Error() != "read-only: canary refused (--read-only)" {
		t.Errorf("read-only: %v", err)
	}
}

// TestCanaryPatches: the canary's patch keeps the Deployment's choice
// between surge and unavailability at the canary's count, holds with
// minReadySeconds under the progress deadline; ending it restores the
// strategy and minReadySeconds, resumes, and (rolled back) restores the
// template without the pod-template-hash label.
func TestCanaryPatches(t *testing.T) {
	d, _ := startFake(t, Options{}, testObjects()...)
	for _, c := range []struct {
		name             string
		surge, unavail   intstr.IntOrString
		deadline         *int32
		wantS, wantU     int32
		wantMinReadySecs int32
	}{
		{"surging", intstr.FromInt32(1), intstr.FromInt32(0), nil, 2, 0, 3600},
		{"no surge", intstr.FromInt32(0), intstr.FromString("25%"), ptr(int32(600)), 0, 2, 599},
	} {
		t.Run(c.name, func(t *testing.T) {
			dep := testDeployment()
			dep.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: &c.surge, MaxUnavailable: &c.unavail}
			dep.Spec.ProgressDeadlineSeconds = c.deadline
			rs := testReplicaSet(rs2UID, "demo-rs2", "2", "v2", 3)
			rs.Spec.Template.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = "abc"
			hold, err := d.canaryFor(dep, "canary", "v3", 2)
			if err != nil {
				t.Fatal(err)
			}
			hold.template = rs.Spec.Template
			delete(hold.template.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
			raw, err := canaryPatch(dep, hold)
			if err != nil {
				t.Fatal(err)
			}
			var p appsv1.Deployment
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatal(err)
			}
			ru := p.Spec.Strategy.RollingUpdate
			if ru.MaxSurge.IntVal != c.wantS || ru.MaxUnavailable.IntVal != c.wantU || p.Spec.MinReadySeconds != c.wantMinReadySecs ||
				p.Spec.Template.Spec.Containers[0].Image != "registry.example:5000/scalelab/target:v3" {
				t.Errorf("patch %s", raw)
			}
			for _, promote := range []bool{true, false} {
				raw, err := endCanaryPatch(hold, promote)
				if err != nil {
					t.Fatal(err)
				}
				s := string(raw)
				for _, want := range []string{`"path":"/spec/strategy"`, `"path":"/spec/minReadySeconds","value":0`, `"path":"/spec/paused","value":false`} {
					if !strings.Contains(s, want) {
						t.Errorf("promote %v: %s lacks %s", promote, s, want)
					}
				}
				if has := strings.Contains(s, `"/spec/template"`); has == promote || strings.Contains(s, "pod-template-hash") {
					t.Errorf("promote %v: template in the patch %v: %s", promote, has, s)
				}
			}
		})
	}
}
