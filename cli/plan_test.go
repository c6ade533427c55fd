package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanCheckRunsTheBinaryOnGoodAndBadPlans runs the built scalelab on
// every example plan (exit 0, one ok line each on stdout, nothing on
// stderr but what cobra prints), then on good and bad plans together:
// every problem one line FILE:LINE: reason on stderr, the good plan still
// ok on stdout, exit 2.
func TestPlanCheckRunsTheBinaryOnGoodAndBadPlans(t *testing.T) {
	bin := buildBinary(t)
	examples, err := filepath.Glob("../experiments/examples/*.yaml")
	if err != nil || len(examples) < 5 {
		t.Fatalf("examples: %v, %d", err, len(examples))
	}
	out, errOut, code := runBin(t, bin, append([]string{"plan", "check"}, examples...)...)
	if code != 0 || errOut != "" {
		t.Fatalf("plan check of the examples: exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(examples) {
		t.Fatalf("%d lines for %d plans:\n%s", len(lines), len(examples), out)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, examples[i]+": ok (") || !strings.Contains(l, " steps, ") && !strings.Contains(l, " step, ") {
			t.Errorf("line %q, want %s: ok (N steps, M thresholds)", l, examples[i])
		}
	}
	if !strings.Contains(out, "zero-downtime-upgrade.yaml: ok (3 steps, 7 thresholds)") {
		t.Errorf("the issue's plan: %s", out)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	src := "name: broken\nnmae: typo\ntarget: {fleet: {replicas: 3}, url: \"http://127.0.0.1:8080/\"}\nload: {rate: -1, duration: 30}\n" +
		"steps:\n  - {name: a, after: b, action: scale=2}\n  - {name: b, after: a, action: explode}\n"
	if err := os.WriteFile(bad, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	notYAML := filepath.Join(dir, "list.yaml")
	if err := os.WriteFile(notYAML, []byte("- a\n- b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runBin(t, bin, "plan", "check", examples[0], bad, notYAML)
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if out != examples[0]+": ok ("+strings.SplitN(lines[0], "ok (", 2)[1]+"\n" {
		t.Errorf("stdout %q, want the good plan's ok line only", out)
	}
	want := []string{
		bad + `:2: plan: unknown field "nmae"`,
		bad + ":3: target: fleet and url: choose one",
		bad + ":4: load.rate -1: want above 0",
		bad + ":4: load.duration: 30 is a bare number",
		bad + `:7: steps[2].action "explode": unknown action "explode"`,
		notYAML + ":1: the plan: want a mapping",
		"scalelab: plan check: 6 problems in 2 of 3 plans",
	}
	got := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(got), len(want), errOut)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("stderr line %d: %q, want it to start with %q", i+1, got[i], w)
		}
	}
}

// TestPlanHelpDocumentsCheck checks scalelab plan --help names check, the
// ok line, the problem lines and the exit codes.
func TestPlanHelpDocumentsCheck(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"plan", "--help"}, streams{out: &out, err: &errOut}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, w := range []string{"check", "FILE: ok (N steps, M thresholds)", "FILE:LINE: reason", "99 a threshold or a step failed", "108", "docs/plans.md"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("plan --help lacks %q:\n%s", w, out.String())
		}
	}
	for _, args := range [][]string{{"plan", "check"}, {"plan", "chek"}} {
		out.Reset()
		errOut.Reset()
		if code := run(t.Context(), args, streams{out: &out, err: &errOut}); code != exitUsage || strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line", args, code, errOut.String())
		}
	}
}

// runBin runs the binary and returns its stdout, stderr and exit code.
func runBin(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errOut.String(), 0
	case errors.As(err, &ee):
		return out.String(), errOut.String(), ee.ExitCode()
	}
	t.Fatalf("%s %q: %v", bin, args, err)
	return "", "", 0
}
