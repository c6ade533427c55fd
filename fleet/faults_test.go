package fleet

import (
	"strings"
	"testing"

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
