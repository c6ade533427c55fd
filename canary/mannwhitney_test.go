package canary

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/scalelab/scalelab/engine"
)

// naiveU is the reference: the canary's U by comparing every pair of raw
// values (O(n²)), the tie term from the sorted pooled values, and the same
// normal approximation as scipy.stats.mannwhitneyu (asymptotic, with
// continuity correction), written out independently of uTest.
func naiveU(base, can []int64) (u, pSlower, pTwo float64) {
	for _, c := range can {
		for _, b := range base {
			switch {
			case c > b:
				u++
			case c == b:
				u += 0.5
			}
		}
	}
	pooled := slices.Sorted(slices.Values(append(slices.Clone(base), can...)))
	var ties float64
	for i := 0; i < len(pooled); {
		j := i
		for j < len(pooled) && pooled[j] == pooled[i] {
			j++
		}
		g := float64(j - i)
		ties += g*g*g - g
		i = j
	}
	n1, n2 := float64(len(base)), float64(len(can))
	n := n1 + n2
	sd := math.Sqrt(n1 * n2 / 12 * (n + 1 - ties/(n*(n-1))))
	mean := n1 * n2 / 2
	pSlower = 0.5 * math.Erfc((u-mean-0.5)/sd/math.Sqrt2)
	pTwo = math.Min(1, math.Erfc((math.Abs(u-mean)-0.5)/sd/math.Sqrt2))
	return u, pSlower, pTwo
}

// TestMannWhitneyKnownData checks the test against scipy 1.10's
// mannwhitneyu(canary, baseline, method="asymptotic",
// use_continuity=True), alternative "greater" and "two-sided", on small
// known datasets (values in µs, each its own bucket below 2048 µs).
func TestMannWhitneyKnownData(t *testing.T) {
	for _, tc := range []struct {
		name          string
		base, can     []int64
		u             float64
		pSlower, pTwo float64 // scipy
	}{
		// Identical distributions: U = n1·n2/2, the one-sided p is just above
		// 1/2 (the continuity correction), the two-sided 1.
		{"identical", span(100, 299), span(100, 299), 20000, 0.50017253315706434, 1},
		// Shifted by 50 of 200: both p-values tiny.
		{"shifted", span(1, 200), span(51, 250), 28750, 1.8966954120113024e-14, 3.7933908240226049e-14},
		// Faster canary: not slower (one-sided ≈ 1), but different.
		{"faster", span(51, 250), span(1, 200), 11250, 0.99999999999998113, 3.7933908240226049e-14},
		// Three tied values with different weights.
		{"ties", expand(map[int64]int64{100: 30, 200: 50, 300: 20}), expand(map[int64]int64{100: 10, 200: 40, 300: 50}),
			6850, 5.3412697607621467e-07, 1.0682539521524293e-06},
		// Small samples (the approximation is rough here, but must match).
		{"small", []int64{1, 2, 3, 4, 5}, []int64{3, 4, 5, 6, 7, 8}, 25.5, 0.033007715760615501, 0.066015431521231002},
		// Every value tied: no evidence.
		{"all ties", expand(map[int64]int64{500: 50}), expand(map[int64]int64{500: 60}), 1500, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MannWhitney(hist(t, tc.base), hist(t, tc.can))
			if got.U != tc.u || !near(got.PSlower, tc.pSlower, 1e-9) || !near(got.P, tc.pTwo, 1e-9) {
				t.Errorf("U %g p_slower %.17g p %.17g; scipy: U %g p_slower %.17g p %.17g",
					got.U, got.PSlower, got.P, tc.u, tc.pSlower, tc.pTwo)
			}
			if want := tc.u / float64(len(tc.base)*len(tc.can)); got.CLES != want {
				t.Errorf("CLES %g, want %g", got.CLES, want)
			}
			if got.N1 != float64(len(tc.base)) || got.N2 != float64(len(tc.can)) {
				t.Errorf("n %g, %g; want %d, %d", got.N1, got.N2, len(tc.base), len(tc.can))
			}
		})
	}
}

