package fleet

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// fastOptions make a fleet that converges in well under a second on a
// loaded machine: short startup, drain, checks and replacement delay.
func fastOptions() []Option {
	return []Option{
		ReplicaDefaults(StartupDelay(50*time.Millisecond), Drain(500*time.Millisecond)),
		BalancerOptions(CheckInterval(50*time.Millisecond), CheckTimeout(time.Second)),
		ReplaceDelay(200 * time.Millisecond),
		Liveness(200*time.Millisecond, 2),
	}
}

// eventLog collects a fleet's events.
type eventLog struct {
	mu     sync.Mutex
	events []cluster.Event
	done   chan struct{}
}

func (l *eventLog) all() []cluster.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]cluster.Event(nil), l.events...)
}

// find returns the messages of the events of kind k.
func (l *eventLog) find(k cluster.EventKind) []string {
	var out []string
	for _, e := range l.all() {
		if e.Kind == k {
			out = append(out, e.Message)
		}
	}
	return out
}

// startFleet starts a fleet with fast options plus opts, collecting its
// events, and stops it when the test ends.
func startFleet(t *testing.T, opts ...Option) (*Fleet, *eventLog) {
	t.Helper()
	f, err := New(append(fastOptions(), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	log := &eventLog{done: make(chan struct{})}
	ch := f.Subscribe(context.Background())
	go func() {
		defer close(log.done)
		for e := range ch {
			log.mu.Lock()
			log.events = append(log.events, e)
			log.mu.Unlock()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		began := time.Now()
		if err := f.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
		if took := time.Since(began); took < 500*time.Millisecond {
			t.Errorf("stopped in %s, before the replicas' 500ms drain", took)
		}
		<-log.done
	})
	return f, log
}

// versions counts the live replicas by version and checks they are ready.
func versions(t *testing.T, s cluster.State) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range s.Replicas {
		if r.Phase.Live() {
			if r.Phase != cluster.Ready {
				t.Errorf("replica %s is %s, want ready", r.Name, r.Phase)
			}
			out[r.Version]++
		}
	}
	return out
}

func actx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestFleetStartsScalesAndUpgrades(t *testing.T) {
	f, log := startFleet(t, Replicas(2))
	if got := versions(t, f.State()); got["v1"] != 2 || len(got) != 1 {
		t.Fatalf("after start: %v", got)
	}
	if code, h, _ := get(t, newClient(), f.URL()); code != 200 || h.Get(HeaderVersion) != "v1" {
		t.Fatalf("GET through the balancer: %d %v", code, h)
	}
	if err := f.Scale(actx(t), 4); err != nil {
		t.Fatal(err)
	}
	if got := versions(t, f.State()); got["v1"] != 4 {
		t.Fatalf("after scale to 4: %v", got)
	}
	if err := f.Upgrade(actx(t), "v2"); err != nil {
		t.Fatal(err)
	}
	s := f.State()
	if got := versions(t, s); got["v2"] != 4 || len(got) != 1 {
		t.Fatalf("after upgrade: %v", got)
	}
	if s.Version != "v2" || s.Previous != "v1" || s.Rollout.Active || s.Rollout.Updated != 4 || s.Rollout.Ready != 4 {
		t.Fatalf("state after upgrade: %+v", s)
	}
	if err := f.Scale(actx(t), 1); err != nil {
		t.Fatal(err)
	}
	if got := versions(t, f.State()); got["v2"] != 1 {
		t.Fatalf("after scale to 1: %v", got)
	}
	if len(log.find(cluster.RolloutDone)) != 1 || len(log.find(cluster.RolloutStarted)) != 1 {
		t.Fatalf("events: %v", log.all())
	}
	if got := len(log.find(cluster.ReplicaDraining)); got != 4+3 {
		t.Fatalf("drained %d replicas, want 7 (4 upgraded, 3 scaled down)", got)
	}
	if err := f.Upgrade(actx(t), "v2"); err != nil {
		t.Fatalf("upgrade to the current version: %v", err)
	}
}

func TestFleetRollbackSupersedesUpgrade(t *testing.T) {
	f, log := startFleet(t, Replicas(3), ReplicaDefaults(StartupDelay(400*time.Millisecond)))
	upErr := make(chan error, 1)
	go func() { upErr <- f.Upgrade(actx(t), "v2") }()
	waitFor(t, "the rollout to start", func() bool { return len(log.find(cluster.RolloutStarted)) > 0 })
	if err := f.Rollback(actx(t)); err != nil {
		t.Fatal(err)
	}
	if err := <-upErr; !errors.Is(err, cluster.ErrSuperseded) {
		t.Fatalf("upgrade interrupted by rollback: %v, want superseded", err)
	}
	s := f.State()
	if got := versions(t, s); got["v1"] != 3 || len(got) != 1 {
		t.Fatalf("after rollback: %v", got)
	}
	if s.Version != "v1" || s.Previous != "v2" {
		t.Fatalf("versions after rollback: %s, previous %s", s.Version, s.Previous)
	}
	if len(log.find(cluster.Rollback)) != 1 {
		t.Fatalf("no rollback event: %v", log.all())
	}
}

func TestFleetReplacesKilledReplica(t *testing.T) {
	f, log := startFleet(t, Replicas(2))
	if err := f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultKill, Replica: "replica-1"}); err != nil {
		t.Fatal(err)
	}
	s := f.State()
	if got := versions(t, s); got["v1"] != 2 {
		t.Fatalf("after kill: %v", got)
	}
	if s.Replicas[0].Name != "replica-1" || s.Replicas[0].Phase != cluster.Killed {
		t.Fatalf("killed replica listed as %+v", s.Replicas[0])
	}
	joined := strings.Join(log.find(cluster.ReplicaReplaced), "; ")
	if !strings.Contains(joined, "replacing replica-1") {
		t.Fatalf("replacement events %q", joined)
	}
	if err := f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultKill, Replica: "replica-9"}); err == nil ||
		!strings.Contains(err.Error(), "no live replica replica-9") {
		t.Fatalf("kill of an unknown replica: %v", err)
	}
}

func TestFleetRejectsBadInput(t *testing.T) {
	if _, err := New(MaxSurge(0), MaxUnavailable(0)); err == nil || !strings.Contains(err.Error(), "both 0") {
		t.Fatalf("surge and unavailable 0: %v", err)
	}
	if _, err := New(Replicas(100)); err == nil {
		t.Fatal("100 replicas accepted")
	}
	f, _ := startFleet(t, Replicas(1))
	if err := f.Scale(actx(t), -1); err == nil {
		t.Fatal("scale to -1 accepted")
	}
	if err := f.Rollback(actx(t)); err == nil || !strings.Contains(err.Error(), "no previous version") {
		t.Fatalf("rollback without history: %v", err)
	}
}
