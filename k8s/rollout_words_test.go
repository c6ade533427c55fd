package k8s

import (
	"strings"
	"testing"

	"github.com/scalelab/scalelab/cluster"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/kubectl/pkg/polymorphichelpers"
)

// TestRolloutStatusWordsAreKubectls checks that cluster.RolloutStatus,
// which the local fleet speaks with, says what kubectl's status viewer
// (which this driver asks) says for the same counts, so both drivers use
// one set of words.
func TestRolloutStatusWordsAreKubectls(t *testing.T) {
	sv, err := polymorphichelpers.StatusViewerFor(deploymentKind)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ desired, updated, total, available int }{
		{5, 3, 5, 5}, {5, 0, 5, 5}, {5, 5, 6, 5}, {5, 5, 5, 4}, {5, 5, 5, 5}, {3, 3, 3, 3}, {0, 0, 0, 0}, {2, 2, 4, 2},
	} {
		replicas := int32(c.desired)
		dep := &appsv1.Deployment{}
		dep.Name, dep.Generation = "demo", 2
		dep.Spec.Replicas = &replicas
		dep.Status = appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: int32(c.updated),
			Replicas: int32(c.total), AvailableReplicas: int32(c.available)}
		obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(dep)
		if err != nil {
			t.Fatal(err)
		}
		wantMsg, wantDone, err := sv.Status(&unstructured.Unstructured{Object: obj}, 0)
		if err != nil {
			t.Fatal(err)
		}
		msg, done := cluster.RolloutStatus("demo", c.desired, c.updated, c.total, c.available)
		if msg != strings.TrimSpace(wantMsg) || done != wantDone {
			t.Errorf("%+v: RolloutStatus = %q, %v; kubectl says %q, %v", c, msg, done, strings.TrimSpace(wantMsg), wantDone)
		}
	}
}
