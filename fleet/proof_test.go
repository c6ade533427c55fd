package fleet_test

// The proof: the fleet under real load from the engine, on loopback.
// Rollouts and scaling lose nothing; without the drain they do; faults
// produce the errors the engine counts and the events explain.

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/fleet"
)

// proofRate is the open-loop rate of the proofs: modest, so that a loaded
// 2-core machine under -race holds it easily.
const proofRate = 300

// proofFleet starts a fleet whose replicas take 10..30 ms per answer, so
// that requests are in flight whenever a replica leaves, with a short
// startup and frequent readiness checks. The drain is the default 2 s, 40
// check intervals. A check or liveness probe that times out does not count
// here (the fault tests set their own): on a loaded 2-core machine under
// -race a slow answer is not a dead replica, and these proofs are about the
// drain.
func proofFleet(t *testing.T, opts ...fleet.Option) (*fleet.Fleet, *events) {
	t.Helper()
	base := []fleet.Option{
		fleet.ReplicaDefaults(
			fleet.Latency(cluster.LatencyRange{Min: 10 * time.Millisecond, Max: 30 * time.Millisecond}),
			fleet.StartupDelay(100*time.Millisecond)),
		fleet.BalancerOptions(fleet.CheckInterval(50*time.Millisecond), fleet.TimeoutFailures(1000)),
		fleet.ReplaceDelay(200 * time.Millisecond),
		fleet.Liveness(time.Second, 1000),
	}
	f, err := fleet.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	ch := f.Subscribe(context.Background())
	ev.wg.Go(func() {
		for e := range ch {
			ev.mu.Lock()
			ev.list = append(ev.list, e)
			ev.mu.Unlock()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// No need to wait for the drains: the replicas are killed after
		// 100ms, and Stop must still end everything.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = f.Stop(ctx)
		ev.wg.Wait()
	})
	return f, ev
}

// events collects a fleet's events.
type events struct {
	mu   sync.Mutex
	list []cluster.Event
	wg   sync.WaitGroup
}

// log writes the events to the test log, to explain a failure.
func (e *events) log(t *testing.T) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.list {
		t.Log(ev)
	}
}

// of returns the messages of the events of kind k so far.
func (e *events) of(k cluster.EventKind) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.list {
		if ev.Kind == k {
			out = append(out, ev.Message)
		}
	}
	return out
}

