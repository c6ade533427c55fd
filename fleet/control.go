package fleet

import (
	"fmt"
	"slices"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// controlLoop converges the fleet each time something changed, and when a
// replacement's delay is over.
func (f *Fleet) controlLoop() {
	defer f.background.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-f.lifeCtx.Done():
			return
		case <-f.kick:
		case <-timer.C:
		}
		f.mu.Lock()
		retry := f.reconcile(time.Now())
		f.mu.Unlock()
		if !retry.IsZero() {
			timer.Reset(max(time.Until(retry), time.Millisecond))
		}
	}
}

// reconcile takes the steps towards the desired state that the rollout
// bounds allow now, as the Deployment controller does, and returns when to
// try again if something had to wait. f.mu must be held.
func (f *Fleet) reconcile(now time.Time) (retry time.Time) {
	if f.stopping {
		return time.Time{}
	}
	for range 64 { // each pass makes progress; stop once none is possible
		changed, wait := f.step(now)
		if !wait.IsZero() {
			retry = wait
		}
		if !changed {
			break
		}
		f.notify()
	}
	return retry
}

// step makes one round of changes and reports whether it made any.
func (f *Fleet) step(now time.Time) (changed bool, retry time.Time) {
	var newLive, oldLive []*member
	live, ready, newUnready := 0, 0, 0
	for _, m := range f.members {
		if !m.phase.Live() {
			continue
		}
		live++
		if m.phase == cluster.Ready {
			ready++
		}
		if m.version == f.version {
			newLive = append(newLive, m)
			if m.phase != cluster.Ready {
				newUnready++
			}
		} else {
			oldLive = append(oldLive, m)
		}
	}
	n := f.desired
	if f.paused && len(oldLive) > 0 {
		return f.stepPaused(now, live)
	}
	// A canary's rollout stops at its replicas of the new version.
	newWant := n
	if f.canary != nil {
		newWant = min(f.canary.replicas, n)
	}
	start, version := n-live, f.version
	if len(oldLive) > 0 {
		start = min(n+f.cfg.maxSurge-live, newWant-len(newLive))
		if start <= 0 && live < n { // a canary's old replica died: its version replaces it
			start, version = n-live, oldLive[0].version
		}
	}
	if start <= 0 {
		f.toReplace = nil
	}
	if start > 0 {
		return f.startOne(now, version)
	}
	// Too many replicas of the desired version (a scale down): drain the
	// excess, unready and newest first.
	if len(oldLive) == 0 && len(newLive) > n {
		f.drainMember(pickToDrain(newLive), fmt.Sprintf("scale down to %d", n))
		return true, time.Time{}
	}
	if len(oldLive) == 0 {
		return false, time.Time{}
	}
	if len(oldLive) <= n-newWant { // a canary has all its replicas
		return f.holdCanary(len(newLive), newUnready), time.Time{}
	}
	// A rollout: drain an old replica if availability allows.
	minAvailable := n - f.cfg.maxUnavailable
	if live-minAvailable-newUnready <= 0 {
		return false, time.Time{}
	}
	victim := pickToDrain(oldLive)
	if victim.phase == cluster.Ready && ready-minAvailable <= 0 {
		return false, time.Time{}
	}
	f.drainMember(victim, "rollout to "+f.version)
	return true, time.Time{}
}

// startOne starts a replica of version, unless a replacement must wait
// for its delay; f.mu must be held.
func (f *Fleet) startOne(now time.Time, version string) (changed bool, retry time.Time) {
	if len(f.toReplace) > 0 && now.Before(f.holdUntil) {
		return false, f.holdUntil
	}
	if err := f.startMember(version); err != nil {
		f.emit(cluster.Event{Kind: cluster.Note, Message: err.Error()})
		return false, now.Add(time.Second)
	}
	return true, time.Time{}
}

// stepPaused is the controller's step while a rollout is paused: it only
// replaces a replica that died, by one of its version, or starts one a
// scale up asks for, of the desired version, and drains nothing, so the
// versions keep their replicas. f.mu must be held.
func (f *Fleet) stepPaused(now time.Time, live int) (changed bool, retry time.Time) {
	if live >= f.desired {
		return false, time.Time{}
	}
	version := f.version
	if len(f.toReplace) > 0 {
		if m := f.member(f.toReplace[0]); m != nil {
			version = m.version
		}
	}
	return f.startOne(now, version)
}

