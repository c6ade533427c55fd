package fleet

import (
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// TestFleetKillsAShareOfTheReplicas checks kill=25% on 4 replicas kills
// one (rounded up, at least one), and that a share that cannot be taken
// without killing every replica fails instead of completing.
func TestFleetKillsAShareOfTheReplicas(t *testing.T) {
	f, log := startFleet(t, Replicas(4))
	if err := f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultKill, Percent: 25}); err != nil {
		t.Fatal(err)
	}
	if killed := len(log.find(cluster.ReplicaKilled)); killed != 1 {
		t.Fatalf("kill 25%% of 4: %d replicas killed (%q), want 1", killed, log.find(cluster.ReplicaKilled))
	}
	if got := versions(t, f.State()); got["v1"] != 4 {
		t.Fatalf("after the kill: %v, want 4 live replicas of v1", got)
	}
	if err := f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultLatency, Percent: 50, Latency: cluster.LatencyRange{Min: 1, Max: 1}}); err != nil {
		t.Fatal(err)
	}
	faulty := 0
	for _, r := range f.State().Replicas {
		if r.Phase.Live() && r.Fault != "" {
			faulty++
		}
	}
	if faulty != 2 {
		t.Fatalf("latency on 50%% of 4: %d replicas have a fault, want 2", faulty)
	}
}

func TestFleetRefusesAShareItCannotTake(t *testing.T) {
	f, log := startFleet(t, Replicas(1))
	err := f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultKill, Percent: 25})
	if err == nil || !strings.Contains(err.Error(), "never takes all") {
		t.Fatalf("kill 25%% of 1: %v, want a refusal", err)
	}
	if err := f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultHang, Count: 2}); err == nil || !strings.Contains(err.Error(), "2 asked, 1 live") {
		t.Fatalf("hang 2 of 1: %v", err)
	}
	if killed := log.find(cluster.ReplicaKilled); len(killed) != 0 {
		t.Fatalf("refused faults killed %q", killed)
	}
}

// TestFleetRefusesVersionsThatDoNothingOrCannotBeServed checks a bad
// version equal to the current one and a version with a control character
// are refused, and nothing rolls out.
func TestFleetRefusesVersionsThatDoNothingOrCannotBeServed(t *testing.T) {
	f, log := startFleet(t, Replicas(1))
	if err := f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultBadVersion, Version: "v1"}); err == nil ||
		!strings.Contains(err.Error(), "nothing would roll out") {
		t.Fatalf("bad version v1 on v1: %v, want a refusal", err)
	}
	if err := f.Upgrade(actx(t), "v\x01"); err == nil || !strings.Contains(err.Error(), "printable") {
		t.Fatalf("upgrade to v\\x01: %v, want a refusal", err)
	}
	if got := log.find(cluster.FaultInjected); len(got) != 0 {
		t.Fatalf("refused faults reported %q", got)
	}
	if got := log.find(cluster.RolloutStarted); len(got) != 0 || f.State().Version != "v1" {
		t.Fatalf("refused versions rolled out: %q, version %s", got, f.State().Version)
	}
}

// TestFleetHealClearsFaults checks that heal=NAME ends that replica's
// errors fault, heal ends every replica's (a hang included, whose held
// requests end), and a heal with nothing to clear fails.
func TestFleetHealClearsFaults(t *testing.T) {
	f, log := startFleet(t, Replicas(2), Liveness(time.Hour, 1))
	c := newClient()
	if err := f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultErrors, Replica: "replica-1", ErrorRate: 1}); err != nil {
		t.Fatal(err)
	}
	failing := func() int {
		n := 0
		for range 10 {
			if code, _, _ := get(t, c, f.URL()); code != 200 {
				n++
			}
		}
		return n
	}
	if n := failing(); n != 5 {
		t.Fatalf("errors 100%% on 1 of 2: %d of 10 failed, want 5", n)
	}
	if err := f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultHeal, Replica: "replica-1"}); err != nil {
		t.Fatal(err)
	}
	if n := failing(); n != 0 {
		t.Fatalf("after heal=replica-1: %d of 10 failed, want 0", n)
	}
	for _, r := range f.State().Replicas {
		if r.Fault != "" || !r.FaultSince.IsZero() {
			t.Errorf("after the heal %s has fault %q since %s", r.Name, r.Fault, r.FaultSince)
		}
	}
	if err := f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultHeal, Replica: "replica-1"}); err == nil ||
		!strings.Contains(err.Error(), "no hang, latency or errors fault") {
		t.Fatalf("heal of a healthy replica: %v, want a failure", err)
	}
	if err := f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultHeal}); err == nil {
		t.Fatal("heal with no fault anywhere: no error")
	}
	if err := f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultHeal, Replica: "replica-9"}); err == nil ||
		!strings.Contains(err.Error(), "no live replica replica-9") {
		t.Fatalf("heal of an unknown replica: %v", err)
	}

	// A hang: a request held by it ends at the heal, which also ends the
	// hang's Inject (the replica is back, nothing to replace).
	hung := make(chan error, 1)
	go func() { hung <- f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultHang, Replica: "replica-2"}) }()
	for deadline := time.Now().Add(5 * time.Second); f.State().Replicas[1].Fault != "hang"; {
		if time.Now().After(deadline) {
			t.Fatal("replica-2 never hung")
		}
		time.Sleep(5 * time.Millisecond)
	}
	held := make(chan error, 1)
	go func() {
		resp, err := c.Get("http://" + f.State().Replicas[1].Address + "/")
		if err == nil {
			resp.Body.Close()
		}
		held <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := f.Inject(actx(t), cluster.Fault{Kind: cluster.FaultHeal}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-hung:
		if err != nil {
			t.Fatalf("hang ended by a heal: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the hang's Inject still waits after the heal")
	}
	select {
	case <-held:
	case <-time.After(5 * time.Second):
		t.Fatal("the request the hang held did not end at the heal")
	}
	if n := failing(); n != 0 {
		t.Fatalf("after heal: %d of 10 failed, want 0", n)
	}
	if got := log.find(cluster.FaultCleared); len(got) != 2 {
		t.Fatalf("fault-cleared events %q, want 2", got)
	}
}
