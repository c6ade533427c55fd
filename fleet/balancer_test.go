package fleet

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// startBalancer starts a balancer with fast checks whose changes go to the
// returned channel.
func startBalancer(t *testing.T, opts ...BalancerOption) (*Balancer, <-chan Change) {
	t.Helper()
	changes := make(chan Change, 64)
	opts = append([]BalancerOption{CheckInterval(50 * time.Millisecond), CheckTimeout(300 * time.Millisecond),
		OnChange(func(c Change) { changes <- c })}, opts...)
	b, err := NewBalancer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return b, changes
}

// nextChange waits for the balancer's next change.
func nextChange(t *testing.T, changes <-chan Change) Change {
	t.Helper()
	select {
	case c := <-changes:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no balancer change within 10s")
		return Change{}
	}
}

func TestBalancerRoundRobinOverReadyBackends(t *testing.T) {
	b, changes := startBalancer(t)
	c := newClient()
	if code, _, body := get(t, c, b.URL()); code != 503 || !strings.Contains(body, "no ready replica") {
		t.Fatalf("no backends: %d %q", code, body)
	}
	reps := map[string]*Replica{}
	for _, n := range []string{"a", "b", "c"} {
		reps[n] = startReplica(t, Name(n))
		if err := b.Add(n, reps[n].Addr()); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if ch := nextChange(t, changes); !ch.Up {
			t.Fatalf("unexpected change %+v", ch)
		}
	}
	counts := map[string]int{}
	for range 30 {
		code, h, _ := get(t, c, b.URL())
		if code != 200 {
			t.Fatalf("status %d", code)
		}
		counts[h.Get(HeaderReplica)]++
	}
	for n := range reps {
		if counts[n] != 10 {
			t.Fatalf("round robin over 3 backends, 30 requests: %v", counts)
		}
	}
	var routed uint64
	for _, be := range b.Backends() {
		if !be.Up {
			t.Fatalf("backend %s not up", be.Name)
		}
		routed += be.Routed
	}
	if routed != 30 {
		t.Fatalf("routed %d, want 30", routed)
	}
}

func TestBalancerWaitsForReadinessAndRemovesFailingBackend(t *testing.T) {
	b, changes := startBalancer(t)
	r := startReplica(t, Name("slow"), StartupDelay(300*time.Millisecond))
	began := time.Now()
	if err := b.Add("slow", r.Addr()); err != nil {
		t.Fatal(err)
	}
	if ch := nextChange(t, changes); !ch.Up || time.Since(began) < 300*time.Millisecond {
		t.Fatalf("backend up %v after %s, before its startup delay", ch.Up, time.Since(began))
	}
	get(t, newClient(), b.URL())
	if st := r.Stats(); st.ServedStarting != 0 || st.Served != 1 {
		t.Fatalf("replica stats %+v: routed before ready", st)
	}
	r.Kill()
	ch := nextChange(t, changes)
	if ch.Up || ch.Name != "slow" || !(strings.Contains(ch.Reason, "refused") || strings.Contains(ch.Reason, "reset")) {
		t.Fatalf("after kill: %+v, want slow removed, connection refused or reset", ch)
	}
	if code, _, _ := get(t, newClient(), b.URL()); code != 503 {
		t.Fatalf("after removal: %d, want 503", code)
	}
}

func TestBalancerNeverRetries(t *testing.T) {
	b, changes := startBalancer(t, CheckInterval(time.Hour))
	r := startReplica(t, Name("dying"), Latency(cluster.LatencyRange{Min: time.Second, Max: time.Second}))
	if err := b.Add("dying", r.Addr()); err != nil {
		t.Fatal(err)
	}
	nextChange(t, changes)
	var wg sync.WaitGroup
	var code int
	wg.Go(func() { code, _, _ = get(t, newClient(), b.URL()) })
	waitFor(t, "the request to reach the replica", func() bool { return inflight(r) == 1 })
	r.Kill()
	wg.Wait()
	if code != 502 {
		t.Fatalf("request on a killed replica: %d, want 502", code)
	}
	// The check interval is an hour: the dead backend is still in the
	// rotation, and each request fails once, without a retry.
	for range 3 {
		if code, _, _ := get(t, newClient(), b.URL()); code != 502 {
			t.Fatalf("request to a dead backend: %d, want 502", code)
		}
	}
	be := b.Backends()[0]
	if be.Routed != 4 || be.Failed != 4 {
		t.Fatalf("backend %+v: want 4 routed, 4 failed", be)
	}
}

func TestBalancerTakesOutDrainingBackendWithoutLoss(t *testing.T) {
	b, changes := startBalancer(t)
	old := startReplica(t, Name("old"), Drain(500*time.Millisecond))
	if err := b.Add("old", old.Addr()); err != nil {
		t.Fatal(err)
	}
	nextChange(t, changes)
	stopped := make(chan error, 1)
	go func() { stopped <- old.Stop(context.Background()) }()
	ch := nextChange(t, changes)
	if ch.Up || !strings.Contains(ch.Reason, "draining") {
		t.Fatalf("draining backend: %+v", ch)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	b.Remove("old")
	if len(b.Backends()) != 0 {
		t.Fatal("Remove left the backend")
	}
}
