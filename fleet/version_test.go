package fleet_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/fleet"
)

// TestProofRolloutSplitByVersion: under load during a rolling upgrade from
// v1 to v2 (one of the new replicas failing some answers), the engine
// splits its counts by the version that answered, exactly as the replicas
// of each version served them, and the summary reports both versions.
func TestProofRolloutSplitByVersion(t *testing.T) {
	f, ev := proofFleet(t, fleet.Replicas(2))
	total := underLoad(t, f, 10*time.Second, func(ctx context.Context) error {
		if err := f.Upgrade(ctx, "v2"); err != nil {
			return err
		}
		// v2 fails a share of its answers for a moment: errors by version.
		if err := f.Inject(ctx, cluster.Fault{Kind: cluster.FaultErrors, Count: 1, ErrorRate: 0.5}); err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond)
		return nil
	})
	if got := total.Versions(); !slices.Equal(got, []string{"v1", "v2"}) {
		ev.log(t)
		t.Fatalf("versions %v, want v1 and v2", got)
	}
	served := f.StatsByVersion()
	var sum uint64
	for _, v := range []string{"v1", "v2"} {
		vs, st := total.ByVersion[v], served[v]
		if vs.Requests == 0 || vs.Requests != st.Served || vs.Failed != st.Errors {
			t.Errorf("%s: the engine counted %d requests, %d failed; its replicas served %d, %d errors",
				v, vs.Requests, vs.Failed, st.Served, st.Errors)
		}
		if uint64(vs.Latency.TotalCount()) != vs.Requests {
			t.Errorf("%s: %d latencies for %d requests", v, vs.Latency.TotalCount(), vs.Requests)
		}
		sum += vs.Requests
	}
	// Every request was answered by a replica (the drain loses nothing and
	// the balancer answered none itself): the versions sum to the total.
	if noVersion := total.Requests - sum; noVersion != total.Status[502]+total.TotalErrors() || sum != f.Stats().Served {
		t.Fatalf("versions sum to %d of %d requests (502 %d, errors %v), replicas served %d",
			sum, total.Requests, total.Status[502], total.Errors, f.Stats().Served)
	}
	if total.ByVersion["v2"].Failed == 0 || total.ByVersion["v1"].Failed != 0 {
		t.Fatalf("failures by version: v1 %d, v2 %d; want only v2's", total.ByVersion["v1"].Failed, total.ByVersion["v2"].Failed)
	}
	s := engine.Summarize(total, 1)
	if v1, v2 := s.ByVersion["v1"], s.ByVersion["v2"]; v1.Availability != 1 || v2.Availability >= 1 || v2.Availability <= 0 ||
		v1.LatencyMs.P50 < 10 || v2.LatencyMs.P50 < 10 {
		t.Fatalf("summary by version %+v", s.ByVersion)
	}
	t.Logf("by version: v1 %+v, v2 %+v", s.ByVersion["v1"], s.ByVersion["v2"])
}
