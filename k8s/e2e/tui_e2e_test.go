//go:build k8se2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
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
// demo shows the pods with their revisions and endpoints, and each pod's
// usage read from its /metrics through the API server's pod proxy (busy
// time and requests in flight, the demo service's figures); u upgrades to v2
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
	const rate, latency = 100, time.Millisecond
	kubeletFor(t, cp, ns, fleet.Drain(time.Second), fleet.Latency(cl.LatencyRange{Min: latency, Max: latency}))
	ctx, cancel := context.WithTimeout(runCtx, 2*time.Minute)
	defer cancel()
	if _, err := cp.client.CoreV1().Services(ns).Create(ctx, demoService("web"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	if _, err := cp.client.AppsV1().Deployments(ns).Create(ctx, demoDeployment("web", 3, "scalelab/target:v1"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	cmd := bin + " run --k8s deployment/web -n " + ns + " --kubeconfig " + cp.kubeconfig +
		" --rate " + strconv.Itoa(rate) + " --no-record; echo EXIT=$?; sleep 600"
	// Wide enough for a pod's line with every usage figure: the replicas
	// panel takes up to half the screen.
	x := tmuxtest.New(t, 200, 40, cmd)

	x.WaitFor(60*time.Second, "● RUNNING", "Throughput (requests/s)", "Replicas 3/3 ready · v1", "ep✓", "#1")
	waitPodUsage(t, x, 3, "v1", rate, latency, 60*time.Second)
	x.Keys("u")
	x.WaitFor(10*time.Second, "Rolling upgrade to version", "› v2")
	x.Keys("Enter")
	x.WaitFor(10*time.Second, "deployment web in namespace "+ns)
	x.Keys("y")
	x.WaitFor(90*time.Second, "Replicas 3/3 ready · v2", "upgrade to v2: done", "#2")
	waitPodUsage(t, x, 3, "v2", rate, latency, 60*time.Second)
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

// podUsage is a ready pod's line in the replicas panel with its usage as
// the pod proxy gives it for the demo service: busy time and requests in
// flight ("web-db767988c-nzphm v1 #1 ● ready scalelab-e2e-node ep✓ busy
// 0.11 in  0"); its groups are the pod's name, its version and its busy
// time.
var podUsage = regexp.MustCompile(`(web-[a-z0-9]+-[a-z0-9]+) (v\d+) .*● ready .*ep✓ busy (\d+\.\d\d) in +\d+`)

// waitPodUsage waits until the screen shows n ready pods of version with
// their usage, their busy times adding up to at least half what the load
// makes them (rate requests/s of at least latency each), or fails after
// timeout showing the screen. The balancer spreads connections, not requests: at
// this rate one connection may carry all of them, so one pod may be busy
// and the others idle. It logs the pods' lines.
func waitPodUsage(t *testing.T, x *tmuxtest.Term, n int, version string, rate float64, latency, timeout time.Duration) {
	t.Helper()
	least := rate * latency.Seconds() / 2
	s := x.Until(timeout, func(s string) string {
		pods, busy := map[string]bool{}, 0.0
		for _, l := range strings.Split(s, "\n") {
			m := podUsage.FindStringSubmatch(l)
			if m == nil || m[2] != version || pods[m[1]] {
				continue
			}
			b, err := strconv.ParseFloat(m[3], 64)
			if err != nil {
				return fmt.Sprintf("shows busy %q for pod %s: %v", m[3], m[1], err)
			}
			pods[m[1]], busy = true, busy+b
		}
		if len(pods) < n || busy < least {
			return fmt.Sprintf("shows %d of %d ready %s pods with their usage, busy %.2f in all (want at least %.2f)", len(pods), n, version, busy, least)
		}
		return ""
	})
	for _, l := range strings.Split(s, "\n") {
		if podUsage.MatchString(l) {
			t.Logf("%s", replicasPanel(l))
		}
	}
}

// replicasPanel is the replicas panel's part of screen line l: up to its
// right border, the first one after the left.
func replicasPanel(l string) string {
	if i := strings.Index(l, "│"); i >= 0 {
		if j := strings.Index(l[i+len("│"):], "│"); j >= 0 {
			return l[:i+len("│")+j+len("│")]
		}
	}
	return strings.TrimRight(l, " ")
}
