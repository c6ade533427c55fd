//go:build k8se2e

package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	scluster "github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/k8s"
	"k8s.io/apimachinery/pkg/types"
)

// fastStart is the demo service for proofs that need no drain timing:
// ready at once, short drain.
func fastStart() []fleet.ReplicaOption {
	return []fleet.ReplicaOption{fleet.Drain(200 * time.Millisecond)}
}

// footprint is what the safety proofs check did not change: the
// Deployment's generation, replicas and image, and its pods.
type footprint struct {
	generation int64
	replicas   int32
	image      string
	pods       []types.UID
}

// look records the app as it is now.
func (a *app) look(t *testing.T) footprint {
	t.Helper()
	dep := a.get(t)
	live, term := a.pods(t)
	var s footprint
	s.generation, s.image = dep.Generation, dep.Spec.Template.Spec.Containers[0].Image
	if dep.Spec.Replicas != nil {
		s.replicas = *dep.Spec.Replicas
	}
	for _, p := range append(live, term...) {
		s.pods = append(s.pods, p.UID)
	}
	slices.Sort(s.pods)
	return s
}

// unchanged fails the test when the app differs from before.
func (a *app) unchanged(t *testing.T, before footprint, after string) {
	t.Helper()
	now := a.look(t)
	if now.generation != before.generation || now.replicas != before.replicas || now.image != before.image {
		t.Errorf("after %s the Deployment changed: generation %d → %d, replicas %d → %d, image %s → %s",
			after, before.generation, now.generation, before.replicas, now.replicas, before.image, now.image)
	}
	if !slices.Equal(now.pods, before.pods) {
		t.Errorf("after %s the pods changed: %v → %v", after, before.pods, now.pods)
	}
}

// refused checks that err is a refusal mentioning every one of words.
func refused(t *testing.T, what string, err error, words ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want a refusal", what)
		return
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: %q does not mention %q", what, err, w)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("%s: the error is not one line: %q", what, err)
	}
}

// TestSafetyOptionsRefuse proves the driver's safety options on a real
// Deployment: read-only refuses every action, dry run sends them with
// server-side dry run (the API server checks them, nothing changes) and
// says what would happen, and the blast-radius cap refuses deleting more
// pods than --max-kill and scaling below --min-replicas. Nothing changes
// in the cluster throughout.
func TestSafetyOptionsRefuse(t *testing.T) {
	t.Parallel()
	a := newApp(t, 4, "v1", fastStart()...)
	before := a.look(t)
	ctx, cancel := context.WithTimeout(runCtx, time.Minute)
	defer cancel()
	kill := func(n int) scluster.Fault { return scluster.Fault{Kind: scluster.FaultKill, Count: n} }

	ro, _ := a.startDriver(t, a.cp.client, k8s.Options{ReadOnly: true})
	for what, do := range map[string]func() error{
		"scale":    func() error { return ro.Scale(ctx, 5) },
		"upgrade":  func() error { return ro.Upgrade(ctx, "v2") },
		"rollback": func() error { return ro.Rollback(ctx) },
		"kill":     func() error { return ro.Inject(ctx, kill(1)) },
		"pause":    func() error { return ro.PauseRollout(ctx) },
		"resume":   func() error { return ro.ResumeRollout(ctx) },
		"restart":  func() error { return ro.Restart(ctx) },
	} {
		refused(t, "read-only "+what, do(), "--read-only")
	}
	a.unchanged(t, before, "read-only actions")

	dry, events := a.startDriver(t, a.cp.client, k8s.Options{DryRun: true})
	for what, do := range map[string]func() error{
		"scale to 2":    func() error { return dry.Scale(ctx, 2) },
		"upgrade to v2": func() error { return dry.Upgrade(ctx, "v2") },
		"kill 1 pod":    func() error { return dry.Inject(ctx, kill(1)) },
		"restart":       func() error { return dry.Restart(ctx) },
	} {
		if err := do(); err != nil {
			t.Errorf("dry run %s: %v", what, err)
		}
	}
	// The dry run goes to the API server, which authorizes it as a real
	// write: with a view-only token it is forbidden.
	viewDry, _ := a.startDriver(t, a.grantView(t), k8s.Options{DryRun: true})
	if err := viewDry.Scale(ctx, 2); err == nil || !forbiddenScale.MatchString(err.Error()) {
		t.Errorf("dry-run scale with a view-only token: %v, want %q", err, forbiddenScale)
	}
	a.unchanged(t, before, "dry-run actions")
	for _, want := range []string{"would scale", "would upgrade"} {
		events.waitFor(t, "saying the dry run "+want, func(e scluster.Event) bool {
			return strings.Contains(strings.ToLower(e.Message), "dry run") && strings.Contains(e.Message, want)
		})
	}

	capped, _ := a.startDriver(t, a.cp.client, k8s.Options{MinReplicas: 3})
	refused(t, "kill 2 with the default cap", capped.Inject(ctx, kill(2)), "--max-kill")
	refused(t, "kill 75%", capped.Inject(ctx, scluster.Fault{Kind: scluster.FaultKill, Percent: 75}), "--max-kill")
	refused(t, "scale below --min-replicas", capped.Scale(ctx, 2), "--min-replicas")
	pct, _ := a.startDriver(t, a.cp.client, k8s.Options{MaxKillPercent: 50})
	refused(t, "kill 3 of 4 with a 50% cap", pct.Inject(ctx, kill(3)), "--max-kill", "50%")
	refused(t, "scale to 0 with the default minimum", pct.Scale(ctx, 0), "--min-replicas")
	a.unchanged(t, before, "capped actions")
}
