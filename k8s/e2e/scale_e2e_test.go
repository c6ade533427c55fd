//go:build k8se2e

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/scalelab/scalelab/k8s"
)

// TestScaleUnderLoadLosesNothing scales 4→8→2 through the driver (the
// Deployment's scale subresource) under constant load through the
// endpoint-following balancer: new pods join the endpoints when ready,
// removed ones drain, and no request fails.
func TestScaleUnderLoadLosesNothing(t *testing.T) {
	t.Parallel()
	a := newApp(t, 4, "v1", replicaOpts()...)
	d, events := a.startDriver(t, a.cp.client, k8s.Options{})
	waitBalanced(t, d.Endpoints(), 4, "v1")

	load := startLoad(t, a.url(), d.Endpoints(), 300, 90*time.Second)
	load.waitRequests(t, 300)
	ctx, cancel := context.WithTimeout(runCtx, time.Minute)
	defer cancel()
	for _, n := range []int{8, 2} {
		start := time.Now()
		if err := d.Scale(ctx, n); err != nil {
			t.Fatalf("scale to %d: %v; events:\n%s", n, err, events)
		}
		waitBalanced(t, d.Endpoints(), n, "v1")
		t.Logf("scale to %d took %s", n, time.Since(start).Round(time.Millisecond))
		if got := a.get(t).Spec.Replicas; got == nil || int(*got) != n {
			t.Fatalf("after scale to %d the Deployment wants %v replicas", n, got)
		}
	}
	a.waitConverged(ctx, t, 2, "v1") // the 6 removed pods drained and ended
	res := load.stop(t)
	t.Logf("load: %s", describe(res.Total))
	assertNoLoss(t, res.Total)
	if s := d.State(); s.Desired != 2 || len(d.Endpoints().List()) != 2 {
		t.Errorf("driver state: desired %d, %d endpoints; want 2 and 2", s.Desired, len(d.Endpoints().List()))
	}
}
