package fleet

import (
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/probes"
)

// usageEvery is how often the fleet samples its replicas' usage.
const usageEvery = time.Second

// cgroupSeq numbers the fleets of this process, for their cgroup folders.
var cgroupSeq atomic.Int64

// replicaUsage is a member's usage sampling: of its process (/proc and
// its cgroup) for a process replica, of its busy time for an in-process
// one; last is the latest sample, nil before the first.
type replicaUsage struct {
	proc     *probes.ProcessUsage
	prevBusy time.Duration
	prevAt   time.Time
	last     *cluster.Usage
}

// startRunner starts a replica with opts: in this process, or as a
// process of its own (ProcessReplicas) in a CPU cgroup with its quota
// (ReplicaCPU) when the fleet could create one; f.mu must be held.
func (f *Fleet) startRunner(name string, opts []ReplicaOption) (runner, replicaUsage, error) {
	if f.cfg.process == nil {
		rep, err := NewReplica(opts...)
		if err != nil {
			return nil, replicaUsage{}, err
		}
		if err := rep.Start(net.JoinHostPort(f.host, "0")); err != nil {
			return nil, replicaUsage{}, err
		}
		return rep, replicaUsage{}, nil
	}
	cfg := defaultReplicaConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, replicaUsage{}, err
	}
	dir, limit := "", 0.0
	if f.cgroups != nil {
		d, err := f.cgroups.replica(name, f.cfg.replicaCPU)
		if err != nil {
			f.noteUsage(fmt.Sprintf("--replica-cpu %g: %v: %s runs without a CPU quota", f.cfg.replicaCPU, err, name))
		} else {
			dir, limit = d, f.cfg.replicaCPU
		}
	}
	p, err := startProcess(f.cfg.process, cfg, f.host, f.cgroups, dir)
	if err != nil {
		return nil, replicaUsage{}, err
	}
	return p, replicaUsage{proc: probes.NewProcessUsage(p.Pid(), dir, limit)}, nil
}

// openCgroups creates the fleet's CPU cgroups for ReplicaCPU, or notes
// why it cannot: the replicas then run without a quota.
func (f *Fleet) openCgroups() {
	if f.cfg.replicaCPU <= 0 {
		return
	}
	cgs, err := newCPUCgroups(fmt.Sprintf("scalelab-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
	if err != nil {
		f.noteUsage(fmt.Sprintf("--replica-cpu %g: %v: replicas run without a CPU quota", f.cfg.replicaCPU, err))
		return
	}
	f.cgroups = cgs
}

// noteUsage keeps note as the state's usage note and, when it is new,
// says it once in the events; f.mu must be held.
func (f *Fleet) noteUsage(note string) {
	if note == f.usageNote {
		return
	}
	f.usageNote = note
	f.emit(cluster.Event{Kind: cluster.Note, Message: note})
}

// usageLoop samples the live replicas' usage every usageEvery until the
// fleet stops.
func (f *Fleet) usageLoop() {
	defer f.background.Done()
	t := time.NewTicker(usageEvery)
	defer t.Stop()
	for {
		select {
		case <-f.lifeCtx.Done():
			return
		case now := <-t.C:
			f.mu.Lock()
			for _, m := range f.members {
				if m.phase.Live() || m.phase == cluster.Draining {
					m.usage.sample(m.rep, now)
				} else {
					m.usage.close()
				}
			}
			f.mu.Unlock()
		}
	}
}

// sample takes the replica's usage at now: its process's figures for a
// process replica, and for either its busy time and in flight.
func (u *replicaUsage) sample(r runner, now time.Time) {
	s := cluster.Usage{Source: "in-process"}
	if u.proc != nil {
		s = u.proc.Sample(now)
	}
	busy, inflight := r.Busy()
	s.InFlight = inflight
	if !u.prevAt.IsZero() {
		s.Busy, s.BusyKnown = float64(busy-u.prevBusy)/float64(now.Sub(u.prevAt)), true
	}
	u.prevBusy, u.prevAt = busy, now
	probes.JudgeReplica(&s, probes.ReplicaThresholds{})
	u.last = &s
}

// close releases the process sampler's files, once its replica is gone.
func (u *replicaUsage) close() {
	if u.proc != nil {
		u.proc.Close()
		u.proc = nil
	}
}

// snapshot is a copy of the latest sample, nil before the first.
func (u *replicaUsage) snapshot() *cluster.Usage {
	if u.last == nil {
		return nil
	}
	c := *u.last
	c.Reasons = append([]string(nil), c.Reasons...)
	return &c
}
