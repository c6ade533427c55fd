package chart

import (
	"math"
	"slices"
)

const (
	// outlierShare is the share of a series' visible points above zero
	// that may lie above the axis: a spike shorter than that (6 s of a
	// 60 s window) is clipped instead of flattening everything else.
	// Zeros are left out so that a burst of errors, rare by nature, is
	// not taken for an outlier of its own quiet.
	outlierShare = 0.1
	// clipFactor: when the highest point is at most this many times the
	// height the axis needs without outliers, it is kept on scale (the
	// little height saved is not worth a clipped point).
	clipFactor = 1.5
	// recentShare and minRecent give the latest columns that are always
	// on scale (the last tenth of the window, at least 5): what happens
	// now is never clipped, only what is past.
	recentShare = 0.1
	minRecent   = 5
	// hold is how far past halfway to the next row a line stays on its
	// row, in rows: a steady series with a little jitter around the
	// middle of two rows draws as a straight line.
	hold = 0.2
	// anchorTolerance is how close to a row the median of the first
	// series must fall for a coarser step to be preferred, in rows.
	anchorTolerance = 0.2
	// anchorWaste is how much coarser than the smallest round step that
	// fits a step may be to put the first series' median on a row (the
	// next round step, when it is at most 25% coarser).
	anchorWaste = 1.25
)

// axis is the y-axis of a plot: rows-1 steps of step from 0 to top.
type axis struct {
	step, top float64
	rows      int
}

// value is the value at row r (0 at the bottom).
func (a axis) value(r int) float64 { return float64(r) * a.step }

// clipped reports a value above the axis.
func (a axis) clipped(v float64) bool { return v > a.top*(1+1e-9) }

// scaleFor chooses the axis of rows rows for the series' visible values
// (each cut to the chart's columns, oldest first, without padding) over
// cols columns: from 0 to at least floor, high enough for all but the
// highest outlierShare of each series' points above zero (all of them
// when the rest are not much higher) and for every point of the latest
// columns, in a round step per row, preferably one that puts the median
// of the first series on a row.
func scaleFor(data [][]float64, cols, rows int, floor float64) axis {
	need := floor
	recent := max(minRecent, int(math.Ceil(float64(cols)*recentShare)))
	var anchor, highest float64
	for i, d := range data {
		vals := positive(d)
		if len(vals) == 0 {
			continue
		}
		if i == 0 {
			anchor = quantile(vals, 0.5)
		}
		highest = max(highest, vals[len(vals)-1])
		need = max(need, quantile(vals, 1-outlierShare))
		for _, v := range d[max(len(d)-recent, 0):] {
			if !math.IsNaN(v) {
				need = max(need, v)
			}
		}
	}
	if highest <= need*clipFactor {
		need = max(need, highest)
	}
	steps := max(rows-1, 1)
	step := anchored(niceStep(need/float64(steps)), anchor)
	return axis{step: step, top: step * float64(steps), rows: rows}
}

// anchored is step or, failing it, the next round step if at most
// anchorWaste coarser, whichever first puts anchor within
// anchorTolerance of a row above the zero row; else step.
func anchored(step, anchor float64) float64 {
	if anchor <= 0 {
		return step
	}
	for s := step; s <= step*anchorWaste*(1+1e-9); s = niceStep(s * (1 + 1e-6)) {
		if f := anchor / s; f >= 1-anchorTolerance && math.Abs(f-math.Round(f)) <= anchorTolerance {
			return s
		}
	}
	return step
}

// rowsOf places each value on a row of a (-1 for NaN): the nearest row,
// except that a line stays on its row while the value is within hold
// past halfway to the next one; zero is always row 0 and a line leaves
// row 0 as soon as it rounds above it. Values above the axis go on its
// top row.
func (a axis) rowsOf(vals []float64) []int {
	out := make([]int, len(vals))
	prev := -1
	for i, v := range vals {
		if math.IsNaN(v) {
			out[i], prev = -1, -1
			continue
		}
		f := v / a.step
		r := int(math.Round(f))
		if prev > 0 && v > 0 && math.Abs(f-float64(prev)) <= 0.5+hold {
			r = prev
		}
		r = min(max(r, 0), a.rows-1)
		out[i], prev = r, r
	}
	return out
}

// niceStep rounds x up to 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a
// power of ten: round labels without much wasted height.
func niceStep(x float64) float64 {
	if x <= 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8} {
		if x <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// positive returns the values above zero, sorted.
func positive(vals []float64) []float64 {
	out := make([]float64, 0, len(vals))
	for _, v := range vals {
		if v > 0 {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// quantile is the q-quantile of sorted, non-empty values: the smallest
// value at least a share q of them are at or below.
func quantile(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
