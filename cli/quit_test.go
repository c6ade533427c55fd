package cli

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine/enginetest"
	"github.com/scalelab/scalelab/internal/tmuxtest"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/session"
)

// stoppedSummary is what the tests of a stopped run read of its summary.
type stoppedSummary struct {
	Requests  uint64            `json:"requests"`
	DurationS float64           `json:"duration_s"`
	Status    map[string]uint64 `json:"status"`
	Errors    map[string]uint64 `json:"errors"`
	Failed    uint64            `json:"failed"`
	Dropped   uint64            `json:"dropped"`
}

// checkStopped checks the summary of a run at rate stopped before its
// window ended: the requests still in flight are counted as abandoned,
// requests + dropped is what the schedule asked over duration_s, and
// duration_s is the sending window, at most maxWindow.
func checkStopped(t *testing.T, sum stoppedSummary, rate float64, answered uint64, maxWindow time.Duration) {
	t.Helper()
	abandoned := sum.Errors["abandoned"]
	if abandoned == 0 || sum.Status["200"] != answered || sum.Requests != answered+abandoned || sum.Failed != abandoned {
		t.Errorf("requests %d, status %v, errors %v, failed %d; the server answered %d: want the rest abandoned",
			sum.Requests, sum.Status, sum.Errors, sum.Failed, answered)
	}
	if sum.DurationS <= 0 || sum.DurationS > maxWindow.Seconds() {
		t.Errorf("duration_s %g, want the sending window (at most %s), not the wait for the answers", sum.DurationS, maxWindow)
	}
	if want := uint64(math.Floor(sum.DurationS*rate + 0.5)); sum.Requests+sum.Dropped+1 < want || sum.Requests+sum.Dropped > want+1 {
		t.Errorf("requests %d + dropped %d, want the %d the schedule asked in %gs", sum.Requests, sum.Dropped, want, sum.DurationS)
	}
}

// TestLoadStoppedCountsInFlight: a headless load stopped (Ctrl-C, here
// its context) while requests wait for a target that never answers them
// counts them as abandoned, within the engine's drain.
func TestLoadStoppedCountsInFlight(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.HangEvery(5))
	url := srv.URL
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	code, stdout, stderr := runCLI(t, ctx, "load", url, "--rate", "50", "--duration", "10s", "--timeout", "30s", "--json")
	took := time.Since(start)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if took > 6*time.Second {
		t.Errorf("load took %s after a stop at 1.5 s: want the drain to bound the wait", took)
	}
	var sum stoppedSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("stdout: %v\n%s", err, stdout)
	}
	checkStopped(t, sum, 50, srv.Total(), 1700*time.Millisecond)
}

// TestRunUIQuitCountsInFlight quits `scalelab run --rate 50 --json` in a
// real terminal while every 5th request waits for an answer that never
// comes: the summary counts them (abandoned) instead of leaving them out,
// and duration_s ends at the quit.
func TestRunUIQuitCountsInFlight(t *testing.T) {
	bin := tuiBinary(t)
	srv := enginetest.NewServer(t, enginetest.HangEvery(5))
	url := srv.URL
	out := filepath.Join(t.TempDir(), "summary.json")
	x := tmuxtest.New(t, 120, 40, shellQuit(bin+" run "+url+" --rate 50 --timeout 30s --json > "+out))
	x.WaitFor(30*time.Second, "● RUNNING")
	x.WaitMatch(30*time.Second, achievedRE)
	time.Sleep(2 * time.Second)
	quit := time.Now()
	x.Keys("q")
	s := x.WaitFor(15*time.Second, "EXIT=")
	if took := time.Since(quit); took > quitGrace+time.Second {
		t.Errorf("quitting took %s, want at most the %s grace", took, quitGrace)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	var sum stoppedSummary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatalf("stdout is not one JSON summary: %v\n%s", err, b)
	}
	checkStopped(t, sum, 50, srv.Total(), time.Minute)
	if sum.DurationS < 2 {
		t.Errorf("duration_s %g: the run sent for more than 2 s", sum.DurationS)
	}
	t.Logf("summary %+v", sum)
}

