package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/tmuxtest"
)

// TestPlanUIInTerminal runs `scalelab demo --plan FILE` in tmux, not
// headless, on the local fleet: the thresholds' line shows each threshold
// as written with a live ✓, the countdown names the next step by its name,
// the at: step takes effect (the replicas at v2) and the after: step
// (set-rate) after it, the note= step after that shows its text in the
// event log as its step's line, the upgrade its span under the charts;
// at the load's end the header says PASS and the UI stays on it
// until q, then the summary says pass and the exit code is 0.
func TestPlanUIInTerminal(t *testing.T) {
	bin := tuiBinary(t)
	plan := writePlan(t, `name: ui upgrade
target: {fleet: {replicas: 2, version: v1, startup_delay: 600ms, drain: 200ms, latency: 1ms}}
load: {rate: 100, duration: 7s}
steps:
  - {name: upgrade, at: 3s, action: "upgrade=v2"}
  - {name: mark, after: upgrade + 500ms, action: "set-rate=150"}
  - {name: back, after: mark, action: "note=v2 out"}
thresholds:
  latency: ["p(99)<2000"]
  availability: ["rate>0.99"]
`)
	x := tmuxtest.New(t, 120, 40, shellQuit(bin+" demo --no-record --plan "+plan))
	s := x.WaitFor(30*time.Second, "● RUNNING", "thresholds ✓ latency p(99)<2000 ", "✓ availability rate>0.99 ")
	x.WaitMatch(10*time.Second, regexp.MustCompile(`next: upgrade \(upgrade=v2\) in [1-3]s`))
	if line := lineOf(s, "thresholds ✓"); !regexp.MustCompile(`p\(99\)<2000 [0-9.]+[mµ]?s`).MatchString(line) {
		t.Fatalf("the thresholds' line lacks the live value: %q", line)
	}
	s = x.WaitFor(30*time.Second, "Replicas 2/2 ready · v2", "target 150/s")
	if strings.Contains(s, "next: upgrade") {
		t.Fatalf("the countdown still shows a step that ran:\n%s", s)
	}
	s = x.WaitFor(30*time.Second, "step back: note: v2 out")
	// The upgrade took a second or more (two replicas started one after
	// the other): a span of two columns or more under the marks.
	if !regexp.MustCompile(`(?m)^ steps +├\S*┤`).MatchString(s) {
		t.Fatalf("the upgrade's span is not on the time axis:\n%s", s)
	}
	s = x.WaitFor(30*time.Second, "PASS", "● FINISHED", "the load ended: PASS · q quits")
	if strings.Contains(s, "EXIT=") || strings.Contains(s, "✗") {
		t.Fatalf("a passing run stays on PASS, every threshold ✓, until q:\n%s", s)
	}
	x.Keys("q")
	s = x.WaitFor(30*time.Second, "EXIT=")
	if !strings.Contains(s, "EXIT=0") || !strings.Contains(s, "verdict: PASS") {
		t.Fatalf("want the summary's PASS and exit 0:\n%s", s)
	}
}

// TestPlanUIFailsInTerminal runs a plan in tmux whose step rolls out a
// bad build (30% 500s) and whose threshold the bad build breaks: the line
// shows ✗, the header FAIL at the end, and the exit code is 99.
func TestPlanUIFailsInTerminal(t *testing.T) {
	bin := tuiBinary(t)
	plan := writePlan(t, `name: ui bad build
target: {fleet: {replicas: 2, version: v1, startup_delay: 200ms, drain: 200ms, latency: 1ms}}
load: {rate: 100, duration: 6s}
steps:
  - {name: break, at: 2s, action: "bad-version=v2"}
thresholds:
  availability: ["rate>0.999"]
`)
	x := tmuxtest.New(t, 120, 40, shellQuit(bin+" demo --no-record --plan "+plan))
	x.WaitFor(30*time.Second, "● RUNNING", "thresholds ✓ availability rate>0.999 ", "next: break (bad-version=v2) in")
	s := x.WaitFor(30*time.Second, "thresholds ✗ availability rate>0.999 ")
	if head := strings.SplitN(s, "\n", 2)[0]; !strings.Contains(head, "1 ✗") {
		t.Fatalf("the header must count the failing threshold: %q", head)
	}
	x.WaitFor(30*time.Second, "FAIL", "● FINISHED", "the load ended: FAIL · q quits")
	x.Keys("q")
	s = x.WaitFor(30*time.Second, "EXIT=")
	if !strings.Contains(s, "EXIT=99") || !strings.Contains(s, "verdict: FAIL") || !strings.Contains(s, "✗ availability") {
		t.Fatalf("want the summary's FAIL and exit 99:\n%s", s)
	}
}