// TestMannWhitneyMatchesNaive compares the rank sums over buckets with
// the pairwise reference on random samples with many ties.
func TestMannWhitneyMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		n1, n2 := 1+rng.IntN(400), 1+rng.IntN(400)
		spread, shift := 1+rng.Int64N(2000), rng.Int64N(50)
		base, can := make([]int64, n1), make([]int64, n2)
		for k := range base {
			base[k] = rng.Int64N(spread)
		}
		for k := range can {
			can[k] = min(rng.Int64N(spread)+shift, 2047) // one bucket a value
		}
		u, pSlower, pTwo := naiveU(base, can)
		got := MannWhitney(hist(t, base), hist(t, can))
		if spread == 1 && shift == 0 { // all tied: variance 0
			pSlower, pTwo = 1, 1
		}
		if got.U != u || !near(got.PSlower, pSlower, 1e-9) || !near(got.P, pTwo, 1e-9) {
			t.Errorf("case %d (n %d, %d, spread %d, shift %d): U %g p_slower %g p %g; naive U %g p_slower %g p %g",
				i, n1, n2, spread, shift, got.U, got.PSlower, got.P, u, pSlower, pTwo)
		}
	}
}

// TestMannWhitneyEdges: an empty side (or a nil histogram) and huge
// counts.
func TestMannWhitneyEdges(t *testing.T) {
	some := hist(t, span(1, 300))
	for name, got := range map[string]UTest{
		"empty canary":   MannWhitney(some, hist(t, nil)),
		"empty baseline": MannWhitney(hist(t, nil), some),
		"nil":            MannWhitney(nil, nil),
	} {
		if got.U != 0 || got.CLES != 0 || got.P != 1 || got.PSlower != 1 || got.Z != 0 {
			t.Errorf("%s: %+v, want U 0, CLES 0, p 1: no evidence", name, got)
		}
	}
	// 2·10⁹ values a side, 10⁹ a bucket: the reference is exact integer
	// arithmetic (Python ints and Fractions) for U and the tie term, then
	// the same normal approximation.
	for _, tc := range []struct {
		name              string
		base, can         map[int64]int64
		u, z, pSlow, pTwo float64
	}{
		{"10⁵ of 10⁹ moved up", map[int64]int64{1000: 1e9, 2000: 1e9}, map[int64]int64{1000: 1e9 - 1e5, 2000: 1e9 + 1e5},
			2.0001e+18, 3.1622776637259262, 0.0007827011194384054, 0.0015654022388768107},
		{"identical", map[int64]int64{1000: 1e9, 2000: 1e9, 3000: 1e9}, map[int64]int64{1000: 1e9, 2000: 1e9, 3000: 1e9},
			4.5e+18, -7.90569414976214e-15, 0.5000000000000031, 1},
	} {
		got := MannWhitney(counts(t, tc.base), counts(t, tc.can))
		if !near(got.U, tc.u, 1e-15) || !near(got.PSlower, tc.pSlow, 1e-6) || !near(got.P, tc.pTwo, 1e-6) || math.Abs(got.Z-tc.z) > 1e-6 {
			t.Errorf("%s: U %g z %g p_slower %g p %g; want U %g z %g p_slower %g p %g",
				tc.name, got.U, got.Z, got.PSlower, got.P, tc.u, tc.z, tc.pSlow, tc.pTwo)
		}
	}
}

// TestMannWhitneyOtherGeometry: a histogram of another geometry is
// re-bucketed into the engine's, so it compares with an engine one.
func TestMannWhitneyOtherGeometry(t *testing.T) {
	other := hdrNew(t, span(100, 199))
	got := MannWhitney(hist(t, span(100, 199)), other)
	if got.U != 5000 || got.P != 1 {
		t.Errorf("same values in another geometry: U %g p %g, want 5000 and 1", got.U, got.P)
	}
}

// TestEngineGeometry: the packed histograms are of the engine's geometry.
func TestEngineGeometry(t *testing.T) {
	h, p := engine.NewHistogram(), newPacked()
	if h.LowestTrackableValue() != p.LowestTrackableValue() || h.HighestTrackableValue() != p.HighestTrackableValue() ||
		h.SignificantFigures() != p.SignificantFigures() {
		t.Fatalf("packed %d..%d at %d digits, engine %d..%d at %d", p.LowestTrackableValue(), p.HighestTrackableValue(),
			p.SignificantFigures(), h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures())
	}
}
