package canary

import "math"

// PropTest is the one-sided test that the canary's failure proportion
// exceeds the baseline's by more than a tolerance.
//
// It is the z-test of two proportions with pooled variance, shifted by the
// tolerance: z = (p̂c − p̂b − tol) / √(p̄(1−p̄)(1/nc + 1/nb)), with p̄ the
// failures of both over the requests of both, and P = P(Z > z). Pooled,
// because the variance is estimated where the hypothesis to reject puts it
// (both versions failing alike, up to the tolerance, which is a fraction of
// a percent), which keeps it positive as soon as either version failed at
// all, and because it is closed-form, so an interval costs O(1) however
// many requests it holds. (A beta-binomial posterior would need numerical
// integration of incomplete beta functions whose parameters reach 10^9.)
// The edge cases follow from it: no failures on either side, or all
// failures on both, give p̄(1−p̄) = 0 and equal rates, so no evidence
// (P = 1); a side without requests gives no evidence either. Small samples
// make the approximation rough, which the judge avoids by calling an
// interval below min_samples inconclusive before testing.
type PropTest struct {
	// BaselineRate and CanaryRate are the failure proportions (0 without
	// requests), Increase their difference, canary minus baseline.
	BaselineRate float64 `json:"baseline_rate"`
	CanaryRate   float64 `json:"canary_rate"`
	Increase     float64 `json:"increase"`
	// Z is the statistic (0 without evidence), P the one-sided p-value:
	// small when the canary fails more by more than the tolerance.
	Z float64 `json:"z"`
	P float64 `json:"p"`
}

// ErrorIncrease tests whether the canary's failures (failed of requests)
// exceed the baseline's by more than tol, an absolute proportion (0.005 for
// half a percentage point). Failed counts above their requests are taken as
// all of them.
func ErrorIncrease(baseFailed, baseRequests, canFailed, canRequests uint64, tol float64) PropTest {
	baseFailed, canFailed = min(baseFailed, baseRequests), min(canFailed, canRequests)
	t := PropTest{P: 1}
	nb, nc := float64(baseRequests), float64(canRequests)
	if nb > 0 {
		t.BaselineRate = float64(baseFailed) / nb
	}
	if nc > 0 {
		t.CanaryRate = float64(canFailed) / nc
	}
	t.Increase = t.CanaryRate - t.BaselineRate
	if nb == 0 || nc == 0 {
		return t
	}
	pooled := (float64(baseFailed) + float64(canFailed)) / (nb + nc)
	variance := pooled * (1 - pooled) * (1/nb + 1/nc)
	if !(variance > 0) {
		return t
	}
	t.Z = (t.Increase - tol) / math.Sqrt(variance)
	t.P = normalSF(t.Z)
	return t
}
