//go:build k8se2e

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/scalelab/scalelab/k8s"
)

// TestPodMetricsThroughProxy reads each pod's /metrics through the API
// server's pod proxy while load runs: every pod's request counter is
// there, and rises with the requests it answered.
func TestPodMetricsThroughProxy(t *testing.T) {
	t.Parallel()
	a := newApp(t, 2, "v1", replicaOpts()...)
	d, _ := a.startDriver(t, a.cp.client, k8s.Options{})
	waitBalanced(t, d.Endpoints(), 2, "v1")
	load := startLoad(t, a.url(), d.Endpoints(), 100, 30*time.Second)
	ctx, cancel := context.WithTimeout(runCtx, time.Minute)
	defer cancel()
	live, _ := a.pods(t)
	if len(live) != 2 {
		t.Fatalf("%d pods, want 2", len(live))
	}
	for _, p := range live {
		s, err := d.PodScraper(p.Name, "scalelab_target_requests_total")
		if err != nil {
			t.Fatal(err)
		}
		first, err := s.Scrape(ctx)
		if err != nil {
			t.Fatalf("pod %s: %v", p.Name, err)
		}
		time.Sleep(time.Second)
		next, err := s.Scrape(ctx)
		if err != nil {
			t.Fatalf("pod %s: %v", p.Name, err)
		}
		v0, v := first.Values[0], next.Values[0]
		if v0.Missing || !v.Counter || v.Value <= v0.Value || !v.HasRate || v.Rate < 20 {
			t.Errorf("pod %s through the proxy: %+v then %+v: want its requests rising at about 50/s", p.Name, v0, v)
		}
		t.Logf("%s: %.0f requests, %.1f/s", s.URL(), v.Value, v.Rate)
	}
	load.stop(t)
}
