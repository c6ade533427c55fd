package fleet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// Fleet is a local service: replicas on their own loopback ports behind a
// Balancer, kept at a desired number and version the way a Kubernetes
// Deployment keeps its pods. It implements cluster.Cluster.
//
// A controller goroutine converges the replicas on the desired state:
// scaling starts or drains replicas, a rolling upgrade starts a new one,
// waits until the balancer routes to it, drains an old one and repeats
// within maxSurge and maxUnavailable, and a replica that died (killed, or
// failing its liveness check) is replaced after a short delay.
type Fleet struct {
	cfg  config
	host string // the loopback host the balancer and the replicas listen on
	hub  cluster.Hub
	bal  *Balancer

	mu         sync.Mutex
	members    []*member
	desired    int
	version    string
	previous   string
	scaleGen   uint64
	versionGen uint64
	scaling    bool // a scale has not converged yet
	rolling    bool // a rollout has not converged yet
	paused     bool // the rollout is paused (PauseRollout, or a canary held)
	canary     *canaryHold
	progress   string
	holdUntil  time.Time
	toReplace  []string // dead replicas waiting for a replacement
	nextID     int
	bad        map[string]bool
	changed    chan struct{}
	started    bool
	stopping   bool
	retired    map[string]ReplicaStats // by version, of the replicas pruned
	lastRouted map[string]uint64
	shares     map[string]float64
	lifeCtx    context.Context
	cancelLife context.CancelFunc
	kick       chan struct{}
	background sync.WaitGroup
	done       chan struct{}
	stopOnce   sync.Once
	stopErr    error
	cgroups    *cpuCgroups // the process replicas' CPU cgroups, nil for none
	usageNote  string      // why a usage figure cannot be had, "" when all can
}

var _ cluster.Cluster = (*Fleet)(nil)

// New returns a fleet, not yet started, or an error naming every problem
// with the options.
func New(opts ...Option) (*Fleet, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	host, _ := loopbackHost(cfg.listen) // validated
	f := &Fleet{
		cfg:        cfg,
		host:       host,
		version:    cfg.version,
		bad:        map[string]bool{},
		changed:    make(chan struct{}),
		kick:       make(chan struct{}, 1),
		done:       make(chan struct{}),
		lastRouted: map[string]uint64{},
		retired:    map[string]ReplicaStats{},
		shares:     map[string]float64{},
		nextID:     1,
	}
	for _, v := range cfg.badVersions {
		f.bad[v] = true
	}
	f.lifeCtx, f.cancelLife = context.WithCancel(context.Background())
	bopts := append([]BalancerOption{}, cfg.balancerOpts...)
	bopts = append(bopts, OnChange(f.onBalancerChange))
	bal, err := NewBalancer(bopts...)
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	f.bal = bal
	return f, nil
}

// Start starts the balancer and the initial replicas, and returns when
// they are all ready (or ctx ended; the fleet then keeps starting, and Stop
// ends it). Subscribe before Start to see the first replicas' events.
func (f *Fleet) Start(ctx context.Context) error {
	f.mu.Lock()
	if f.started || f.stopping {
		f.mu.Unlock()
		return errors.New("fleet: already started")
	}
	f.started = true
	if err := f.bal.Start(f.cfg.listen); err != nil {
		f.mu.Unlock()
		return fmt.Errorf("fleet: %w", err)
	}
	f.openCgroups()
	f.desired = f.cfg.replicas
	f.scaling = true
	gen := f.scaleGen
	f.emit(cluster.Event{Kind: cluster.ScaleStarted, Version: f.version,
		Message: fmt.Sprintf("fleet: %d replicas of %s on %s", f.desired, f.version, f.bal.Addr())})
	f.mu.Unlock()
	f.background.Add(3)
	go f.controlLoop()
	go f.watchLoop()
	go f.usageLoop()
	f.poke()
	return f.waitScale(ctx, "start", gen)
}

// URL is the balancer's URL: where to send load.
func (f *Fleet) URL() string { return f.bal.URL() }

// Subscribe returns the fleet's events from now on; see cluster.Cluster.
func (f *Fleet) Subscribe(ctx context.Context) <-chan cluster.Event { return f.hub.Subscribe(ctx) }

// Stats sums what every replica the fleet ran answered, those that left
// included.
func (f *Fleet) Stats() ReplicaStats {
	var s ReplicaStats
	for _, v := range f.StatsByVersion() {
		s = s.add(v)
	}
	return s
}

