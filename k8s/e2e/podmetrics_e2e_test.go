//go:build k8se2e

package e2e

import (
	"context"
	"strings"
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

// TestPodUsageInState: while load runs, the driver's state carries each
// pod's usage read through the pod proxy (the demo service's busy time and
// requests in flight: the pods run in this test's process, so their
// /metrics have no process CPU of their own), and one note for each
// source this control plane lacks: metrics.k8s.io (no metrics-server) and
// cAdvisor (no real kubelet behind the node proxy).
func TestPodUsageInState(t *testing.T) {
	t.Parallel()
	a := newApp(t, 2, "v1", replicaOpts()...)
	d, _ := a.startDriver(t, a.cp.client, k8s.Options{})
	waitBalanced(t, d.Endpoints(), 2, "v1")
	load := startLoad(t, a.url(), d.Endpoints(), 100, 30*time.Second)
	defer load.stop(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := d.State()
		busy := 0
		for _, r := range s.Replicas {
			if r.Usage != nil && r.Usage.BusyKnown && r.Usage.Busy > 0 && strings.Contains(r.Usage.Source, "/metrics") {
				busy++
			}
		}
		notes := strings.Join(s.UsageNotes, "\n")
		if busy == 2 && strings.Contains(notes, "metrics.k8s.io not served") && strings.Contains(notes, "cAdvisor throttling not read from node scalelab-e2e-node: its kubelet did not answer") {
			for _, r := range s.Replicas {
				t.Logf("%s: %+v", r.Name, *r.Usage)
			}
			t.Logf("notes:\n%s", notes)
			return
		}
		if time.Now().After(deadline) {
			for _, r := range s.Replicas {
				t.Logf("%s: usage %+v", r.Name, r.Usage)
			}
			t.Fatalf("%d of 2 pods with busy time from their /metrics; notes:\n%s\nwant both, and notes for metrics.k8s.io and cAdvisor", busy, notes)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