// holdCanary pauses a canary's rollout once its new replicas (newLive of
// them, newUnready not ready yet) are all ready and no replaced one is
// still draining, and reports whether it did; f.mu must be held.
func (f *Fleet) holdCanary(newLive, newUnready int) bool {
	c := f.canary
	if c == nil || f.paused || newLive != c.replicas || newUnready > 0 {
		return false
	}
	for _, m := range f.members {
		if m.phase == cluster.Draining {
			return false
		}
	}
	f.setPaused(true, fmt.Sprintf("canary %s held on %d of %d replicas (%s on the others)", c.version, c.replicas, f.desired, c.from))
	return true
}

// pickToDrain chooses which replica to take out: one that is not ready,
// else the newest.
func pickToDrain(ms []*member) *member {
	ms = slices.Clone(ms)
	slices.SortStableFunc(ms, func(a, b *member) int {
		return boolInt(a.phase == cluster.Ready) - boolInt(b.phase == cluster.Ready)
	})
	if ms[0].phase != cluster.Ready {
		return ms[0]
	}
	return ms[len(ms)-1]
}

// converged reports the desired state reached: exactly the desired number
// of ready replicas, all of the desired version, and none draining. f.mu
// must be held.
func (f *Fleet) converged() bool {
	live := 0
	for _, m := range f.members {
		switch {
		case m.phase == cluster.Draining:
			return false
		case !m.phase.Live():
		case m.phase != cluster.Ready || m.version != f.version:
			return false
		default:
			live++
		}
	}
	return live == f.desired
}

// settled reports the fleet converged, or, with its rollout paused, held
// as it was paused: the desired number of replicas, all ready, none
// draining, whatever their versions. f.mu must be held.
func (f *Fleet) settled() bool {
	if !f.paused {
		return f.converged()
	}
	live := 0
	for _, m := range f.members {
		switch {
		case m.phase == cluster.Draining:
			return false
		case !m.phase.Live():
		case m.phase != cluster.Ready:
			return false
		default:
			live++
		}
	}
	return live == f.desired
}

// rolloutStatus is the rollout's status in kubectl's words
// (cluster.RolloutStatus), counted as a Deployment's status counts: the
// live replicas of the desired version are updated, every live or
// draining replica is not yet terminated, the ready ones are available.
// f.mu must be held.
func (f *Fleet) rolloutStatus() (msg string, done bool) {
	updated, total, available := 0, 0, 0
	for _, m := range f.members {
		if m.phase.Live() || m.phase == cluster.Draining {
			total++
		}
		if m.phase.Live() && m.version == f.version {
			updated++
		}
		if m.phase == cluster.Ready {
			available++
		}
	}
	return cluster.RolloutStatus(rolloutName, f.desired, updated, total, available)
}

// rolloutName is the name the fleet's rollout status gives it, as kubectl
// names the Deployment.
const rolloutName = "fleet"

// report emits rollout progress and the end of scales and rollouts, in
// the words of kubectl's status viewer as the Kubernetes driver does;
// f.mu must be held.
func (f *Fleet) report() {
	done := f.converged()
	if f.rolling {
		msg, _ := f.rolloutStatus()
		if p := cluster.ProgressText(msg); p != f.progress && !done {
			f.progress = p
			f.emit(cluster.Event{Kind: cluster.RolloutProgress, Version: f.version,
				Message: fmt.Sprintf("rollout %s: %s", f.version, p)})
		}
		if done {
			f.rolling = false
			msg, _ = cluster.RolloutStatus(rolloutName, f.desired, f.desired, f.desired, f.desired)
			f.emit(cluster.Event{Kind: cluster.RolloutDone, Version: f.version,
				Message: fmt.Sprintf("rollout %s done: %s", f.version, msg)})
		}
	}
	if f.scaling && done {
		f.scaling = false
		f.emit(cluster.Event{Kind: cluster.ScaleDone, Version: f.version,
			Message: fmt.Sprintf("scaled to %d: all ready", f.desired)})
	}
}
