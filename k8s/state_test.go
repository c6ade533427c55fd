package k8s

import (
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestVersionOf(t *testing.T) {
	for image, want := range map[string]string{
		"scalelab/target:v2":                     "v2",
		"registry.example:5000/team/target:1.2":  "1.2",
		"registry.example:5000/team/target":      "latest",
		"nginx":                                  "latest",
		"nginx:1.27@sha256:0123456789abcdef0123": "1.27",
		"nginx@sha256:0123456789abcdef0123":      "sha256:0123456789ab",
		"":                                       "",
	} {
		if got := versionOf(image); got != want {
			t.Errorf("versionOf(%q) = %q, want %q", image, got, want)
		}
	}
}

func TestWithVersion(t *testing.T) {
	for _, c := range []struct{ image, version, want string }{
		{"scalelab/target:v1", "v2", "scalelab/target:v2"},
		{"registry.example:5000/target:v1", "v2", "registry.example:5000/target:v2"},
		{"registry.example:5000/target", "v2", "registry.example:5000/target:v2"},
		{"nginx:1.27@sha256:0123", "1.28", "nginx:1.28"},
		{"scalelab/target:v1", "other/image:v9", "other/image:v9"},
		{"scalelab/target:v1", "nginx:1.27", "nginx:1.27"},
	} {
		if got, err := withVersion(c.image, c.version); err != nil || got != c.want {
			t.Errorf("withVersion(%q, %q) = %q, %v; want %q", c.image, c.version, got, err, c.want)
		}
	}
	for _, v := range []string{"", "v 2", "-v2", "v2!", strings.Repeat("x", 129)} {
		if _, err := withVersion("scalelab/target:v1", v); err == nil {
			t.Errorf("withVersion(%q): no error", v)
		}
	}
}

func TestFencepostsResolveLikeTheController(t *testing.T) {
	dep := func(replicas int32, surge, unavailable *intstr.IntOrString, strategy appsv1.DeploymentStrategyType) *appsv1.Deployment {
		d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: &replicas, Strategy: appsv1.DeploymentStrategy{Type: strategy}}}
		if surge != nil || unavailable != nil {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: surge, MaxUnavailable: unavailable}
		}
		return d
	}
	pct := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	num := func(n int32) *intstr.IntOrString { v := intstr.FromInt32(n); return &v }
	for _, c := range []struct {
		name               string
		d                  *appsv1.Deployment
		surge, unavailable int
	}{
		{"numbers", dep(4, num(1), num(0), appsv1.RollingUpdateDeploymentStrategyType), 1, 0},
		{"defaults 25% of 4", dep(4, nil, nil, ""), 1, 1},
		{"25% of 10: surge up, unavailable down", dep(10, pct("25%"), pct("25%"), ""), 3, 2},
		{"both zero: unavailable 1", dep(3, num(0), num(0), ""), 0, 1},
		{"percent rounds to 0 surge 0", dep(2, pct("10%"), pct("10%"), ""), 1, 0},
		{"recreate", dep(5, nil, nil, appsv1.RecreateDeploymentStrategyType), 0, 5},
	} {
		s, u := fenceposts(c.d)
		if s != c.surge || u != c.unavailable {
			t.Errorf("%s: surge %d unavailable %d, want %d %d", c.name, s, u, c.surge, c.unavailable)
		}
	}
}

func TestPodPhase(t *testing.T) {
	now := metav1.Now()
	mk := func(phase corev1.PodPhase, ready bool, deleting bool) *corev1.Pod {
		p := testPod("p", "", "", "v1", "10.0.0.1", ready, time.Minute)
		p.Status.Phase = phase
		if deleting {
			p.DeletionTimestamp = &now
		}
		return p
	}
	for _, c := range []struct {
		name     string
		pod      *corev1.Pod
		wasReady bool
		want     cluster.Phase
	}{
		{"pending", mk(corev1.PodPending, false, false), false, cluster.Starting},
		{"running not ready yet", mk(corev1.PodRunning, false, false), false, cluster.Starting},
		{"ready", mk(corev1.PodRunning, true, false), false, cluster.Ready},
		{"was ready, now not", mk(corev1.PodRunning, false, false), true, cluster.Unready},
		{"terminating", mk(corev1.PodRunning, true, true), true, cluster.Draining},
		{"failed", mk(corev1.PodFailed, false, false), true, cluster.Killed},
		{"succeeded", mk(corev1.PodSucceeded, false, true), true, cluster.Stopped},
	} {
		if got := podPhase(c.pod, c.wasReady); got != c.want {
			t.Errorf("%s: phase %s, want %s", c.name, got, c.want)
		}
	}
}

func TestContainerPort(t *testing.T) {
	if p, n := containerPort(nil); p != defaultPort || n != "" {
		t.Errorf("no container: %d %q", p, n)
	}
	c := &corev1.Container{Ports: []corev1.ContainerPort{{ContainerPort: 53, Protocol: corev1.ProtocolUDP}, {Name: "web", ContainerPort: 9000}}}
	if p, n := containerPort(c); p != 9000 || n != "web" {
		t.Errorf("first TCP port: %d %q, want 9000 web", p, n)
	}
}

func TestPreviousReplicaSetIsSecondHighestRevision(t *testing.T) {
	rss := []*appsv1.ReplicaSet{
		testReplicaSet("a", "demo-a", "3", "v3", 0),
		testReplicaSet("b", "demo-b", "10", "v10", 2),
		testReplicaSet("c", "demo-c", "9", "v9", 0),
	}
	if p := previousReplicaSet(rss); p == nil || p.Name != "demo-c" {
		t.Errorf("previous = %v, want demo-c (revision 9)", p)
	}
	if p := previousReplicaSet(rss[:1]); p != nil {
		t.Errorf("one revision: previous = %s, want none", p.Name)
	}
}

func TestProgressText(t *testing.T) {
	in := "Waiting for deployment \"demo\" rollout to finish: 1 old replicas are pending termination..."
	if got := cluster.ProgressText(in); got != "1 old replicas are pending termination..." {
		t.Errorf("progressText = %q", got)
	}
	if got := cluster.ProgressText("Waiting for deployment spec update to be observed..."); got != "waiting for deployment spec update to be observed..." {
		t.Errorf("progressText = %q", got)
	}
}
