package fleet

import (
	"context"
	"errors"
	"fmt"

	"github.com/scalelab/scalelab/cluster"
)

var (
	_ cluster.RolloutPauser = (*Fleet)(nil)
	_ cluster.Canary        = (*Fleet)(nil)
)

// canaryHold is a canary the fleet is bringing up or holds: a rollout
// from one version to another that stops once replicas replicas run the
// new one.
type canaryHold struct {
	version, from string
	replicas      int
}

// PauseRollout pauses the rollout, as `kubectl rollout pause` pauses a
// Deployment: from now on the fleet replaces no more replicas of the old
// version (it still replaces a replica that died, with its own version,
// and a replica already starting still becomes ready), so old and new
// keep serving together until ResumeRollout. An upgrade started while
// paused waits for the resume; a scale while a rollout is paused takes
// effect once resumed. It returns at once; pausing a paused fleet does
// nothing.
func (f *Fleet) PauseRollout(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("pause the rollout"); err != nil {
		return err
	}
	if !f.paused {
		f.setPaused(true, "")
	}
	return nil
}

// ResumeRollout resumes a paused rollout (a held canary's too: the
// rollout completes) and returns at once, not when the rollout completed.
// Resuming a fleet that is not paused does nothing.
func (f *Fleet) ResumeRollout(context.Context) error {
	f.mu.Lock()
	if err := f.usable("resume the rollout"); err != nil {
		f.mu.Unlock()
		return err
	}
	if f.paused {
		f.canary = nil
		f.setPaused(false, "")
	}
	f.mu.Unlock()
	f.poke()
	return nil
}

// setPaused pauses or resumes and says so in the Kubernetes driver's
// words, with why after a colon when given; f.mu must be held.
func (f *Fleet) setPaused(paused bool, why string) {
	f.paused = paused
	verb := "paused"
	if !paused {
		verb = "resumed"
	}
	msg := fmt.Sprintf("rollout of %s %s", rolloutName, verb)
	if why != "" {
		msg += ": " + why
	}
	f.emit(cluster.Event{Kind: cluster.Note, Version: f.version, Message: msg})
	f.notify()
}

// StartCanary starts a rolling upgrade to version and holds it (paused)
// once exactly replicas replicas of version are ready and the others,
// still on the current version, finished draining the ones replaced: old
// and new then serve together behind the balancer, in proportion to their
// replicas. It returns once held. replicas is 1 up to one less than the
// desired replicas; the fleet must run one version, unpaused.
func (f *Fleet) StartCanary(ctx context.Context, version string, replicas int) error {
	what := fmt.Sprintf("canary %s on %d replicas", version, replicas)
	f.mu.Lock()
	if err := f.canStartCanary(what, version, replicas); err != nil {
		f.mu.Unlock()
		return err
	}
	f.startRollout(cluster.RolloutStarted, version, fmt.Sprintf("canary %s → %s: %d of %d replicas (max surge %d, max unavailable %d)",
		f.version, version, replicas, f.desired, f.cfg.maxSurge, f.cfg.maxUnavailable))
	f.canary = &canaryHold{version: version, from: f.previous, replicas: replicas}
	gen := f.versionGen
	f.mu.Unlock()
	f.poke()
	return f.wait(ctx, what, func() (bool, error) {
		if f.versionGen != gen {
			return false, cluster.ErrSuperseded
		}
		if f.canary == nil {
			return false, fmt.Errorf("resumed before it was held: %w", cluster.ErrSuperseded)
		}
		return f.paused, nil
	})
}

// canStartCanary returns why a canary cannot start now, or nil; f.mu
// must be held.
func (f *Fleet) canStartCanary(what, version string, replicas int) error {
	if err := f.usable(what); err != nil {
		return err
	}
	if err := cluster.CheckVersion(version); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	switch {
	case version == f.version:
		return fmt.Errorf("%s: it is the current version: nothing would roll out", what)
	case f.canary != nil:
		return fmt.Errorf("%s: a canary of %s is already held: promote or roll it back first", what, f.canary.version)
	case f.paused:
		return fmt.Errorf("%s: the rollout is paused: resume it first", what)
	case replicas < 1 || replicas >= f.desired:
		return fmt.Errorf("%s: want 1..%d replicas (fewer than the fleet's %d: the rest stay on %s)", what, f.desired-1, f.desired, f.version)
	}
	for _, m := range f.members {
		if m.phase.Live() && m.version != f.version {
			return fmt.Errorf("%s: a rollout to %s is in progress: wait for it, or roll it back", what, f.version)
		}
	}
	return nil
}

// PromoteCanary completes the canary's rollout (resumes it) and returns
// when every replica runs the canary's version and is ready.
func (f *Fleet) PromoteCanary(ctx context.Context) error {
	f.mu.Lock()
	if err := f.usable("promote the canary"); err != nil {
		f.mu.Unlock()
		return err
	}
	c := f.canary
	if c == nil {
		f.mu.Unlock()
		return errors.New("promote the canary: no canary is held")
	}
	f.canary = nil
	if f.paused {
		f.setPaused(false, fmt.Sprintf("canary %s promoted", c.version))
	} else {
		f.emit(cluster.Event{Kind: cluster.Note, Version: c.version,
			Message: fmt.Sprintf("canary %s promoted before it was held: the rollout goes on", c.version)})
		f.notify()
	}
	gen := f.versionGen
	f.mu.Unlock()
	f.poke()
	return f.waitRollout(ctx, "promote canary "+c.version, gen)
}

// AbortCanary rolls the canary back: every replica returns to the version
// the fleet ran before it, and it returns when they all run it and are
// ready. It is Rollback, refused when no canary is held.
func (f *Fleet) AbortCanary(ctx context.Context) error {
	f.mu.Lock()
	held := f.canary != nil
	f.mu.Unlock()
	if !held {
		return errors.New("abort the canary: no canary is held")
	}
	return f.Rollback(ctx)
}