// paneChild is the pid of the process the pane's shell runs (scalelab).
func paneChild(t *testing.T, x *tmuxtest.Term) int {
	t.Helper()
	sh := strings.TrimSpace(x.Run("display", "-p", "-t", "e2e", "#{pane_pid}"))
	b, err := os.ReadFile(filepath.Join("/proc", sh, "task", sh, "children"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.Fields(string(b) + " none")[0])
	if err != nil {
		t.Fatalf("the pane's shell %s runs no child: %q", sh, b)
	}
	return pid
}

// checkTerminalBack checks that the pane is off the alternate screen with
// the cursor shown, in cooked mode (the shell's stty -a on screen).
func checkTerminalBack(t *testing.T, x *tmuxtest.Term, s string) {
	t.Helper()
	if st := strings.TrimSpace(x.Run("display", "-p", "-t", "e2e", "#{alternate_on} #{cursor_flag}")); st != "0 1" {
		t.Errorf("alternate screen, cursor shown: %q, want \"0 1\"", st)
	}
	fields := strings.Fields(s)
	for _, mode := range []string{"icanon", "echo", "isig"} {
		if !contains(fields, mode) || contains(fields, "-"+mode) {
			t.Errorf("terminal left without %s:\n%s", mode, s)
		}
	}
}

// waitClosed waits for the recording at file to have its closing summary
// (its process may have lost its terminal: only the file tells).
func waitClosed(t *testing.T, file string, timeout time.Duration) *recordings.Recording {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if rec, err := recordings.Open(file); err == nil {
			if rec.Closed() {
				t.Cleanup(func() { _ = rec.Close() })
				return rec
			}
			_ = rec.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no closing summary %s after the hang-up", file, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestUIHangUp hangs up `scalelab run --record` while its UI runs: the
// terminal closed (tmux kill-session) or SIGHUP sent to the process alone.
// Either way the run stops as on SIGTERM: the summary printed, the
// recording complete (its closing summary, the one printed, and its frames
// up to the hang-up), and, where the terminal lives on, exit 0 and the
// terminal given back.
func TestUIHangUp(t *testing.T) {
	bin := tuiBinary(t)
	url := loopbackServer(t)
	for _, tc := range []string{"kill-session", "SIGHUP"} {
		t.Run(tc, func(t *testing.T) {
			dir := t.TempDir()
			file, out := filepath.Join(dir, "hup.scalelab"), filepath.Join(dir, "summary.json")
			x := tmuxtest.New(t, 120, 40, "sh -c '"+bin+" run "+url+" --rate 100 --duration 60s --json --record "+file+" > "+out+
				"; echo EXIT=$?; stty -a; sleep 300'")
			x.WaitFor(30*time.Second, "● RUNNING")
			x.WaitMatch(30*time.Second, achievedRE)
			time.Sleep(1500 * time.Millisecond)
			hup := time.Now()
			if tc == "kill-session" {
				x.Run("kill-session", "-t", "e2e")
			} else if err := syscall.Kill(paneChild(t, x), syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			rec := waitClosed(t, file, 15*time.Second)
			if end := rec.FrameEnd(rec.Len() - 1); end.Before(hup.Add(-2 * session.Interval)) {
				t.Errorf("the recording ends %s before the hang-up: its last second is missing", hup.Sub(end))
			}
			// The summary prints once the UI gave the terminal back, which
			// may come a moment after the recording closed.
			var printed []byte
			var err error
			for wait := time.Now().Add(5 * time.Second); time.Now().Before(wait); time.Sleep(50 * time.Millisecond) {
				if printed, err = os.ReadFile(out); err == nil && len(printed) > 0 {
					break
				}
			}
			if err != nil || strings.TrimSpace(string(printed)) != strings.TrimSpace(string(rec.Summary)) {
				t.Errorf("printed summary %q (%v), recorded %q", printed, err, rec.Summary)
			}
			if tc == "kill-session" {
				return
			}
			s := x.WaitFor(15*time.Second, "EXIT=", "speed")
			if !strings.Contains(s, "EXIT=0") || strings.Contains(s, "Throughput (requests/s)") {
				t.Errorf("after SIGHUP, want exit 0 and the UI gone:\n%s", s)
			}
			checkTerminalBack(t, x, s)
		})
	}
}

// TestUIQuitThenCtrlC quits the UI while requests wait for a target that
// never answers them (q in `run`, q while a demo's upgrade runs), then
// presses Ctrl-C during the wait: the second stop quits at once with
// exitInterrupted, the terminal is given back and the recording is closed
// to its last block, marked interrupted.
func TestUIQuitThenCtrlC(t *testing.T) {
	bin := tuiBinary(t)
	srv := enginetest.NewServer(t, enginetest.HangEvery(5))
	for _, tc := range []struct{ name, args, quit, wait string }{
		{"run ctrl-c twice", "run " + srv.URL + " --rate 50 --timeout 30s", "C-c", "achieved"},
		{"demo q during a step", "demo --replicas 2 --rate 100 --latency 1ms --startup-delay 3s --drain 3s --step 1s:upgrade=v2", "q",
			"upgrade v2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "quit.scalelab")
			// The shell waits through a Ctrl-C (its trap) to print the exit code.
			x := tmuxtest.New(t, 120, 40, "sh -c 'trap : INT; "+bin+" "+tc.args+" --record "+file+
				"; echo EXIT=$?; stty -a; sleep 300'")
			x.WaitFor(60*time.Second, "● RUNNING")
			x.WaitMatch(30*time.Second, achievedRE)
			if tc.wait != "achieved" {
				x.WaitFor(30*time.Second, tc.wait)
			}
			time.Sleep(time.Second)
			quit := time.Now()
			x.Keys(tc.quit)
			deadline := time.Now().Add(5 * time.Second)
			for strings.TrimSpace(x.Run("display", "-p", "-t", "e2e", "#{alternate_on}")) != "0" {
				if time.Now().After(deadline) {
					t.Fatalf("the UI did not leave the screen after %s:\n%s", tc.quit, x.Screen())
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(3 * session.Interval) // a few frames of the wait
			second := time.Now()
			x.Keys("C-c")
			s := x.WaitFor(5*time.Second, "EXIT=", "speed")
			if took := time.Since(second); took > 3*time.Second {
				t.Errorf("Ctrl-C after the quit took %s", took)
			}
			if !strings.Contains(s, "EXIT="+strconv.Itoa(exitInterrupted)) {
				t.Errorf("want exit %d after a second stop:\n%s", exitInterrupted, s)
			}
			checkTerminalBack(t, x, s)
			rec, err := recordings.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Close()
			if len(rec.Problems) != 0 || rec.Len() == 0 {
				t.Fatalf("recording: %d frames, problems %v", rec.Len(), rec.Problems)
			}
			checkInterrupted(t, rec, quit, strings.HasPrefix(tc.args, "demo")) // a demo may finish first: its fleet drains 3 s
		})
	}
}