// underLoad sends open-loop load to the fleet while action runs, with a
// short steady period before and after, and returns what the engine
// measured. The action's error fails the test; opts add to the engine's
// options.
func underLoad(t *testing.T, f *fleet.Fleet, timeout time.Duration, action func(context.Context) error, opts ...engine.Option) *engine.Snapshot {
	t.Helper()
	opts = append([]engine.Option{engine.Rate(proofRate), engine.Timeout(timeout), engine.Tick(100 * time.Millisecond)}, opts...)
	eng, err := engine.New(engine.Target{URL: f.URL()}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithTimeout(context.Background(), 60*time.Second)
	defer stop()
	res := make(chan *engine.Result, 1)
	go func() {
		r, err := eng.Run(ctx)
		if err != nil {
			t.Error(err)
		}
		res <- r
	}()
	time.Sleep(300 * time.Millisecond)
	actx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := action(actx); err != nil {
		t.Errorf("action: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	stop()
	r := <-res
	if r == nil {
		t.FailNow()
	}
	total := r.Total
	t.Logf("engine: %d requests, status %v, errors %v, dropped %d; fleet: %+v",
		total.Requests, total.Status, total.Errors, total.Dropped, f.Stats())
	if total.Requests < 200 {
		t.Fatalf("only %d requests under load: the proof needs traffic", total.Requests)
	}
	return total
}

// lossless checks that every request sent got a 200 from a replica that
// had become ready. Dropped sends (the engine's own: at the close of its
// window it counts what it had not sent yet) never reached the fleet and
// are not losses.
func lossless(t *testing.T, f *fleet.Fleet, ev *events, total *engine.Snapshot) {
	t.Helper()
	if n := total.Failed(); n != 0 || total.Status[200] != total.Requests {
		ev.log(t)
		t.Fatalf("lost requests: %d failed, status %v, errors %v, dropped %d",
			n, total.Status, total.Errors, total.Dropped)
	}
	st := f.Stats()
	if st.Served != total.Requests {
		t.Fatalf("replicas answered %d requests, the engine counted %d", st.Served, total.Requests)
	}
	if st.ServedStarting != 0 {
		t.Fatalf("%d requests answered by replicas that were not ready yet", st.ServedStarting)
	}
}

func liveVersions(s cluster.State) map[string]int {
	out := map[string]int{}
	for _, r := range s.Replicas {
		if r.Phase.Live() {
			out[r.Version]++
		}
	}
	return out
}

func TestProofRollingUpgradeLosesNothing(t *testing.T) {
	f, ev := proofFleet(t, fleet.Replicas(3))
	total := underLoad(t, f, 10*time.Second, func(ctx context.Context) error { return f.Upgrade(ctx, "v2") })
	lossless(t, f, ev, total)
	if got := liveVersions(f.State()); got["v2"] != 3 || len(got) != 1 {
		t.Fatalf("after the upgrade: %v", got)
	}
	if n := len(ev.of(cluster.ReplicaDraining)); n != 3 {
		t.Fatalf("%d replicas drained, want 3", n)
	}
	t.Logf("zero-loss upgrade: %d requests, %d answered while draining", total.Requests, f.Stats().ServedDraining)
}

func TestProofRollingUpgradeWithoutDrainLosesRequests(t *testing.T) {
	// Slower answers than the other proofs: several requests are in flight
	// on each replica when it stops.
	f, _ := proofFleet(t, fleet.Replicas(3), fleet.ReplicaDefaults(fleet.NoDrain(),
		fleet.Latency(cluster.LatencyRange{Min: 30 * time.Millisecond, Max: 60 * time.Millisecond})))
	total := underLoad(t, f, 10*time.Second, func(ctx context.Context) error { return f.Upgrade(ctx, "v2") })
	if total.Failed() == 0 {
		t.Fatalf("no request lost without the drain: status %v, errors %v", total.Status, total.Errors)
	}
	t.Logf("without the drain: %d of %d requests failed", total.Failed(), total.Requests)
}

func TestProofScalingLosesNothing(t *testing.T) {
	f, ev := proofFleet(t, fleet.Replicas(3))
	total := underLoad(t, f, 10*time.Second, func(ctx context.Context) error {
		if err := f.Scale(ctx, 6); err != nil {
			return err
		}
		if got := liveVersions(f.State()); got["v1"] != 6 {
			t.Errorf("after scale to 6: %v", got)
		}
		return f.Scale(ctx, 2)
	})
	lossless(t, f, ev, total)
	if got := liveVersions(f.State()); got["v1"] != 2 {
		t.Fatalf("after scale to 2: %v", got)
	}
}

func TestProofKillIsCountedAndExplained(t *testing.T) {
	// The default check interval: requests land on the dead replica until
	// the balancer notices.
	f, ev := proofFleet(t, fleet.Replicas(3), fleet.BalancerOptions(fleet.CheckInterval(fleet.DefaultCheckInterval)))
	total := underLoad(t, f, 10*time.Second, func(ctx context.Context) error {
		return f.Inject(ctx, cluster.Fault{Kind: cluster.FaultKill, Count: 1})
	})
	if total.Failed() == 0 {
		t.Fatalf("a kill under load cost nothing: status %v, errors %v", total.Status, total.Errors)
	}
	killed := ev.of(cluster.ReplicaKilled)
	if len(killed) != 1 {
		t.Fatalf("killed events %v", killed)
	}
	name := strings.Fields(killed[0])[0]
	removed := strings.Join(ev.of(cluster.BalancerRemoved), "; ")
	replaced := strings.Join(ev.of(cluster.ReplicaReplaced), "; ")
	if !strings.Contains(removed, name) || !strings.Contains(replaced, "replacing "+name) {
		t.Fatalf("events do not explain the kill of %s: removed %q, replaced %q", name, removed, replaced)
	}
	if got := liveVersions(f.State()); got["v1"] != 3 {
		t.Fatalf("after the replacement: %v", got)
	}
	t.Logf("kill: %d of %d requests failed (status %v, errors %v)", total.Failed(), total.Requests, total.Status, total.Errors)
}

func TestProofHangProducesTimeouts(t *testing.T) {
	// Hung checks count after 300ms, twice in a row: the balancer takes the
	// replica out within a second; the engine gives up on a request after
	// 500ms.
	f, ev := proofFleet(t, fleet.Replicas(3),
		fleet.BalancerOptions(fleet.CheckTimeout(300*time.Millisecond), fleet.TimeoutFailures(2)),
		fleet.Liveness(200*time.Millisecond, 2))
	total := underLoad(t, f, 500*time.Millisecond, func(ctx context.Context) error {
		return f.Inject(ctx, cluster.Fault{Kind: cluster.FaultHang, Replica: "replica-2"})
	})
	if total.Errors[engine.ErrTimeout] == 0 {
		t.Fatalf("a hang under load produced no timeout: status %v, errors %v", total.Status, total.Errors)
	}
	if !strings.Contains(strings.Join(ev.of(cluster.ReplicaUnready), ";"), "replica-2") ||
		!strings.Contains(strings.Join(ev.of(cluster.ReplicaKilled), ";"), "replica-2 killed: liveness") {
		t.Fatalf("events do not explain the hang: unready %v, killed %v",
			ev.of(cluster.ReplicaUnready), ev.of(cluster.ReplicaKilled))
	}
	t.Logf("hang: %d timeouts of %d requests", total.Errors[engine.ErrTimeout], total.Requests)
}

func TestProofRollbackMidRolloutReturnsToV1(t *testing.T) {
	f, ev := proofFleet(t, fleet.Replicas(3), fleet.ReplicaDefaults(fleet.StartupDelay(300*time.Millisecond)))
	total := underLoad(t, f, 10*time.Second, func(ctx context.Context) error {
		up := make(chan error, 1)
		go func() { up <- f.Upgrade(ctx, "v2") }()
		deadline := time.Now().Add(20 * time.Second)
		for liveVersions(f.State())["v2"] == 0 || len(ev.of(cluster.ReplicaDraining)) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the rollout never got going")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := f.Rollback(ctx); err != nil {
			return err
		}
		if err := <-up; err == nil {
			t.Error("the upgrade completed although rolled back")
		}
		return nil
	})
	lossless(t, f, ev, total)
	if got := liveVersions(f.State()); got["v1"] != 3 || len(got) != 1 {
		t.Fatalf("after the rollback: %v", got)
	}
}