// StatsByVersion sums what every replica the fleet ran answered, those
// that left included, by the replicas' version.
func (f *Fleet) StatsByVersion() map[string]ReplicaStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := maps.Clone(f.retired)
	for _, m := range f.members {
		out[m.version] = out[m.version].add(m.rep.Stats())
	}
	return out
}

// add sums two stats.
func (s ReplicaStats) add(o ReplicaStats) ReplicaStats {
	return ReplicaStats{
		Served:         s.Served + o.Served,
		Errors:         s.Errors + o.Errors,
		ServedStarting: s.ServedStarting + o.ServedStarting,
		ServedDraining: s.ServedDraining + o.ServedDraining,
		Hung:           s.Hung + o.Hung,
	}
}

// Balancer returns the fleet's balancer, for its counters.
func (f *Fleet) Balancer() *Balancer { return f.bal }

// State returns the fleet's state now.
func (f *Fleet) State() cluster.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := cluster.State{
		Desired:        f.desired,
		Version:        f.version,
		Previous:       f.previous,
		MaxSurge:       f.cfg.maxSurge,
		MaxUnavailable: f.cfg.maxUnavailable,
		Replicas:       make([]cluster.Replica, 0, len(f.members)),
		Rollout:        cluster.Rollout{Version: f.version, Desired: f.desired, Paused: f.paused},
	}
	for _, m := range f.members {
		share, known := f.shares[m.name]
		s.Replicas = append(s.Replicas, cluster.Replica{
			Name: m.name, Version: m.version, Phase: m.phase, Address: m.rep.Addr(),
			Share: share, ShareKnown: known, Fault: m.fault, FaultSince: m.faultSince,
		})
		if m.phase.Live() || m.phase == cluster.Draining {
			s.Replicas[len(s.Replicas)-1].Usage = m.usage.snapshot()
		}
		if m.phase.Live() && m.version == f.version {
			s.Rollout.Updated++
			if m.phase == cluster.Ready {
				s.Rollout.Ready++
			}
		}
		if (m.phase.Live() || m.phase == cluster.Draining) && m.version != f.version {
			s.Rollout.Active = true
		}
	}
	s.Rollout.Message, _ = f.rolloutStatus()
	if f.usageNote != "" {
		s.UsageNotes = []string{f.usageNote}
	}
	return s
}

// Stop drains every replica, stops the balancer and ends the event
// stream. When ctx ends first, the replicas still draining are killed. Stop
// is idempotent; later calls wait for the first.
func (f *Fleet) Stop(ctx context.Context) error {
	f.stopOnce.Do(func() { f.stopErr = f.stop(ctx) })
	<-f.done
	return f.stopErr
}

func (f *Fleet) stop(ctx context.Context) error {
	defer close(f.done)
	f.mu.Lock()
	f.stopping = true
	var live []*member
	for _, m := range f.members {
		if m.phase.Live() {
			live = append(live, m)
			m.phase = cluster.Draining
		}
	}
	f.notify()
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, m := range live {
		wg.Go(func() { _ = m.rep.Stop(ctx) })
	}
	wg.Wait()
	f.cancelLife() // draining replicas' Stop calls end now
	f.background.Wait()
	f.mu.Lock()
	for _, m := range f.members {
		m.rep.Kill() // no-op for those that exited
		m.usage.close()
		if m.phase != cluster.Killed {
			m.phase = cluster.Stopped
		}
	}
	cgs := f.cgroups
	f.mu.Unlock()
	if cgs != nil {
		cgs.close()
	}
	err := f.bal.Close(ctx)
	f.emit(cluster.Event{Kind: cluster.Note, Message: "fleet stopped"})
	f.hub.Close()
	return err
}

// emit publishes an event stamped now.
func (f *Fleet) emit(e cluster.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	f.hub.Publish(e)
}

// notify reports progress and wakes the waiters after a change; f.mu must
// be held. Reporting here, not in the controller, makes a rollout's or
// scale's end an event even when the next action follows at once.
func (f *Fleet) notify() {
	if f.started && !f.stopping {
		f.report()
	}
	close(f.changed)
	f.changed = make(chan struct{})
}

// poke asks the controller to converge again.
func (f *Fleet) poke() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}
