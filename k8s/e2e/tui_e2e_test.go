//go:build k8se2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cl "github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/fleet"
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
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux not found: this test needs it (.ci/run installs it)")
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
	x := newTerm(t, 120, 40, cmd)

	x.waitFor(60*time.Second, "● RUNNING", "Throughput (requests/s)", "Replicas 3/3 ready · v1", "ep✓", "#1")
	x.keys("u")
	x.waitFor(10*time.Second, "Rolling upgrade to version", "› v2")
	x.keys("Enter")
	x.waitFor(10*time.Second, "deployment web in namespace "+ns)
	x.keys("y")
	x.waitFor(90*time.Second, "Replicas 3/3 ready · v2", "upgrade to v2: done", "#2")
	x.keys("q")
	s := x.waitFor(30*time.Second, "EXIT=")
	if !strings.Contains(s, "EXIT=0") {
		t.Fatalf("scalelab run --k8s did not exit 0:\n%s", s)
	}
	for _, want := range []string{"availability  100.000%", "errors        none", "by version", "v1", "v2"} {
		if !strings.Contains(s, want) {
			t.Fatalf("the summary lacks %q:\n%s", want, s)
		}
	}
}

// term is one tmux session on a private server, for the UI test.
type term struct {
	t    *testing.T
	sock string
}

// newTerm starts shell command cmd in a w x h tmux session that the
// test's cleanup kills.
func newTerm(t *testing.T, w, h int, cmd string) *term {
	t.Helper()
	x := &term{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	x.run("new-session", "-d", "-s", "e2e", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), "sh", "-c", cmd)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", x.sock, "kill-server").Run() })
	return x
}

func (x *term) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", x.sock}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// keys sends tmux key names.
func (x *term) keys(k ...string) { x.run(append([]string{"send-keys", "-t", "e2e"}, k...)...) }

// waitFor polls the screen until it contains every one of want, or fails
// after timeout showing the screen.
func (x *term) waitFor(timeout time.Duration, want ...string) string {
	x.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := x.run("capture-pane", "-p", "-t", "e2e")
		missing := ""
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return s
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("after %s the screen lacks %q:\n%s", timeout, missing, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
