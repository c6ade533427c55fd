package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/tmuxtest"
)

// TestCanaryUIInTerminal drives `scalelab demo` in tmux on its local
// fleet, v2 a bad build, with client retries: the header says raw beside
// effective availability and the retries; c starts a canary of v2 at 25%
// through its prompt, the panel shows both versions judged, the judge
// fails the canary on its errors and asks before acting; y rolls it back
// (every replica on v1), and q ends with the summary's canary verdict and
// exit 99.
func TestCanaryUIInTerminal(t *testing.T) {
	bin := tuiBinary(t)
	x := tmuxtest.New(t, 120, 40, shellQuit(bin+" demo --replicas 4 --rate 1000 --startup-delay 100ms --drain 300ms --latency 1ms"+
		" --no-record --duration 40s --bad-version v2 --canary-interval 2s --retries 2 --retry-on 5xx"))
	x.WaitFor(30*time.Second, "● RUNNING", "Replicas 4/4 ready · v1", "c canary")
	x.WaitMatch(30*time.Second, achievedRE)
	x.Keys("c")
	x.WaitFor(5*time.Second, "Canary: version and share", "› v2:25%")
	x.Keys("Enter")
	s := x.WaitFor(30*time.Second, "canary v2 vs v1", "v2 canary", "v1 baseline", "canary v2: roll back? [y/n]",
		"y roll back • n promote", "waiting for the operator (y/n)", "decision v2 errors")
	if line := lineOf(s, "decision v2 errors"); !strings.Contains(line, "vs v1 0.00%") || !strings.Contains(line, "): roll back") {
		t.Fatalf("the decision's line is not the verdict's: %q", line)
	}
	if line := lineOf(s, "availability raw"); !strings.Contains(line, "· effective ") {
		t.Fatalf("no raw beside effective availability: %q", line)
	}
	if line := lineOf(s, "retries "); !strings.Contains(line, "amplification 1.") || !strings.Contains(line, "budget exhausted") {
		t.Fatalf("no retries line: %q", line)
	}
	if !strings.Contains(s, "PAUSED rollout → v2") {
		t.Fatalf("the canary does not hold before the operator answers:\n%s", s)
	}
	x.Keys("y")
	x.WaitFor(30*time.Second, "rolled back (operator)", "Replicas 4/4 ready · v1")
	x.Keys("q")
	s = x.WaitFor(20*time.Second, "EXIT=")
	if !strings.Contains(s, "EXIT=99") || !strings.Contains(s, "canary v2 rolled back: v2 errors") {
		t.Fatalf("want the canary's FAIL and exit 99:\n%s", s)
	}
}
