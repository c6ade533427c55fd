//go:build k8se2e

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/tmuxtest"
)

// TestRunK8sPlanUIInTerminal runs a plan on the Deployment under the
// terminal UI (tmux): `scalelab run --k8s deployment/web --plan FILE`.
// The thresholds panel shows each threshold with its live value, the
// countdown names the upgrade, the rollout to v2 completes on the pods,
// the note after it is in the event log, the header says PASS at the
// load's end and stays there until q, which prints the summary's PASS
// and exits 0.
func TestRunK8sPlanUIInTerminal(t *testing.T) {
	t.Parallel()
	bin := os.Getenv(binEnvCLI)
	if bin == "" {
		t.Fatalf("%s is not set: run the suite with `make k8s-e2e`, which builds bin/scalelab", binEnvCLI)
	}
	a := newApp(t, 3, "v1", replicaOpts()...)
	plan := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(plan, []byte(`name: ui upgrade on a cluster
target: {fleet: {replicas: 3}}
load: {rate: 50, duration: 20s}
steps:
  - {name: upgrade, at: 4s, action: "upgrade=v2"}
  - {name: mark, after: upgrade + 500ms, action: "note=upgraded"}
thresholds:
  latency: ["p(99)<2000"]
  availability: ["rate>0.99"]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := bin + " run --k8s deployment/" + appName + " -n " + a.ns + " --kubeconfig " + a.cp.kubeconfig +
		" --plan " + plan + " --yes --no-record; echo EXIT=$?; sleep 600"
	x := tmuxtest.New(t, 160, 40, cmd)
	s := x.WaitFor(60*time.Second, "● RUNNING", "Replicas 3/3 ready · v1", "thresholds ✓ latency p(99)<2000 ", "✓ availability rate>0.99 ")
	if line := lineOf(s, "thresholds ✓"); !regexp.MustCompile(`p\(99\)<2000 [0-9.]+[mµ]?s`).MatchString(line) {
		t.Fatalf("the thresholds' line lacks the live value: %q", line)
	}
	x.WaitMatch(20*time.Second, regexp.MustCompile(`next: upgrade \(upgrade=v2\) in [1-4]s`))
	x.WaitFor(90*time.Second, "Replicas 3/3 ready · v2", "step mark: note: upgraded")
	s = x.WaitFor(60*time.Second, "PASS", "● FINISHED", "the load ended: PASS · q quits")
	if strings.Contains(s, "EXIT=") || strings.Contains(s, "✗") {
		t.Fatalf("a passing run stays on PASS, every threshold ✓, until q:\n%s", s)
	}
	x.Keys("q")
	s = x.WaitFor(30*time.Second, "EXIT=")
	if !strings.Contains(s, "EXIT=0") || !strings.Contains(s, "verdict: PASS") || !strings.Contains(s, "plan: ui upgrade on a cluster") {
		t.Fatalf("want the summary's plan, PASS and exit 0:\n%s", s)
	}
}
