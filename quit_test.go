package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine/enginetest"
	"github.com/scalelab/scalelab/internal/tmuxtest"
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
