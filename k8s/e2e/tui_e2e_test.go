//go:build k8se2e

package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	cl "github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/internal/tmuxtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestRunK8sUIInTerminal runs `scalelab run --k8s deployment/web` in a
// real terminal (tmux) on the real control plane, the load balanced by
// scalelab over the Service's endpoints: the same live screen as the local
// demo shows the pods with their revisions and endpoints; u upgrades to v2
// after a confirmation naming the namespace and the Deployment; the
// rollout completes in kubectl's words and the split by version shows;
// q quits with exit 0 and a summary without a failed request.
func TestRunK8sUIInTerminal(t *testing.T) {
	t.Parallel()
	bin := os.Getenv("SCALELAB_BIN")
	if bin == "" {
		t.Fatal("SCALELAB_BIN is not set: run the suite with make k8s-e2e, which builds bin/scalelab")
	}
	cp := cluster(t)
	ns := cp.namespace(t)
	kubeletFor(t, cp, ns, fleet.Drain(time.Second), fleet.Latency(cl.LatencyRange{Min: time.Millisecond, Max: time.Millisecond}))
	ctx, cancel := context.WithTimeout(runCtx, 2*time.Minute)
	defer cancel()
	if _, err := cp.client.CoreV1().Services(ns).Create(ctx, demoService("web"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	if _, err := cp.client.AppsV1().Deployments(ns).Create(ctx, demoDeployment("web", 3, "scalelab/target:v1"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	cmd := bin + " run --k8s deployment/web -n " + ns + " --kubeconfig " + cp.kubeconfig +
		" --rate 100 --no-record; echo EXIT=$?; sleep 600"
	x := tmuxtest.New(t, 120, 40, cmd)

	x.WaitFor(60*time.Second, "● RUNNING", "Throughput (requests/s)", "Replicas 3/3 ready · v1", "ep✓", "#1")
	x.Keys("u")
	x.WaitFor(10*time.Second, "Rolling upgrade to version", "› v2")
	x.Keys("Enter")
	x.WaitFor(10*time.Second, "deployment web in namespace "+ns)
	x.Keys("y")
	x.WaitFor(90*time.Second, "Replicas 3/3 ready · v2", "upgrade to v2: done", "#2")
	x.Keys("q")
	s := x.WaitFor(30*time.Second, "EXIT=")
	if !strings.Contains(s, "EXIT=0") {
		t.Fatalf("scalelab run --k8s did not exit 0:\n%s", s)
	}
	for _, want := range []string{"availability      100.000%", "transport errors  none", "failed            0 ", "by version", "v1", "v2"} {
		if !strings.Contains(s, want) {
			t.Fatalf("the summary lacks %q:\n%s", want, s)
		}
	}
}
