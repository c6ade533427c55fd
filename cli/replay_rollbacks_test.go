package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/session"
)

// rollbackPlan's rollback (always) scales the one replica to 3 after
// its 2 s of load.
const rollbackPlan = `name: rollback
target: {fleet: {replicas: 1, version: v1, startup_delay: 100ms}}
load: {rate: 50, duration: 2s}
thresholds:
  availability: ["rate>0.9"]
rollbacks: {strategy: always, actions: ["scale=3"]}
`

// TestRecordingKeepsTheRollbacks: a plan's rollback action is recorded
// (1.9) as it started and ended, with its result, and the replay's
// summary has it as the live one did.
func TestRecordingKeepsTheRollbacks(t *testing.T) {
	t.Parallel()
	bin := tuiBinary(t)
	file := filepath.Join(t.TempDir(), "rollback.scalelab")
	live, errOut, code := runBin(t, bin, "demo", "--headless", "--json", "--plan", writePlan(t, rollbackPlan), "--record", file)
	if code != 0 {
		t.Fatalf("live: exit %d\n%s", code, errOut)
	}
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	var kinds []string
	for _, e := range rec.Events {
		if e.Source != recordings.FromRollback {
			continue
		}
		var r session.RollbackResult
		if err := json.Unmarshal(e.Data, &r); err != nil || r.Action != "scale=3" || e.Label != "rollback scale=3" {
			t.Errorf("rollback event %+v: %v", e, err)
		}
		if e.Kind == "completed" && (!r.OK || r.DurationS <= 0) {
			t.Errorf("completed rollback %+v", r)
		}
		kinds = append(kinds, e.Kind)
	}
	if len(kinds) != 2 || kinds[0] != "started" || kinds[1] != "completed" {
		t.Fatalf("rollback events %v, want started and completed", kinds)
	}
	replaysAsLive(t, file, live)
}

// TestReplayOfASessionKilledInItsRollback SIGKILLs a plan run while its
// rollback runs (after the load: an upgrade whose old replica drains for
// 10 s): the summary computed from the recording names the rollback, not
// ended.
func TestReplayOfASessionKilledInItsRollback(t *testing.T) {
	t.Parallel()
	bin := tuiBinary(t)
	file := filepath.Join(t.TempDir(), "killed.scalelab")
	plan := writePlan(t, `name: rollback
target: {fleet: {replicas: 1, version: v1, startup_delay: 100ms, drain: 10s}}
load: {rate: 50, duration: 2s}
thresholds:
  availability: ["rate>0.9"]
rollbacks: {strategy: always, actions: ["upgrade=v2"]}
`)
	p := start(t, bin, "demo", "--headless", "--plan", plan, "--record", file)
	p.waitLine(t, "rollback upgrade=v2 started", 30*time.Second)
	out := killAndReplay(t, p, file, 1500*time.Millisecond) // the recording flushed, v1 still draining
	var sum struct {
		Verdict   string `json:"verdict"`
		Rollbacks []struct {
			Action string `json:"action"`
			OK     bool   `json:"ok"`
			Error  string `json:"error"`
		} `json:"rollbacks"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("stdout: %v\n%s", err, out)
	}
	if sum.Verdict != "pass" || len(sum.Rollbacks) != 1 || sum.Rollbacks[0].Action != "upgrade=v2" || sum.Rollbacks[0].OK ||
		sum.Rollbacks[0].Error != session.NotEndedRollback {
		t.Fatalf("computed summary: %s", out)
	}
}
