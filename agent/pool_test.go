package agent

import (
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// countingTarget is a loopback service that answers after 1 ms and counts
// what it answered.
func countingTarget(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(time.Millisecond)
		n.Add(1)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// agents starts n agents on loopback with token, and returns their
// addresses, HTTP servers and agents (closed at the test's end).
func agents(t *testing.T, n int, token string) ([]string, []*httptest.Server, []*Server) {
	t.Helper()
	var addrs []string
	var srvs []*httptest.Server
	var as []*Server
	for range n {
		a, err := NewServer(ServerOptions{Token: token, OrphanTimeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a)
		t.Cleanup(func() { srv.Close(); a.Close() })
		addrs = append(addrs, strings.TrimPrefix(srv.URL, "http://"))
		srvs, as = append(srvs, srv), append(as, a)
	}
	return addrs, srvs, as
}

// ticks keeps the merged ticks a pool hands on.
type ticks struct {
	mu sync.Mutex
	s  []*engine.Snapshot
}

func (k *ticks) add(s *engine.Snapshot) { k.mu.Lock(); k.s = append(k.s, s); k.mu.Unlock() }

func (k *ticks) all() []*engine.Snapshot {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]*engine.Snapshot(nil), k.s...)
}

// TestPoolMergesExactly runs three agents on loopback at 600 req/s in
// all for 2 s against one target: the merged run's requests are the
// target's answers exactly, its latency histogram holds one value each,
// the merged ticks add up to the total and each agent's part to it too;
// a rate change reaches every agent (the merged ticks' target rate is
// the new total within two ticks).
func TestPoolMergesExactly(t *testing.T) {
	target, answered := countingTarget(t)
	addrs, _, _ := agents(t, 3, "s3cret")
	var got ticks
	spec := Spec{Target: engine.Target{URL: target.URL + "/"}, Interval: 250 * time.Millisecond, Rate: 600,
		Window: 2 * time.Second, Timeout: 2 * time.Second, KeepAlive: true}
	p, err := NewPool(addrs, "s3cret", spec, PoolOptions{OnSnapshot: got.add, Lead: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300*time.Millisecond + time.Second) // 1 s into the load
		if err := p.SetRate(900); err != nil {
			t.Errorf("set rate: %v", err)
		}
	}()
	res, err := p.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	tot := res.Total
	if tot.Requests == 0 || int64(tot.Requests) != answered.Load() || tot.Latency.TotalCount() != int64(tot.Requests) {
		t.Fatalf("merged %d requests (%d latency values), the target answered %d", tot.Requests, tot.Latency.TotalCount(), answered.Load())
	}
	var sum, parts uint64
	ts := got.all()
	for _, s := range ts {
		sum += s.Requests
	}
	for _, s := range p.Stats() {
		parts += s.Requests
		if s.State != "ended" || s.Requests == 0 {
			t.Errorf("agent %+v: want it ended, with requests", s)
		}
		if s.SampledS < 1 || s.Probe == nil || s.Probe.CPULimit <= 0 {
			t.Errorf("agent %d's probes: %d s sampled, last %+v: want its own process's each second", s.Index, s.SampledS, s.Probe)
		}
	}
	if sum != tot.Requests || parts != tot.Requests {
		t.Errorf("ticks add up to %d, agents' parts to %d, total %d", sum, parts, tot.Requests)
	}
	// Each tick's target rate is the sum of the agents' parts in it (a
	// tick one was late for has only the others', and one the change
	// reached some agents in has both rates): 600 before the change, 900
	// after, never more.
	saw600, changed, most := false, -1, 0.0
	for i, s := range ts {
		saw600 = saw600 || s.TargetRate == 600 && changed < 0
		if s.TargetRate == 900 && changed < 0 {
			changed = i
		}
		most = max(most, s.TargetRate)
	}
	if !saw600 || changed < 0 || most != 900 {
		t.Errorf("target rates: 600 seen %v, 900 from tick %d, at most %g: want 600 then 900", saw600, changed, most)
	}
	if p.MissingTicks() != 0 {
		t.Logf("%d agent-ticks went out late (a loaded machine)", p.MissingTicks())
	}
	t.Logf("%d requests merged from 3 agents in %d ticks, %d answered; rate 900 from tick %d", tot.Requests, len(ts), answered.Load(), changed)
}

// TestPoolReassignsALostAgent: an agent whose stream is cut mid-run is
// lost, its share goes to the two left (the merged target rate stays the
// total), the run ends with an error naming it, and the summary's parts
// say when and what it left unsent.
func TestPoolReassignsALostAgent(t *testing.T) {
	target, answered := countingTarget(t)
	addrs, srvs, _ := agents(t, 3, "tok")
	var got ticks
	spec := Spec{Target: engine.Target{URL: target.URL + "/"}, Interval: 250 * time.Millisecond, Rate: 300,
		Window: 3 * time.Second, Timeout: 2 * time.Second, KeepAlive: true}
	p, err := NewPool(addrs, "tok", spec, PoolOptions{OnSnapshot: got.add, Lead: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300*time.Millisecond + time.Second)
		srvs[1].CloseClientConnections() // its stream cut: the controller loses it
		srvs[1].Config.SetKeepAlivesEnabled(false)
		srvs[1].Listener.Close()
	}()
	res, err := p.Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "agent 1") {
		t.Fatalf("run: %v, want agent 1 lost", err)
	}
	st := p.Stats()
	if st[1].State != "lost" || st[1].LostAt < 0.8 || st[1].LostAt > 2.5 || st[1].Missing <= 0 || st[0].Rate != 150 || st[2].Rate != 150 {
		t.Fatalf("agents %+v: want agent 1 lost at about 1 s, the others 150/s each", st)
	}
	// A tick after the loss, both agents' parts in it, has the total
	// rate (a tick one of them was late for has only the other's gauge).
	ts := got.all()
	best := 0.0
	for _, s := range ts[len(ts)/2:] {
		best = max(best, s.TargetRate)
	}
	if best != 300 {
		t.Errorf("the ticks after the loss have target rates up to %g, want the total 300 from the two left", best)
	}
	// The lost agent's load went on until its orphan timeout: the target
	// answered more than the merged run counts, which is the lost
	// agent's frames the controller never got.
	if int64(res.Total.Requests) > answered.Load() {
		t.Errorf("merged %d requests, more than the target's %d", res.Total.Requests, answered.Load())
	}
	t.Logf("lost: %+v; merged %d, answered %d", st[1], res.Total.Requests, answered.Load())
}

