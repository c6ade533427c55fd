// Package promtooltest validates a Prometheus exposition with
// Prometheus's own linter, promtool check metrics, for tests.
package promtooltest

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"
)

// Check runs promtool check metrics on exposition (the text format) and
// fails the test with promtool's findings when it does not pass. Without
// promtool the test fails (it does not skip): CI installs it (.ci/run).
func Check(t testing.TB, exposition []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: the exposition tests need it (apt-get install prometheus; .ci/run installs it)")
	}
	if len(bytes.TrimSpace(exposition)) == 0 {
		t.Fatal("promtool check metrics: the exposition is empty")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics: %v\n%s\nexposition:\n%s", err, out, exposition)
	}
}
