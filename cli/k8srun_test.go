package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunK8sBadInputIsOneLineExit2 checks the Kubernetes flags' bad input:
// each is one line and exit code 2, before anything connects (no cluster
// exists here).
func TestRunK8sBadInputIsOneLineExit2(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--k8s", "pods/web"}, "deployment/NAME"},
		{[]string{"run", "--k8s", "deployment/"}, `target "deployment/"`},
		{[]string{"run", "http://127.0.0.1:1/", "--step", "1s:scale=2"}, "--step needs a cluster"},
		{[]string{"run", "http://127.0.0.1:1/", "--read-only"}, "--read-only needs a cluster"},
		{[]string{"run", "http://127.0.0.1:1/", "-n", "shop"}, "--namespace needs a cluster"},
		{[]string{"run", "--k8s", "deployment/web", "--read-only", "--step", "1s:scale=2", "--yes"}, "--read-only refuses every cluster action"},
		{[]string{"run", "--k8s", "deployment/web", "--step", "1s:kill=1"}, "add --yes"},
		{[]string{"run", "--k8s", "deployment/web", "--step", "1s:upgrade=v2"}, "add --yes"},
		{[]string{"run", "--k8s", "deployment/web", "--max-kill", "lots"}, `--max-kill "lots"`},
		{[]string{"run", "--k8s", "deployment/web", "--max-kill", "150%"}, `--max-kill "150%"`},
		{[]string{"run", "--k8s", "deployment/web", "--min-replicas", "-1"}, "--min-replicas -1"},
		{[]string{"run", "--k8s", "deployment/web", "--step", "soon:scale=2"}, `"soon" is not a time`},
		{[]string{"run", "--k8s", "deployment/web", "a", "b"}, "want exactly one URL"},
		{[]string{"run", "--k8s", "deployment/web", "--headless", "--rate", "-1"}, "rate"},
		{[]string{"run", "http://127.0.0.1:1/", "--agents", "3"}, "--agents: needs a cluster to run them in: --k8s deployment/NAME"},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "3", "--agents-at", "127.0.0.1:7001"}, "--agents: not with --agents-at"},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "11"}, "--agents 11 refused: above the cap of 10 (--max-agents)"},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "5", "--max-agents", "4"}, "--agents 5 refused: above the cap of 4 (--max-agents)"},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "0"}, "--agents 0: want at least 1"},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--read-only"}, "--agents: not with --read-only"},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--retries", "2"}, "--retries: not with --agents"},
		{[]string{"run", "--k8s", "deployment/web", "--keep-agents"}, "--keep-agents: without --agents N"},
		{[]string{"run", "--k8s", "deployment/web", "--agent-image", "scalelab/target:v2"}, "--agent-image: without --agents N"},
		{[]string{"run", "--k8s", "deployment/web", "--agent-requests", "cpu=1"}, "--agent-requests: without --agents N"},
		{[]string{"run", "--k8s", "deployment/web", "--agent-limits", "cpu=1"}, "--agent-limits: without --agents N"},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--agent-image", ""}, "--agent-image: empty"},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--agent-image", " scalelab/target:v2"}, `--agent-image " scalelab/target:v2": spaces`},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--agent-requests", "gpu=1"}, `--agent-requests gpu=1: unknown resource "gpu": want cpu or memory`},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--agent-limits", "cpu=1,storage=1Gi"}, `--agent-limits storage=1Gi: unknown resource "storage"`},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--agent-requests", "cpu=lots"}, `--agent-requests cpu=lots: "lots" is not a quantity`},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--agent-limits", "memory=1GB"}, `--agent-limits memory=1GB: "1GB" is not a quantity`},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--agent-limits", "memory=-1Gi"}, "--agent-limits memory=-1Gi: negative"},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--agent-requests", "cpu=1,memory=1Gi,cpu=2"}, "--agent-requests cpu=1,memory=1Gi,cpu=2: cpu given twice"},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--agent-requests", "cpu"}, `--agent-requests "cpu": want NAME=QUANTITY`},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--agent-limits", ""}, `--agent-limits "": want NAME=QUANTITY`},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--agent-requests", "cpu=2", "--agent-limits", "cpu=1500m"},
			"--agent-requests cpu=2: above --agent-limits cpu=1500m (Kubernetes refuses a request above its limit)"},
		{[]string{"run", "--k8s", "deployment/web", "--agents", "2", "--agent-requests", "cpu=100m,memory=1Gi", "--agent-limits", "memory=512Mi"},
			"--agent-requests memory=1Gi: above --agent-limits memory=512Mi"},
	} {
		code, out, errOut := scalelab(t.Context(), c.args...)
		if code != exitUsage || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 ||
			!strings.HasPrefix(errOut, "scalelab: ") || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q: want exit 2 and one line with %q", c.args, code, out, errOut, c.want)
		}
	}
}

// TestRunK8sWithoutClusterIsOneLine checks that a missing kubeconfig and
// an unknown context are one clear line each, not a stack trace.
func TestRunK8sWithoutClusterIsOneLine(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBECONFIG", filepath.Join(dir, "missing"))
	code, _, errOut := scalelab(t.Context(), "run", "--k8s", "deployment/web", "--headless", "--duration", "1s", "--no-record")
	if code == exitOK || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "kubeconfig") {
		t.Errorf("no kubeconfig: exit %d, stderr %q: want a failure in one line naming the kubeconfig", code, errOut)
	}
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte(kubeconfigYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = scalelab(t.Context(), "run", "--k8s", "deployment/web", "--kubeconfig", cfg,
		"--context", "nope", "--headless", "--duration", "1s", "--no-record")
	if code == exitOK || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, `"nope"`) {
		t.Errorf("unknown context: exit %d, stderr %q: want a failure in one line naming the context", code, errOut)
	}
	code, _, errOut = scalelab(t.Context(), "run", "--k8s", "deployment/web", "--kubeconfig", cfg,
		"--headless", "--duration", "1s", "--no-record")
	if code == exitOK || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "127.0.0.1:1") {
		t.Errorf("unreachable API server: exit %d, stderr %q: want a failure in one line naming the server", code, errOut)
	}
}

// kubeconfigYAML points at a closed loopback port.
const kubeconfigYAML = `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:1
contexts:
- name: local
  context:
    cluster: local
    user: me
    namespace: shop
current-context: local
users:
- name: me
  user:
    token: abc
`
