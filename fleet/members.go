package fleet

import (
	"fmt"
	"strconv"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// badVersionFault is the fault of a bad version's replicas.
const badVersionFault = "bad version"

// member is one replica the fleet runs or ran.
type member struct {
	name, version string
	rep           runner
	usage         replicaUsage
	phase         cluster.Phase
	fault         string
	faultSince    time.Time // when fault was injected
	left          time.Time // when it stopped or died
	everReady     bool
	livenessFails int
}

// startMember starts a replica of version behind the balancer; f.mu must
// be held.
func (f *Fleet) startMember(version string) error {
	name := replicaPrefix + strconv.Itoa(f.nextID)
	opts := append([]ReplicaOption{}, f.cfg.replicaOpts...)
	opts = append(opts, Name(name), Version(version))
	if f.bad[version] {
		opts = append(opts, ErrorRate(f.cfg.badErrorRate), Latency(f.cfg.badLatency))
	}
	rep, usage, err := f.startRunner(name, opts)
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	if err := f.bal.Add(name, rep.Addr()); err != nil {
		rep.Kill()
		return fmt.Errorf("start %s: %w", name, err)
	}
	f.nextID++
	m := &member{name: name, version: version, rep: rep, usage: usage, phase: cluster.Starting}
	if f.bad[version] {
		m.fault = badVersionFault
	}
	f.members = append(f.members, m)
	e := cluster.Event{Kind: cluster.ReplicaStarted, Replica: name, Version: version,
		Message: fmt.Sprintf("%s started (%s)", name, version)}
	if len(f.toReplace) > 0 {
		dead := f.toReplace[0]
		f.toReplace = f.toReplace[1:]
		e.Kind = cluster.ReplicaReplaced
		e.Message = fmt.Sprintf("%s started (%s), replacing %s", name, version, dead)
	}
	f.emit(e)
	return nil
}

// drainMember stops m gracefully in the background; f.mu must be held.
// The balancer stops routing to it at once, as the Kubernetes endpoints
// controller takes a terminating pod out of its Service's endpoints; the
// replica's drain covers the requests already on their way, and its
// failing readiness covers balancers that only learn from checks.
func (f *Fleet) drainMember(m *member, why string) {
	m.phase = cluster.Draining
	f.emit(cluster.Event{Kind: cluster.ReplicaDraining, Replica: m.name, Version: m.version,
		Message: fmt.Sprintf("%s draining (%s)", m.name, why)})
	f.bal.Remove(m.name)
	f.emit(cluster.Event{Kind: cluster.BalancerRemoved, Replica: m.name, Version: m.version,
		Message: fmt.Sprintf("balancer -%s (draining)", m.name)})
	f.background.Add(1)
	go func() {
		defer f.background.Done()
		err := m.rep.Stop(f.lifeCtx)
		f.mu.Lock()
		if m.phase == cluster.Draining {
			m.phase, m.left = cluster.Stopped, time.Now()
			msg := m.name + " stopped"
			if err != nil {
				m.phase, msg = cluster.Killed, m.name+" killed before its drain ended (fleet stopping)"
			}
			f.emit(cluster.Event{Kind: cluster.ReplicaStopped, Replica: m.name, Version: m.version, Message: msg})
		}
		f.notify()
		f.mu.Unlock()
		f.forgetLater(m)
		f.poke()
	}()
}

// killMember kills m and schedules its replacement; f.mu must be held.
func (f *Fleet) killMember(m *member, why string) {
	m.rep.Kill()
	m.phase, m.left = cluster.Killed, time.Now()
	f.emit(cluster.Event{Kind: cluster.ReplicaKilled, Replica: m.name, Version: m.version,
		Message: fmt.Sprintf("%s %s", m.name, why)})
	f.toReplace = append(f.toReplace, m.name)
	f.holdUntil = time.Now().Add(f.cfg.replaceDelay)
	f.forgetLater(m)
	f.notify()
}

// forgetLater removes m from the balancer once its checks have had time to
// take it out of the rotation, as a dead endpoint lingers in kube-proxy's
// rules until the next sync.
func (f *Fleet) forgetLater(m *member) {
	time.AfterFunc(f.bal.cfg.checkInterval+f.bal.cfg.checkTimeout, func() { f.bal.Remove(m.name) })
}

// member returns the member named name, or nil; f.mu must be held.
func (f *Fleet) member(name string) *member {
	for _, m := range f.members {
		if m.name == name {
			return m
		}
	}
	return nil
}

// onBalancerChange follows the balancer's readiness checks: a replica is
// ready when the balancer routes to it.
func (f *Fleet) onBalancerChange(c Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.member(c.Name)
	if m == nil {
		return
	}
	ev := func(kind cluster.EventKind, msg string) {
		f.emit(cluster.Event{Time: c.Time, Kind: kind, Replica: m.name, Version: m.version, Message: msg})
	}
	if c.Up {
		if !m.phase.Live() {
			return
		}
		msg := m.name + " ready (" + m.version + ")"
		if m.everReady {
			msg = m.name + " ready again"
		}
		m.phase, m.everReady = cluster.Ready, true
		ev(cluster.ReplicaReady, msg)
		ev(cluster.BalancerAdded, "balancer +"+m.name)
	} else {
		ev(cluster.BalancerRemoved, fmt.Sprintf("balancer -%s (%s)", m.name, c.Reason))
		if m.phase == cluster.Ready {
			m.phase = cluster.Unready
			ev(cluster.ReplicaUnready, fmt.Sprintf("%s unready (%s)", m.name, c.Reason))
		}
	}
	f.notify()
	f.poke()
}