// TestPoolFollowsEndpoints: agents balancing over a set of endpoints get
// each change of it: once the set is the second endpoint alone, the
// first gets no more requests.
func TestPoolFollowsEndpoints(t *testing.T) {
	first, toFirst := countingTarget(t)
	second, toSecond := countingTarget(t)
	addrs, _, _ := agents(t, 2, "tok")
	hostOf := func(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }
	eps := engine.NewEndpoints(engine.Endpoint{Addr: hostOf(first), Version: "v1"}, engine.Endpoint{Addr: hostOf(second), Version: "v2"})
	spec := Spec{Target: engine.Target{URL: first.URL + "/"}, Interval: 250 * time.Millisecond, Rate: 200,
		Window: 3 * time.Second, Timeout: 2 * time.Second, KeepAlive: true}
	p, err := NewPool(addrs, "tok", spec, PoolOptions{Lead: 300 * time.Millisecond, Endpoints: eps})
	if err != nil {
		t.Fatal(err)
	}
	var atSwitch int64
	go func() {
		time.Sleep(300*time.Millisecond + time.Second)
		atSwitch = toFirst.Load()
		eps.Set([]engine.Endpoint{{Addr: hostOf(second), Version: "v2"}})
	}()
	res, err := p.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	v1, v2 := res.Total.ByVersion["v1"], res.Total.ByVersion["v2"]
	if atSwitch == 0 || toSecond.Load() == 0 || v1 == nil || v2 == nil {
		t.Fatalf("first %d (at the switch %d), second %d; by version %+v", toFirst.Load(), atSwitch, toSecond.Load(), res.Total.ByVersion)
	}
	// After the switch, within a tick or two and the requests in flight.
	if after := toFirst.Load() - atSwitch; after > 200*0.75 {
		t.Errorf("the first endpoint got %d requests after it left the set", after)
	}
	if int64(v1.Requests) != toFirst.Load() || int64(v2.Requests) != toSecond.Load() {
		t.Errorf("by version v1 %d v2 %d, the endpoints answered %d and %d", v1.Requests, v2.Requests, toFirst.Load(), toSecond.Load())
	}
}

// TestPoolLosesAnAgentThatStops: an agent that ends its run before the
// run's end (its process asked to stop: Server.Close), its stream ending
// cleanly, is lost as a cut one is: its share goes to the others.
func TestPoolLosesAnAgentThatStops(t *testing.T) {
	target, _ := countingTarget(t)
	addrs, _, as := agents(t, 2, "tok")
	spec := Spec{Target: engine.Target{URL: target.URL + "/"}, Interval: 250 * time.Millisecond, Rate: 200,
		Window: 3 * time.Second, Timeout: 2 * time.Second, KeepAlive: true}
	p, err := NewPool(addrs, "tok", spec, PoolOptions{Lead: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300*time.Millisecond + time.Second)
		as[0].Close()
	}()
	if _, err := p.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "agent 0") {
		t.Fatalf("run: %v, want agent 0 lost", err)
	}
	st := p.Stats()
	// Agent 1 takes the whole 200/s, or, when its probes found it
	// saturated (a loaded machine), what its headroom allows, the rest
	// said not reassigned.
	if st[0].State != "lost" || !strings.Contains(st[0].Err, "before the run's end") || st[1].State != "ended" ||
		math.Abs(st[1].Rate+st[0].NotReassigned-200) > 0.001 || st[1].Rate != 200 && st[1].SaturatedS == 0 {
		t.Fatalf("agents %+v: want agent 0 lost (stopped early), agent 1 at the whole 200/s (or its headroom, the rest not reassigned)", st)
	}
}
