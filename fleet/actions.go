package fleet

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// Scale sets the desired number of replicas and returns when exactly that
// many ready replicas of the current version serve and the removed ones
// finished draining.
func (f *Fleet) Scale(ctx context.Context, n int) error {
	f.mu.Lock()
	if err := f.usable("scale"); err != nil {
		f.mu.Unlock()
		return err
	}
	if n < 0 || n > f.cfg.maxReplicas {
		f.mu.Unlock()
		return fmt.Errorf("scale to %d: want 0..%d replicas", n, f.cfg.maxReplicas)
	}
	if n != f.desired {
		f.emit(cluster.Event{Kind: cluster.ScaleStarted, Message: fmt.Sprintf("scale %d → %d", f.desired, n)})
		f.desired = n
		f.scaleGen++
		f.scaling = true
		f.notify()
	}
	gen := f.scaleGen
	f.mu.Unlock()
	f.poke()
	return f.waitScale(ctx, fmt.Sprintf("scale to %d", n), gen)
}

// waitScale waits until the fleet converged, unless a later scale
// replaced scale generation gen.
func (f *Fleet) waitScale(ctx context.Context, what string, gen uint64) error {
	return f.wait(ctx, what, func() (bool, error) {
		if f.scaleGen != gen {
			return false, cluster.ErrSuperseded
		}
		return f.converged(), nil
	})
}

// Upgrade starts a rolling upgrade to version and returns when every
// replica runs it and is ready, and the old ones finished draining.
func (f *Fleet) Upgrade(ctx context.Context, version string) error {
	return f.rollTo(ctx, "upgrade to "+version, version, false)
}

// rollTo sets the desired version and waits for the rollout.
func (f *Fleet) rollTo(ctx context.Context, what, version string, bad bool) error {
	f.mu.Lock()
	if err := f.usable(what); err != nil {
		f.mu.Unlock()
		return err
	}
	if err := cluster.CheckVersion(version); err != nil {
		f.mu.Unlock()
		return fmt.Errorf("%s: %w", what, err)
	}

	if version != f.version {
		if bad {
			f.bad[version] = true
		}
		f.startRollout(cluster.RolloutStarted, version, fmt.Sprintf("rollout %s → %s (max surge %d, max unavailable %d)",
			f.version, version, f.cfg.maxSurge, f.cfg.maxUnavailable))
	}
	gen := f.versionGen
	f.mu.Unlock()
	f.poke()
	return f.waitRollout(ctx, what, gen)
}

// startRollout changes the desired version, the current one becoming the
// previous; f.mu must be held.
func (f *Fleet) startRollout(kind cluster.EventKind, version, msg string) {
	if c := f.canary; c != nil { // a new rollout ends the canary
		f.canary = nil
		if f.paused {
			f.setPaused(false, fmt.Sprintf("canary %s ended", c.version))
		}
	}
	f.emit(cluster.Event{Kind: kind, Version: version, Message: msg})
	f.previous, f.version = f.version, version
	f.versionGen++
	f.rolling = true
	f.progress = ""
	f.notify()
}

// waitRollout waits until the fleet converged, unless a later upgrade or
// rollback replaced version generation gen.
func (f *Fleet) waitRollout(ctx context.Context, what string, gen uint64) error {
	return f.wait(ctx, what, func() (bool, error) {
		if f.versionGen != gen {
			return false, cluster.ErrSuperseded
		}
		return f.converged(), nil
	})
}

// Rollback rolls back to the previous version, also in the middle of a
// rollout or a canary (it aborts the canary), and returns when every
// replica runs it and is ready. Like kubectl rollout undo, it refuses a
// rollout paused by PauseRollout.
func (f *Fleet) Rollback(ctx context.Context) error {
	f.mu.Lock()
	if err := f.usable("rollback"); err != nil {
		f.mu.Unlock()
		return err
	}
	if f.previous == "" {
		f.mu.Unlock()
		return fmt.Errorf("rollback: no previous version (the fleet has only run %s)", f.version)
	}
	if f.paused && f.canary == nil {
		f.mu.Unlock()
		return errors.New("rollback: the rollout is paused: resume it first (as kubectl rollout undo refuses a paused deployment)")
	}
	to := f.previous
	if c := f.canary; c != nil {
		to = c.from
	}
	f.startRollout(cluster.Rollback, to, fmt.Sprintf("rollback %s → %s", f.version, to))
	gen := f.versionGen
	f.mu.Unlock()
	f.poke()
	return f.waitRollout(ctx, "rollback to "+to, gen)
}

