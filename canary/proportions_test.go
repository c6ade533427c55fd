package canary

import (
	"math"
	"testing"
)

// TestErrorIncrease checks the pooled z-test against a reference written
// in Python (scipy.stats.norm.sf of the same statistic), and its edge
// cases.
func TestErrorIncrease(t *testing.T) {
	const tol = 0.005
	for _, tc := range []struct {
		name                   string
		bf, bn, cf, cn         uint64
		z, p                   float64 // reference
		baseRate, canRate, inc float64
	}{
		{"30% vs 0.1%", 1, 1000, 60, 200, 17.279301069645765, 3.3679659783085976e-67, 0.001, 0.3, 0.299},
		{"1% vs 0, 200 requests: not significant", 0, 1000, 2, 200, 1.5824580950864093, 0.056772515699541233, 0, 0.01, 0.01},
		{"within the tolerance", 10, 1000, 14, 1000, -0.20536002420422678, 0.5813545746566966, 0.01, 0.014, 0.004},
		{"30% vs none", 0, 300, 90, 300, 10.118416523408021, 2.2888064583266283e-24, 0, 0.3, 0.3},
		{"alike", 5, 1000, 5, 1000, -1.5851065623706033, 0.94352893757984158, 0.005, 0.005, 0},
		{"n small: all of 5 vs none of 5", 0, 5, 5, 5, 3.1464662718675371, 0.00082628160193579331, 0, 1, 1},
		// No variance: no evidence.
		{"no failures", 0, 1000, 0, 1000, 0, 1, 0, 0, 0},
		{"all failures", 300, 300, 200, 200, 0, 1, 1, 1, 0},
		{"no canary requests", 3, 1000, 0, 0, 0, 1, 0.003, 0, -0.003},
		{"no baseline requests", 0, 0, 10, 10, 0, 1, 0, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ErrorIncrease(tc.bf, tc.bn, tc.cf, tc.cn, tol)
			if !near(got.Z, tc.z, 1e-9) || !near(got.P, tc.p, 1e-9) {
				t.Errorf("z %.17g p %.17g, want %.17g %.17g", got.Z, got.P, tc.z, tc.p)
			}
			if math.Abs(got.BaselineRate-tc.baseRate) > 1e-15 || math.Abs(got.CanaryRate-tc.canRate) > 1e-15 ||
				math.Abs(got.Increase-tc.inc) > 1e-15 {
				t.Errorf("rates %g, %g (+%g), want %g, %g (+%g)", got.BaselineRate, got.CanaryRate, got.Increase,
					tc.baseRate, tc.canRate, tc.inc)
			}
		})
	}
}

// TestErrorIncreaseFailedOverRequests: failed counts above their requests
// (a caller's bad counts) are taken as all of them.
func TestErrorIncreaseFailedOverRequests(t *testing.T) {
	if got, want := ErrorIncrease(0, 100, 20, 10, 0.005), ErrorIncrease(0, 100, 10, 10, 0.005); got != want || got.CanaryRate != 1 {
		t.Errorf("20 of 10 failed: %+v, want as 10 of 10: %+v", got, want)
	}
}
