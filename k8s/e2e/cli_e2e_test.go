//go:build k8se2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
)

// binEnvCLI names the scalelab binary the CLI proofs run (make k8s-e2e
// builds bin/scalelab and sets it).
const binEnvCLI = "SCALELAB_BIN"

// cliRun is one finished run of the scalelab binary.
type cliRun struct {
	stdout, stderr string
	code           int
}

// scalelab runs the scalelab binary with args against the app's
// Deployment through the admin kubeconfig and returns what it printed.
func (a *app) scalelab(t *testing.T, args ...string) cliRun {
	t.Helper()
	bin := os.Getenv(binEnvCLI)
	if bin == "" {
		t.Fatalf("%s is not set: run the suite with `make k8s-e2e`, which builds bin/scalelab", binEnvCLI)
	}
	ctx, cancel := context.WithTimeout(runCtx, 90*time.Second)
	defer cancel()
	args = append([]string{"run", "--k8s", "deployment/" + appName, "--kubeconfig", a.cp.kubeconfig, "-n", a.ns}, args...)
	cmd := exec.CommandContext(ctx, bin, args...)
	// Recordings go to the test's temporary folder, not the checkout.
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "SCALELAB_RECORDINGS="+cmd.Dir)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := cliRun{stdout: out.String(), stderr: errOut.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("scalelab %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("scalelab %s: exit %d; stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	return r
}

// cliReport is the JSON summary of scalelab run with --k8s.
type cliReport struct {
	engine.Summary
	Steps []experiments.Result `json:"steps"`
}

// report decodes the JSON summary of a run that exited 0.
func (r cliRun) report(t *testing.T) cliReport { t.Helper(); return r.reportExit(t, 0) }

// reportExit decodes the JSON summary of a run that exited with code
// (99: a step failed).
func (r cliRun) reportExit(t *testing.T, code int) cliReport {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, code, r.stderr)
	}
	var rep cliReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("the JSON summary: %v\n%s", err, r.stdout)
	}
	if len(rep.Steps) != 1 {
		t.Fatalf("want one step in the summary, have %+v", rep.Steps)
	}
	return rep
}

// TestCLIRefuses runs the real scalelab binary on a Deployment: a kill
// step above --max-kill fails with a message naming the flag, a scale
// step under --dry-run leaves the Deployment as it was and says it was a
// dry run, and --read-only refuses steps before connecting. Nothing
// changes in the cluster.
func TestCLIRefuses(t *testing.T) {
	t.Parallel()
	a := newApp(t, 3, "v1", fastStart()...)
	before := a.look(t)

	run := a.scalelab(t, "--headless", "--json", "--duration", "6s", "--rate", "100", "--step", "1s:kill=3", "--yes")
	rep := run.reportExit(t, 99) // the refused step fails the run
	if s := rep.Steps[0]; s.Completed || !strings.Contains(s.Error, "--max-kill") {
		t.Errorf("kill=3 with the default --max-kill: step %+v, want it refused naming --max-kill", s)
	}
	if rep.Requests == 0 || rep.Availability != 1 {
		t.Errorf("the load of the refused kill: %d requests, availability %g", rep.Requests, rep.Availability)
	}
	a.unchanged(t, before, "the refused kill")

	run = a.scalelab(t, "--headless", "--json", "--duration", "4s", "--rate", "100", "--dry-run", "--step", "1s:scale=1", "--yes")
	rep = run.report(t)
	if !strings.Contains(strings.ToLower(run.stderr), "dry run") {
		t.Error("the dry run does not say so on stderr")
	}
	if rep.Requests == 0 {
		t.Error("no load in the dry run")
	}
	a.unchanged(t, before, "the dry-run scale")

	run = a.scalelab(t, "--headless", "--json", "--duration", "4s", "--read-only", "--step", "1s:scale=1")
	if lines := strings.Split(strings.TrimSpace(run.stderr), "\n"); run.code != 2 || len(lines) != 1 || !strings.Contains(run.stderr, "--read-only") {
		t.Errorf("--read-only with a step: exit %d, stderr %q; want exit 2 and one line naming --read-only", run.code, run.stderr)
	}
	a.unchanged(t, before, "the read-only run")
}

// TestCLIUpgradeZeroErrors runs the real scalelab binary headless with
// its load balanced across the Deployment's endpoints and an upgrade
// step: the step completes, no request fails, and the JSON summary's
// by_version shows both versions.
func TestCLIUpgradeZeroErrors(t *testing.T) {
	t.Parallel()
	a := newApp(t, 3, "v1", replicaOpts()...)
	run := a.scalelab(t, "--headless", "--json", "--duration", "12s", "--rate", "200", "--step", "1s:upgrade=v2", "--yes")
	rep := run.report(t)
	if s := rep.Steps[0]; !s.Completed || s.Errors != 0 {
		t.Errorf("upgrade step: %+v, want completed without errors", s)
	}
	// Every request sent was answered 200. (Requests the engine had not
	// sent when its window closed on a busy machine count as dropped:
	// never sent, so not lost by the cluster; the driver-level proof
	// ramps its load down to show none are.)
	if rep.Requests == 0 || rep.Availability != 1 || len(rep.Errors) != 0 || rep.Status["200"] != rep.Requests {
		t.Errorf("the run lost requests: %d requests, status %v, errors %v",
			rep.Requests, rep.Status, rep.Errors)
	}
	for _, v := range []string{"v1", "v2"} {
		if vs, ok := rep.ByVersion[v]; !ok || vs.Requests == 0 || vs.Errors != 0 {
			t.Errorf("by_version[%s] = %+v (all: %+v)", v, vs, rep.ByVersion)
		}
	}
	ctx, cancel := context.WithTimeout(runCtx, time.Minute)
	defer cancel()
	a.waitConverged(ctx, t, 3, "v2")
	t.Logf("CLI upgrade: %d requests (dropped %d), by_version v1 %d, v2 %d",
		rep.Requests, rep.Dropped, rep.ByVersion["v1"].Requests, rep.ByVersion["v2"].Requests)
}
