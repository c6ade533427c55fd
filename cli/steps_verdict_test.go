package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/tmuxtest"
)

// failingStep is a step the fleet refuses at run time only: replica-999
// is a name the fleet could give, but no such replica lives then.
const failingStep = "500ms:kill=replica-999"

// demoArgs is a short headless demo on a small, fast fleet.
func demoArgs(extra ...string) []string {
	return append([]string{"demo", "--headless", "--duration", "1500ms", "--rate", "100", "--replicas", "2",
		"--startup-delay", "50ms", "--drain", "200ms", "--latency", "1ms"}, extra...)
}

// TestDemoFailedStepFailsTheRun checks that a step failing at run time
// makes the exit code 99 (after the summary), and that the text summary
// and stderr name the step and why.
func TestDemoFailedStepFailsTheRun(t *testing.T) {
	code, out, errOut := scalelab(t.Context(), demoArgs("--step", failingStep)...)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	why := "no live replica replica-999"
	if row := lineOf(out, failingStep); !strings.Contains(row, "step failed: ") || !strings.Contains(row, why) {
		t.Errorf("the steps table's row %q: want the step failed and why", row)
	}
	if !strings.Contains(out, "1 of 1 steps failed: the run's verdict fails (exit code 99)") || !strings.Contains(out, "availability") {
		t.Errorf("the text summary lacks the summary or the verdict:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, `scalelab: step "`+failingStep+`" failed: `) || !strings.Contains(last, why) {
		t.Errorf("stderr's last line %q: want the failed step and why", last)
	}
	if !strings.Contains(errOut, "step   "+failingStep+" failed: ") {
		t.Errorf("stderr lacks the step's live line:\n%s", errOut)
	}
}

// TestDemoFailedStepFailsTheRunInJSON checks the exit code with --json:
// stdout is still the one JSON summary, whose step says why.
func TestDemoFailedStepFailsTheRunInJSON(t *testing.T) {
	code, out, errOut := scalelab(t.Context(), demoArgs("--json", "--step", "200ms:scale=3", "--step", failingStep)...)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitFailed, errOut)
	}
	var rep struct {
		Requests uint64 `json:"requests"`
		Steps    []struct {
			Spec      string `json:"spec"`
			Completed bool   `json:"completed"`
			Cut       bool   `json:"cut"`
			Error     string `json:"error"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	if rep.Requests == 0 || len(rep.Steps) != 2 {
		t.Fatalf("summary %+v", rep)
	}
	if s := rep.Steps[0]; !s.Completed || s.Error != "" {
		t.Errorf("scale step %+v: want completed", s)
	}
	if s := rep.Steps[1]; s.Spec != failingStep || s.Completed || s.Cut || !strings.Contains(s.Error, "no live replica replica-999") {
		t.Errorf("kill step %+v: want failed, not cut, with why", s)
	}
	if strings.Contains(errOut, `"200ms:scale=3" failed`) {
		t.Errorf("stderr names the completed step as failed:\n%s", errOut)
	}
}

// TestDemoStepCutByTheRunsEndDoesNotFail checks that a step the run's end
// cut short (still scaling when the window ended) is not completed but
// does not fail the run: exit 0, as the README says of a run that
// completes.
func TestDemoStepCutByTheRunsEndDoesNotFail(t *testing.T) {
	// A new replica takes longer to start than the run has left (the last
	// --startup-delay wins).
	code, out, errOut := scalelab(t.Context(), demoArgs("--step", "1s:scale=3", "--startup-delay", "2s")...)
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if row := lineOf(out, "1s:scale=3"); !strings.Contains(row, "not completed: ") || strings.Contains(row, "step failed") {
		t.Errorf("the steps table's row %q: want not completed, not failed", row)
	}
	if strings.Contains(out, "steps failed") {
		t.Errorf("the summary says steps failed:\n%s", out)
	}
}

// TestDemoUIFailedStepExits99 runs the demo's terminal UI in tmux with a
// step failing at run time: the UI ends with the run, the JSON summary
// lands in its file, and the exit code is 99.
func TestDemoUIFailedStepExits99(t *testing.T) {
	bin := tuiBinary(t)
	out := filepath.Join(t.TempDir(), "summary.json")
	x := tmuxtest.New(t, 120, 40, shellQuit(bin+" demo --replicas 2 --rate 100 --startup-delay 50ms --drain 200ms --latency 1ms"+
		" --duration 2s --step "+failingStep+" --json > "+out))
	s := x.WaitFor(60*time.Second, "EXIT=")
	if !strings.Contains(s, "EXIT=99") || !strings.Contains(s, `step "`+failingStep+`" failed`) {
		t.Fatalf("scalelab demo did not exit 99 naming the step:\n%s", s)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Steps []struct {
			Error string `json:"error"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Steps) != 1 || !strings.Contains(rep.Steps[0].Error, "replica-999") {
		t.Fatalf("summary %s (%v): want the failed step", b, err)
	}
}
