package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/session"
)

// searchPlan climbs 50, 100, 200 req/s, 2 s each, on the demo's fleet;
// every step holds (p(99) under 5 s), so the search stops at its max.
const searchPlan = `name: climb
target: {fleet: {replicas: 2, version: v1, startup_delay: 200ms}}
search:
  from: 50
  step: 100%
  hold: 2s
  max: 200
  until:
    latency: ["p(99)<5000"]
    availability: ["rate>0.9"]
`

// TestReplayJudgesTheSearch: a capacity search run live (the real binary)
// is recorded with its search (1.9); its replay judges the steps again
// from the frames and finds what the live run found: no warning, the
// summary byte for byte.
func TestReplayJudgesTheSearch(t *testing.T) {
	t.Parallel()
	bin := tuiBinary(t)
	file := filepath.Join(t.TempDir(), "search.scalelab")
	live, errOut, code := runBin(t, bin, "demo", "--headless", "--json", "--plan", writePlan(t, searchPlan), "--record", file)
	if code != 0 {
		t.Fatalf("live: exit %d\n%s", code, errOut)
	}
	var sum searchSummary
	if err := json.Unmarshal([]byte(live), &sum); err != nil || sum.Search == nil || len(sum.Search.Steps) != 3 || sum.Search.StoppedBy != "max" {
		t.Fatalf("live search: %v\n%s", err, live)
	}
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	if s := rec.Header.Search; s == nil || s.FromRPS != 50 || s.Step != 100 || !s.StepPercent || s.HoldS != 2 || s.MaxRPS != 200 ||
		len(s.Until) != 2 || !s.TargetInProcess {
		t.Fatalf("recorded search %+v", rec.Header.Search)
	}
	replaysAsLive(t, file, live)
}

// replaysAsLive replays the recording file headless and checks that it
// printed the live run's JSON summary byte for byte, exit 0, and nothing
// on stderr: no warning that the verdict, the thresholds, the canary or
// the search judged again from the frames differ from the recorded ones.
func replaysAsLive(t *testing.T, file, live string) {
	t.Helper()
	code, replayed, replayErr := scalelab(t.Context(), "replay", file, "--headless", "--json")
	if code != exitOK || replayErr != "" {
		t.Fatalf("replay: exit %d, stderr %q", code, replayErr)
	}
	if replayed != live {
		t.Fatalf("replayed summary differs:\nlive:     %s\nreplayed: %s", live, replayed)
	}
}

// TestReplayJudgesAKilledSearch SIGKILLs a search in its third step: the
// summary computed from the frames has the search judged again, its
// first two steps held at 50 and 100 req/s, stopped by the stop (the
// step in progress is not judged).
func TestReplayJudgesAKilledSearch(t *testing.T) {
	t.Parallel()
	bin := tuiBinary(t)
	file := filepath.Join(t.TempDir(), "killed.scalelab")
	p := start(t, bin, "demo", "--headless", "--plan", writePlan(t, searchPlan), "--record", file)
	p.waitLine(t, "recording to "+file, 30*time.Second)
	p.waitLine(t, "search  100 req/s", 20*time.Second)      // the second step judged
	out := killAndReplay(t, p, file, 1500*time.Millisecond) // its frames flushed, inside the third step
	var sum searchSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("stdout: %v\n%s", err, out)
	}
	s := sum.Search
	if s == nil || len(s.Steps) != 2 || s.StoppedBy != session.StoppedByStop || s.HighestHeldRPS == nil || *s.HighestHeldRPS != 100 {
		t.Fatalf("computed summary's search: %s", out)
	}
	for i, want := range []float64{50, 100} {
		st := s.Steps[i]
		if st.RateRPS != want || !st.Held || st.AchievedRPS < want*0.8 || st.P99Ms == nil || len(st.Thresholds) != 2 {
			t.Errorf("step %d: %+v, want %g req/s held", i+1, st, want)
		}
	}
}
