package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanJUnit runs a plan with --junit: one testsuite, a testcase for
// each threshold, each step, the steady state's window and the rollback
// (deviated: the run failed), in that order; the failure names the
// threshold with its value; exit 99.
func TestPlanJUnit(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	junit := filepath.Join(t.TempDir(), "junit.xml")
	_, _, errOut, code := runPlanBin(t, bin, "demo", "--headless", "--no-record", "--junit", junit, "--plan", writePlan(t, `name: junit
target: {fleet: {replicas: 2, version: v1, startup_delay: 200ms, drain: 200ms, latency: 2ms}}
load: {rate: 100, duration: 4s}
steps:
  - {name: upgrade, at: 1500ms, action: "upgrade=v2"}
  - {name: mark, after: upgrade, action: "note=upgraded"}
thresholds:
  availability: ["rate>0.99"]
  latency: ["p(99)<0.001"]
steady_state: {before: 1s, thresholds: {availability: ["rate>0.99"]}}
rollbacks: {strategy: deviated, actions: ["rollback"]}
`))
	if code != 99 {
		t.Fatalf("exit %d, want 99\n%s", code, errOut)
	}
	s := readJUnit(t, junit)
	type tc struct{ class, name string }
	var got []tc
	for _, c := range s.Cases {
		got = append(got, tc{c.Classname, c.Name})
	}
	want := []tc{{"thresholds", "availability rate>0.99"}, {"thresholds", "latency p(99)<0.001"},
		{"steps", "1.5s:upgrade=v2"}, {"steps", "note=upgraded"}, {"steady_state", "steady state before the method"},
		{"rollbacks", "rollback"}}
	if len(got) != len(want) {
		t.Fatalf("testcases %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("testcase %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}
	if s.Tests != len(want) || s.Failures != 1 {
		t.Errorf("tests %d, failures %d; want %d and 1 (the latency)", s.Tests, s.Failures, len(want))
	}
	for i, c := range s.Cases {
		if failed := c.Failure != nil; failed != (i == 1) {
			t.Errorf("testcase %s: failure %+v", c.Name, c.Failure)
		}
	}
	if f := s.Cases[1].Failure; f == nil || !strings.Contains(f.Message, "latency p(99)<0.001 failed: p(99)=") {
		t.Errorf("the latency's failure %+v, want it named with its value", s.Cases[1].Failure)
	}
}

// TestPlanInternalFailureExits1: a plan whose run held every threshold
// but whose JUnit report cannot be written (the disk is full: /dev/full)
// is an internal failure, exit 1, the summary printed first and the
// error one line naming the file.
func TestPlanInternalFailureExits1(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	bin := buildBinary(t)
	sum, _, errOut, code := runPlanBin(t, bin, "demo", "--headless", "--no-record", "--json", "--junit", "/dev/full", "--plan", writePlan(t, `name: full disk
target: {fleet: {replicas: 1, startup_delay: 100ms}}
load: {rate: 50, duration: 2s}
thresholds:
  availability: ["rate>0.9"]
`))
	if code != 1 {
		t.Fatalf("exit %d, want 1 (internal)\n%s", code, errOut)
	}
	if sum.Verdict != "pass" || sum.Requests < 50 {
		t.Errorf("summary: verdict %q, %.0f requests; want the pass printed", sum.Verdict, sum.Requests)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if last := lines[len(lines)-1]; last != "scalelab: junit: write /dev/full: no space left on device" {
		t.Errorf("stderr's last line %q", last)
	}
}
