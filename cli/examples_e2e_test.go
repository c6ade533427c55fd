package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// exampleExtra is what the examples' tests read of the JSON summary
// beyond e2eSummary.
type exampleExtra struct {
	Failed uint64 `json:"failed"`
	Model  string `json:"model"`
	Canary *struct {
		Decision string `json:"decision"`
		Acted    bool   `json:"acted"`
		Passed   bool   `json:"passed"`
	} `json:"canary"`
	searchSummary
}

// TestExamplesRunForReal runs the examples of experiments/examples that
// the plan tests do not (kill-and-recover, canary-bad-version and
// keepalive are TestPlanE2E's and TestKeepAliveExample's), as they are,
// on the local fleet, in parallel (15 s to 30 s each), and checks what
// each file's comment says it shows.
func TestExamplesRunForReal(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	run := func(t *testing.T, name string) (e2eSummary, exampleExtra, string, int) {
		t.Helper()
		sum, out, errOut, code := runPlanBinWithin(t, 90*time.Second, bin, "demo", "--headless", "--no-record", "--json",
			"--plan", filepath.Join("..", "experiments", "examples", name+".yaml"))
		var extra exampleExtra
		if err := json.Unmarshal([]byte(out), &extra); err != nil {
			t.Fatalf("summary: %v\n%s", err, out)
		}
		return sum, extra, errOut, code
	}
	stepsCompleted := func(t *testing.T, sum e2eSummary, names ...string) {
		t.Helper()
		if len(sum.Steps) < len(names) {
			t.Fatalf("steps %+v, want %v completed", sum.Steps, names)
		}
		for i, n := range names {
			if st := sum.Steps[i]; st.Name != n || !st.Completed {
				t.Errorf("step %d %+v, want %q completed", i+1, st, n)
			}
		}
	}

	// The upgrade loses nothing; the kill loses the requests in flight on
	// the killed replica and those sent to it before the balancer knew
	// (about 40 of 30,000): every threshold holds, the shed step's
	// condition never does, and no rollback runs (deviated).
	t.Run("zero-downtime-upgrade", func(t *testing.T) {
		t.Parallel()
		sum, extra, errOut, code := run(t, "zero-downtime-upgrade")
		if code != 0 || sum.Verdict != "pass" {
			t.Fatalf("exit %d, verdict %q, thresholds %+v\n%s", code, sum.Verdict, sum.Thresholds, errOut)
		}
		stepsCompleted(t, sum, "upgrade", "kill")
		if len(sum.Steps) != 3 || sum.Steps[2].Name != "shed" || sum.Steps[2].Completed ||
			!strings.Contains(sum.Steps[2].Error, "never held") {
			t.Errorf("steps %+v, want the shed step not triggered", sum.Steps)
		}
		if len(sum.Thresholds) != 6 || len(sum.Rollbacks) != 0 {
			t.Errorf("%d thresholds, rollbacks %+v; want 6, none", len(sum.Thresholds), sum.Rollbacks)
		}
		// The kill's damage: some, and at most 0.2% of the run (the
		// run's availability threshold).
		if extra.Failed == 0 || float64(extra.Failed) > sum.Requests*0.002 {
			t.Errorf("%d of %.0f requests failed; want the kill's few", extra.Failed, sum.Requests)
		}
	})

	// 16 connections through a scale-up and a scale-down and a note: a
	// pass.
	t.Run("closed-loop", func(t *testing.T) {
		t.Parallel()
		sum, extra, errOut, code := run(t, "closed-loop")
		if code != 0 || sum.Verdict != "pass" {
			t.Fatalf("exit %d, verdict %q, thresholds %+v\n%s", code, sum.Verdict, sum.Thresholds, errOut)
		}
		stepsCompleted(t, sum, "up", "down")
		if len(sum.Steps) != 3 || !sum.Steps[2].Completed || extra.Model != "closed loop, 16 connections" || extra.Failed != 0 {
			t.Errorf("steps %+v, model %q, %d failed", sum.Steps, extra.Model, extra.Failed)
		}
	})

	// The bad build v3 fails its first interval: rolled back, every
	// replica back on v1, the run fails (exit 99), its raw availability
	// threshold (each attempt) holding.
	t.Run("canary-analysis", func(t *testing.T) {
		t.Parallel()
		sum, extra, errOut, code := run(t, "canary-analysis")
		if code != 99 || sum.Verdict != "fail" {
			t.Fatalf("exit %d, verdict %q, want 99 and fail\n%s", code, sum.Verdict, errOut)
		}
		if c := extra.Canary; c == nil || c.Decision != "rollback" || !c.Acted || c.Passed {
			t.Fatalf("canary %+v, want rolled back\n%s", extra.Canary, errOut)
		}
		if !strings.Contains(errOut, "rollout v1 done") || !strings.Contains(errOut, "canary v3: rolled back") {
			t.Errorf("no rollback to v1 on stderr:\n%s", errOut)
		}
		if len(sum.Thresholds) != 1 || !sum.Thresholds[0].OK {
			t.Errorf("thresholds %+v, want the raw availability held", sum.Thresholds)
		}
	})

	// The fleet's knee: 100 req/s holds (2 replicas, 2 ms of CPU a
	// request), and the search stops at a rate that breaks p99 or
	// availability, or at its max, or (a loaded machine's ticks running
	// late) at the end of its window; exit 0 whatever it found.
	t.Run("capacity-search", func(t *testing.T) {
		t.Parallel()
		_, extra, errOut, code := run(t, "capacity-search")
		if code != 0 {
			t.Fatalf("exit %d, want 0\n%s", code, errOut)
		}
		s := extra.Search
		if s == nil || len(s.Steps) < 2 || s.Steps[0].RateRPS != 100 || !s.Steps[0].Held {
			t.Fatalf("search %+v, want 100 req/s held and more steps\n%s", s, errOut)
		}
		if s.HighestHeldRPS == nil || *s.HighestHeldRPS < 100 || s.StoppedBy != "threshold" && s.StoppedBy != "max" && s.StoppedBy != "duration" {
			t.Errorf("highest held %v, stopped by %q; want 100 req/s or more, by a threshold, the max or the window", s.HighestHeldRPS, s.StoppedBy)
		}
		for i, st := range s.Steps[1:] {
			if st.RateRPS <= s.Steps[i].RateRPS {
				t.Errorf("step %d at %g req/s after %g", i+2, st.RateRPS, s.Steps[i].RateRPS)
			}
		}
	})
}
