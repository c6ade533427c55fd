package session

import (
	"testing"

	"github.com/scalelab/scalelab/canary"
)

// TestCanarySinkStepConfig: the canary step judged takes the analysis
// CanaryStepConfig gave its label (a plan step's analysis block), here
// 5 samples where the default wants 200, so a sparse canary is judged and
// promoted; another step's analysis leaves the sink's own.
func TestCanarySinkStepConfig(t *testing.T) {
	sparse := []load{{version: "v1", rps: 300, lat: steady}, {version: "v2", rps: 5, lat: steady}}
	few := canaryConfig()
	few.MinSamples = 5
	for _, tc := range []struct {
		name     string
		label    string
		decision canary.Action
	}{
		{"its own", canaryStep.Label(), canary.Promote},
		{"another step's", "other", canary.InconclusiveDecision},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewCanary(canaryConfig(), CanaryStepConfig(tc.label, few))
			res, _ := runCanary(t, s, nil, canaryTicks(t, 7, sparse...))
			if c := res.Canary; c == nil || c.Decision.Action != tc.decision {
				t.Fatalf("canary %+v, want the decision %s", c, tc.decision)
			}
		})
	}
}
