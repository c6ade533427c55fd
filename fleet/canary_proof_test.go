package fleet_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/fleet"
)

// split keeps the engine's snapshots, to split the requests of a window by
// the version that answered them.
type split struct {
	mu    sync.Mutex
	snaps []*engine.Snapshot
}

func (s *split) option() engine.Option {
	return engine.OnSnapshot(func(sn *engine.Snapshot) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.snaps = append(s.snaps, sn)
	})
}

// between sums the snapshots that lie within from..to by version:
// requests and failed.
func (s *split) between(from, to time.Time) (requests, failed map[string]uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	requests, failed = map[string]uint64{}, map[string]uint64{}
	for _, sn := range s.snaps {
		if sn.Start.Before(from) || sn.End.After(to) {
			continue
		}
		for v, vs := range sn.ByVersion {
			requests[v] += vs.Requests
			failed[v] += vs.Failed
		}
	}
	return requests, failed
}

// hold waits d and returns the split of the requests answered meanwhile
// (after the snapshot under way).
func (s *split) hold(d time.Duration) (requests, failed map[string]uint64) {
	from := time.Now()
	time.Sleep(d + 150*time.Millisecond) // the last tick's snapshot arrives
	return s.between(from, from.Add(d+150*time.Millisecond))
}

func TestProofPauseHoldsBothVersionsAndResumeCompletes(t *testing.T) {
	f, ev := proofFleet(t, fleet.Replicas(4), fleet.ReplicaDefaults(fleet.StartupDelay(200*time.Millisecond)))
	var sp split
	total := underLoad(t, f, 10*time.Second, func(ctx context.Context) error {
		up := make(chan error, 1)
		go func() { up <- f.Upgrade(ctx, "v2") }()
		deadline := time.Now().Add(20 * time.Second)
		for len(ev.of(cluster.ReplicaDraining)) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the rollout never got going")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := f.PauseRollout(ctx); err != nil {
			return err
		}
		at := liveVersions(f.State())
		if !f.State().Rollout.Paused {
			t.Error("the state's rollout is not paused")
		}
		time.Sleep(300 * time.Millisecond) // a replica starting when paused becomes ready
		req, _ := sp.hold(1200 * time.Millisecond)
		if got := liveVersions(f.State()); got["v1"] != at["v1"] || got["v2"] != at["v2"] {
			t.Errorf("paused at %v, a second later %v: the rollout went on", at, got)
		}
		if req["v1"] == 0 || req["v2"] == 0 {
			t.Errorf("paused 1.2 s with %v live: requests by version %v, want both serving", at, req)
		}
		select {
		case err := <-up:
			t.Errorf("the upgrade returned while paused: %v", err)
		default:
		}
		t.Logf("paused with %v live: 1.2 s of requests by version %v", at, req)
		if err := f.ResumeRollout(ctx); err != nil {
			return err
		}
		return <-up
	}, sp.option())
	lossless(t, f, ev, total)
	if got := liveVersions(f.State()); got["v2"] != 4 || len(got) != 1 {
		t.Fatalf("after the resume: %v", got)
	}
	if f.State().Rollout.Paused {
		t.Error("still paused after the resume")
	}
	notes := ev.of(cluster.Note)
	if !contains(notes, "rollout of fleet paused") || !contains(notes, "rollout of fleet resumed") {
		t.Errorf("notes %q: want the pause and the resume in the Kubernetes driver's words", notes)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// canaryOn starts a canary of v2 on 1 of 4 replicas under load and checks
// it is held: exactly 1 replica on v2, about a quarter of the requests,
// for 1.5 s; then end (promote or roll back) ends it.
func canaryOn(t *testing.T, end func(*fleet.Fleet, context.Context) error) (*fleet.Fleet, *events, *engine.Snapshot) {
	f, ev := proofFleet(t, fleet.Replicas(4))
	var sp split
	total := underLoad(t, f, 10*time.Second, func(ctx context.Context) error {
		if err := f.StartCanary(ctx, "v2", 1); err != nil {
			return err
		}
		if got := liveVersions(f.State()); got["v1"] != 3 || got["v2"] != 1 {
			t.Errorf("canary held with %v live, want v1:3 v2:1", got)
		}
		req, _ := sp.hold(1500 * time.Millisecond)
		if got := liveVersions(f.State()); got["v1"] != 3 || got["v2"] != 1 {
			t.Errorf("1.5 s into the hold %v live: the canary did not hold", got)
		}
		share := float64(req["v2"]) / float64(req["v1"]+req["v2"])
		if share < 0.15 || share > 0.35 {
			t.Errorf("canary's share of the requests %.1f%% (%v), want about 25%%", 100*share, req)
		}
		t.Logf("canary held 1.5 s: requests by version %v, v2 %.1f%%", req, 100*share)
		return end(f, ctx)
	}, sp.option())
	lossless(t, f, ev, total)
	return f, ev, total
}

func TestProofCanaryHeldThenPromoted(t *testing.T) {
	f, _, _ := canaryOn(t, (*fleet.Fleet).PromoteCanary)
	if got := liveVersions(f.State()); got["v2"] != 4 || len(got) != 1 {
		t.Fatalf("after the promotion: %v", got)
	}
}

func TestProofCanaryRolledBack(t *testing.T) {
	f, ev, _ := canaryOn(t, (*fleet.Fleet).Rollback)
	if got := liveVersions(f.State()); got["v1"] != 4 || len(got) != 1 {
		t.Fatalf("after the rollback: %v", got)
	}
	if s := f.State(); s.Version != "v1" || s.Rollout.Paused {
		t.Fatalf("after the rollback: version %s, paused %v", s.Version, s.Rollout.Paused)
	}
	if len(ev.of(cluster.Rollback)) != 1 {
		t.Fatalf("rollback events %q", ev.of(cluster.Rollback))
	}
}

func TestProofBadVersionMisbehavesHoweverRolledOut(t *testing.T) {
	f, ev := proofFleet(t, fleet.Replicas(3), fleet.BadVersions("v3"),
		fleet.BadVersion(0.3, cluster.LatencyRange{Min: 20 * time.Millisecond, Max: 40 * time.Millisecond}))
	var sp split
	total := underLoad(t, f, 10*time.Second, func(ctx context.Context) error {
		if err := f.Upgrade(ctx, "v3"); err != nil {
			return err
		}
		req, failed := sp.hold(time.Second)
		share := float64(failed["v3"]) / float64(req["v3"])
		if req["v3"] == 0 || share < 0.2 || share > 0.4 {
			t.Errorf("v3 answered %d requests, %d failed: want about 30%% failed", req["v3"], failed["v3"])
		}
		t.Logf("bad v3 after upgrade=v3: %d of %d requests failed", failed["v3"], req["v3"])
		return nil
	}, sp.option())
	if total.Failed() == 0 {
		ev.log(t)
		t.Fatal("no request failed on the bad version")
	}
	v1 := total.ByVersion["v1"]
	if v1 == nil || v1.Failed != 0 {
		t.Fatalf("v1's requests %+v: want all answered", v1)
	}
	for _, r := range f.State().Replicas {
		if r.Phase.Live() && r.Fault != "bad version" {
			t.Errorf("replica %s of %s shows fault %q, want bad version", r.Name, r.Version, r.Fault)
		}
	}
}
