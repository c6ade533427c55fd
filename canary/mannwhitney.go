package canary

import (
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// UTest is the Mann-Whitney U test of a canary's latency against its
// baseline's, computed from their histograms: every value in a bucket is a
// tie at the bucket's value.
//
// The p-values come from the normal approximation with the tie correction
// and a continuity correction of 1/2 (as scipy.stats.mannwhitneyu with
// method="asymptotic", use_continuity=True). It is accurate once both
// sides hold about 20 values or more (the error of the p-value is then
// well under 0.01 near alpha = 0.05); with fewer, and no ties, an exact
// test would be better, but the judge never reaches the test below
// min_samples requests (200 by default).
type UTest struct {
	// N1 and N2 are the baseline's and the canary's counts.
	N1, N2 float64 `json:"-"`
	// U is the canary's U statistic: the pairs (canary value, baseline
	// value) where the canary's is larger, ties counting one half. It is
	// N1·N2/2 when the two distributions are alike.
	U float64 `json:"u"`
	// CLES is the common-language effect size U/(N1·N2): the probability
	// that a request of the canary is slower than one of the baseline
	// (ties counting one half); 0.5 when alike, 0 with an empty side.
	CLES float64 `json:"cles"`
	// Z is the standardized statistic of the one-sided test, continuity
	// corrected (0 when the variance is 0).
	Z float64 `json:"z"`
	// P is the two-sided p-value (the distributions differ); PSlower the
	// one-sided p-value (the canary is slower). Both are 1 when there is no
	// evidence: an empty side, or every value tied.
	P       float64 `json:"p"`
	PSlower float64 `json:"p_slower"`
}

// MannWhitney tests a canary's latency histogram against its baseline's
// (nil ones are empty). A histogram of another geometry than
// engine.NewHistogram's is re-bucketed into it first, so any two compare.
// Counts are summed in float64: exact up to 2^53 values a bucket, and the
// statistic's terms never overflow.
func MannWhitney(baseline, canary *hdrhistogram.Histogram) UTest {
	return uTest(countsOf(baseline), countsOf(canary))
}

// countsOf returns h's bucket counts in engine.NewHistogram's geometry,
// indexed in value order (nil for an empty or nil h): a copy, or for
// another geometry its values re-recorded into it.
func countsOf(h *hdrhistogram.Histogram) []int64 {
	if h == nil || h.TotalCount() == 0 {
		return nil
	}
	return engineHist(h).Export().Counts
}

// engineHist returns h when of engine.NewHistogram's geometry, else a new
// histogram of it with h's buckets re-recorded at their values.
func engineHist(h *hdrhistogram.Histogram) *hdrhistogram.Histogram {
	if h.LowestTrackableValue() == histLowest && h.HighestTrackableValue() == histHighest &&
		h.SignificantFigures() == histSigFigs {
		return h
	}
	p := newPacked()
	p.MergeFrom(h)
	e := hdrhistogram.New(histLowest, histHighest, histSigFigs)
	p.MergeInto(e)
	return e
}

// The geometry of engine.NewHistogram's histograms (a test checks it):
// microseconds from 1 µs to one hour at three significant digits.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histSigFigs = 3
)

// newPacked returns an empty packed histogram of engine.NewHistogram's
// geometry.
func newPacked() *hdrhistogram.PackedHistogram {
	return hdrhistogram.NewPacked(histLowest, histHighest, histSigFigs)
}

// uTest computes the test from the two sides' bucket counts (of one
// geometry, so one index is one value on both sides; nil for an empty
// side) in one walk: for every bucket, the canary's count times the
// baseline's values below it plus half those tied.
func uTest(base, can []int64) UTest {
	var t UTest
	end := 0 // past the last bucket in use on either side
	for i, n := range base {
		if n > 0 {
			t.N1 += float64(n)
			end = i + 1
		}
	}
	for i, n := range can {
		if n > 0 {
			t.N2 += float64(n)
			end = max(end, i+1)
		}
	}
	t.P, t.PSlower = 1, 1
	if t.N1 == 0 || t.N2 == 0 {
		return t
	}
	var below, ties float64 // baseline values below the walk; Σ(g³−g) over tied groups
	for i := range min(end, len(base), len(can)) {
		if base[i] == 0 && can[i] == 0 {
			continue
		}
		nb, nc := float64(base[i]), float64(can[i])
		t.U += nc * (below + nb/2)
		below += nb
		if g := nb + nc; g > 1 {
			ties += (g - 1) * g * (g + 1) // g³−g without cubing a large g first
		}
	}
	n := t.N1 + t.N2
	t.CLES = t.U / (t.N1 * t.N2)
	mean := t.N1 * t.N2 / 2
	variance := t.N1 * t.N2 / 12 * ((n + 1) - ties/(n*(n-1)))
	if !(variance > 0) {
		return t // every value tied: no evidence either way
	}
	sd := math.Sqrt(variance)
	t.Z = (t.U - mean - 0.5) / sd
	t.PSlower = normalSF(t.Z)
	zTwo := (math.Abs(t.U-mean) - 0.5) / sd
	t.P = min(1, 2*normalSF(zTwo))
	return t
}

// normalSF is the standard normal distribution's survival function
// P(Z > z).
func normalSF(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }
