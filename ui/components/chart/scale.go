package chart

import (
	"math"
	"slices"
)

const (
	// hold is how far past halfway to the next row a line stays on its
	// row, in rows: a steady series with a little jitter around the
	// middle of two rows draws as a straight line.
	hold = 0.2
	// anchorTolerance is how close to a row the median of the first
	// series must fall for a coarser step to be preferred, in rows.
	anchorTolerance = 0.2
	// anchorSteps is how many round steps from the smallest that fits
	// are tried to put the first series' median on a row.
	anchorSteps = 3
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
// (each cut to the chart's columns, oldest first, without padding): from
// 0 to at least floor and the highest value, in a round step per row,
// preferably one that puts the median of the first series on a row.
func scaleFor(data [][]float64, _, rows int, floor float64) axis {
	need := floor
	var anchor float64
	for i, d := range data {
		vals := positive(d)
		if len(vals) == 0 {
			continue
		}
		if i == 0 {
			anchor = quantile(vals, 0.5)
		}
		need = max(need, vals[len(vals)-1])
	}
	steps := max(rows-1, 1)
	step := anchored(niceStep(need/float64(steps)), anchor)
	return axis{step: step, top: step * float64(steps), rows: rows}
}

// anchored is the first of anchorSteps round steps from step on that
// puts anchor within anchorTolerance of a row above the zero row, or
// step.
func anchored(step, anchor float64) float64 {
	if anchor <= 0 {
		return step
	}
	for i, s := 0, step; i < anchorSteps; i, s = i+1, niceStep(s*(1+1e-6)) {
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
