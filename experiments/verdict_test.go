package experiments

import (
	"context"
	"testing"
	"time"

	"github.com/scalelab/scalelab/fleet"
)

// TestRunnerTellsAFailedStepFromACutOne runs steps on a real fleet
// without load: a kill of a replica that is not there failed; a scale
// superseded by a later one, a scale still waiting when the run ended and
// a step never reached were cut, and did not fail.
func TestRunnerTellsAFailedStepFromACutOne(t *testing.T) {
	ctx, f := startFleet(t, fleet.Replicas(1), fleet.ReplicaDefaults(fleet.StartupDelay(1500*time.Millisecond), fleet.Drain(100*time.Millisecond)),
		fleet.BalancerOptions(fleet.CheckInterval(50*time.Millisecond)))
	steps := mustParse(t, "0s:kill=replica-999", "100ms:scale=2", "110ms:scale=1", "300ms:upgrade=v2", "1h:rollback")
	// A replica takes 1.5 s to start: the upgrade is still rolling out when
	// the run ends after 1 s.
	r := NewRunner(f, steps)
	runCtx, stop := context.WithTimeout(ctx, time.Second)
	defer stop()
	r.Run(runCtx, time.Now())
	res := r.Results(time.Now())
	for i, want := range []struct {
		failed, cut, completed bool
		either                 bool // completed, or cut by the end (as the machine's load has it)
	}{
		{failed: true}, // kill=replica-999
		{cut: true},    // scale=2, superseded by scale=1
		{either: true}, // scale=1
		{cut: true},    // upgrade=v2: still rolling out at the end
		{cut: true},    // rollback: not reached
	} {
		got := res[i]
		if want.either {
			want.completed, want.cut = got.Completed, !got.Completed
		}
		if got.StepFailed() != want.failed || got.Cut != want.cut || got.Completed != want.completed {
			t.Errorf("%s: completed %v, cut %v, failed %v (%s); want completed %v, cut %v, failed %v",
				got.Spec, got.Completed, got.Cut, got.StepFailed(), got.Error, want.completed, want.cut, want.failed)
		}
	}
}