// Inject applies a fault; see cluster.Cluster for when it returns.
func (f *Fleet) Inject(ctx context.Context, ft cluster.Fault) error {
	if err := ft.Validate(); err != nil {
		return fmt.Errorf("inject: %w", err)
	}
	if ft.Kind == cluster.FaultBadVersion {
		f.mu.Lock()
		if ft.Version == f.version {
			f.mu.Unlock()
			return fmt.Errorf("inject bad version %s: it is the current version: nothing would roll out", ft.Version)
		}
		f.emit(cluster.Event{Kind: cluster.FaultInjected, Version: ft.Version,
			Message: fmt.Sprintf("fault: bad version %s rolls out", ft.Version)})
		f.mu.Unlock()
		return f.rollTo(ctx, "bad version "+ft.Version, ft.Version, true)
	}
	f.mu.Lock()
	if err := f.usable("inject " + ft.String()); err != nil {
		f.mu.Unlock()
		return err
	}
	targets, err := f.targets(ft)
	if ft.Kind == cluster.FaultHeal {
		targets, err = f.healTargets(ft)
	}
	if err != nil {
		f.mu.Unlock()
		return fmt.Errorf("inject %s: %w", ft.Kind, err)
	}
	for _, m := range targets {
		f.applyFault(m, ft)
	}
	f.notify()
	f.mu.Unlock()
	f.poke()
	if ft.Kind != cluster.FaultKill && ft.Kind != cluster.FaultHang {
		return nil
	}
	// Wait until the fleet replaced the replicas the fault took out (or a
	// heal brought a hung one back).
	return f.wait(ctx, ft.String(), func() (bool, error) {
		for _, m := range targets {
			if m.phase.Live() && (ft.Kind == cluster.FaultKill || m.fault != "") {
				return false, nil
			}
		}
		return f.settled(), nil
	})
}

// targets picks the live replicas a fault hits; f.mu must be held.
func (f *Fleet) targets(ft cluster.Fault) ([]*member, error) {
	var live []*member
	for _, m := range f.members {
		if m.phase.Live() {
			live = append(live, m)
		}
	}
	if ft.Replica != "" {
		for _, m := range live {
			if m.name == ft.Replica {
				return []*member{m}, nil
			}
		}
		names := make([]string, len(live))
		for i, m := range live {
			names[i] = m.name
		}
		return nil, fmt.Errorf("no live replica %s (live: %s)", ft.Replica, strings.Join(names, ", "))
	}
	n, err := ft.Targets(len(live))
	if err != nil {
		return nil, err
	}
	// Ready replicas first, so that the fault hits traffic.
	rand.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	slices.SortStableFunc(live, func(a, b *member) int {
		return boolInt(b.phase == cluster.Ready) - boolInt(a.phase == cluster.Ready)
	})
	return live[:n], nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// healTargets picks the replicas a heal clears: the named live one, which
// must have a fault to clear, or every live one with one; f.mu must be
// held. A heal that would clear nothing fails, so that it is never
// reported done.
func (f *Fleet) healTargets(ft cluster.Fault) ([]*member, error) {
	var out []*member
	for _, m := range f.members {
		if m.phase.Live() && (ft.Replica == "" || m.name == ft.Replica) && healable(m) {
			out = append(out, m)
		}
	}
	switch {
	case len(out) > 0:
		return out, nil
	case ft.Replica == "":
		return nil, errors.New("no live replica has a hang, latency or errors fault to clear")
	}
	if m := f.member(ft.Replica); m != nil && m.phase.Live() {
		return nil, fmt.Errorf("%s has no hang, latency or errors fault to clear", ft.Replica)
	}
	return nil, fmt.Errorf("no live replica %s", ft.Replica)
}

// healable reports m carrying a fault a heal clears (a bad version's
// replicas fail by their version: a rollback ends that).
func healable(m *member) bool { return m.fault != "" && m.fault != badVersionFault }

// applyFault injects ft into m; f.mu must be held.
func (f *Fleet) applyFault(m *member, ft cluster.Fault) {
	now := time.Now()
	switch ft.Kind {
	case cluster.FaultKill:
		f.killMember(m, "killed (fault)")
		return
	case cluster.FaultHeal:
		m.rep.Heal()
		f.emit(cluster.Event{Time: now, Kind: cluster.FaultCleared, Replica: m.name, Version: m.version,
			Message: fmt.Sprintf("fault cleared: %s on %s healed", m.fault, m.name)})
		m.fault, m.faultSince = "", time.Time{}
		if f.bad[m.version] {
			m.fault = badVersionFault
		}
		return
	case cluster.FaultHang:
		m.rep.Hang()
	case cluster.FaultLatency:
		m.rep.AddLatency(ft.Latency)
	case cluster.FaultErrors:
		m.rep.SetErrorRate(ft.ErrorRate)
	}
	m.fault, m.faultSince = ft.Effect(), now
	f.emit(cluster.Event{Time: now, Kind: cluster.FaultInjected, Replica: m.name, Version: m.version,
		Message: fmt.Sprintf("fault: %s on %s", ft.Effect(), m.name)})
}

// usable returns an error when the fleet cannot take an action; f.mu must
// be held.
func (f *Fleet) usable(what string) error {
	switch {
	case f.stopping:
		return fmt.Errorf("%s: %w", what, cluster.ErrStopped)
	case !f.started:
		return fmt.Errorf("%s: fleet not started", what)
	}
	return nil
}

// wait blocks until cond (called with f.mu held) reports done or an
// error, the fleet stops, or ctx ends.
func (f *Fleet) wait(ctx context.Context, what string, cond func() (bool, error)) error {
	for {
		f.mu.Lock()
		done, err := cond()
		if err == nil && !done && f.stopping {
			err = cluster.ErrStopped
		}
		ch := f.changed
		f.mu.Unlock()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}
	}
}
