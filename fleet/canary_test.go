package fleet

import (
	"strings"
	"testing"

	"github.com/scalelab/scalelab/cluster"
)

// TestFleetCanaryRefusals checks the canaries and promotions that cannot
// work are refused with the reason, and a paused rollout's rollback too.
func TestFleetCanaryRefusals(t *testing.T) {
	f, _ := startFleet(t, Replicas(3))
	ctx := actx(t)
	for _, c := range []struct {
		version  string
		replicas int
		want     string
	}{
		{"v1", 1, "current version"},
		{"v2", 0, "want 1..2 replicas"},
		{"v2", 3, "want 1..2 replicas"},
		{"", 1, "empty"},
	} {
		if err := f.StartCanary(ctx, c.version, c.replicas); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("canary %q on %d: %v, want %q", c.version, c.replicas, err, c.want)
		}
	}
	if err := f.PromoteCanary(ctx); err == nil || !strings.Contains(err.Error(), "no canary") {
		t.Errorf("promote without a canary: %v", err)
	}
	if err := f.AbortCanary(ctx); err == nil || !strings.Contains(err.Error(), "no canary") {
		t.Errorf("abort without a canary: %v", err)
	}
	if err := f.StartCanary(ctx, "v2", 1); err != nil {
		t.Fatal(err)
	}
	if err := f.StartCanary(ctx, "v3", 1); err == nil || !strings.Contains(err.Error(), "already held") {
		t.Errorf("a second canary: %v", err)
	}
	if err := f.AbortCanary(ctx); err != nil {
		t.Fatal(err)
	}
	if got := versions(t, f.State()); got["v1"] != 3 || len(got) != 1 {
		t.Fatalf("after the abort: %v", got)
	}
	if err := f.PauseRollout(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.Rollback(ctx); err == nil || !strings.Contains(err.Error(), "paused") {
		t.Errorf("rollback while paused: %v", err)
	}
	if err := f.StartCanary(ctx, "v2", 1); err == nil || !strings.Contains(err.Error(), "paused") {
		t.Errorf("canary while paused: %v", err)
	}
}

// TestFleetPausedReplacesTheDeadByTheirVersion checks that a held canary
// keeps its split when a replica dies: the replacement runs the dead one's
// version.
func TestFleetPausedReplacesTheDeadByTheirVersion(t *testing.T) {
	f, _ := startFleet(t, Replicas(3))
	ctx := actx(t)
	if err := f.StartCanary(ctx, "v2", 1); err != nil {
		t.Fatal(err)
	}
	var canary string
	for _, r := range f.State().Replicas {
		if r.Phase.Live() && r.Version == "v2" {
			canary = r.Name
		}
	}
	if err := f.Inject(ctx, cluster.Fault{Kind: cluster.FaultKill, Replica: canary}); err != nil {
		t.Fatal(err)
	}
	s := f.State()
	if got := versions(t, s); got["v1"] != 2 || got["v2"] != 1 || !s.Rollout.Paused {
		t.Fatalf("after killing the canary's %s: %v, paused %v; want v1:2 v2:1 still held", canary, got, s.Rollout.Paused)
	}
	if err := f.PromoteCanary(ctx); err != nil {
		t.Fatal(err)
	}
	if got := versions(t, f.State()); got["v2"] != 3 || len(got) != 1 {
		t.Fatalf("after the promotion: %v", got)
	}
}
