package fleet

import (
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// TestFleetRolloutSpeaksKubectl checks that the fleet's rollout events
// use kubectl's status viewer words, as the Kubernetes driver's do.
func TestFleetRolloutSpeaksKubectl(t *testing.T) {
	f, log := startFleet(t, Replicas(2))
	if err := f.Upgrade(actx(t), "v2"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); len(log.find(cluster.RolloutDone)) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // events arrive after the call returned
	}
	progress := log.find(cluster.RolloutProgress)
	if len(progress) == 0 {
		t.Fatal("no rollout progress events")
	}
	for _, p := range progress {
		if !strings.HasPrefix(p, "rollout v2: ") || !(strings.Contains(p, " new replicas have been updated...") ||
			strings.Contains(p, " old replicas are pending termination...") || strings.Contains(p, " updated replicas are available...")) {
			t.Errorf("progress %q, want kubectl's words", p)
		}
	}
	if !strings.Contains(strings.Join(progress, "; "), "rollout v2: 1 out of 2 new replicas have been updated...") {
		t.Errorf("progress %q, want the first new replica counted in kubectl's words", progress)
	}
	done := log.find(cluster.RolloutDone)
	if len(done) != 1 || done[0] != `rollout v2 done: deployment "fleet" successfully rolled out` {
		t.Errorf("done %q, want kubectl's words", done)
	}
	if msg := f.State().Rollout.Message; msg != `deployment "fleet" successfully rolled out` {
		t.Errorf("state's rollout message %q", msg)
	}
}
