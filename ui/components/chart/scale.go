package chart

import "math"

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
// 0 to at least floor and the highest value, in a round step per row.
func scaleFor(data [][]float64, _, rows int, floor float64) axis {
	need := floor
	for _, d := range data {
		for _, v := range d {
			if !math.IsNaN(v) {
				need = max(need, v)
			}
		}
	}
	steps := max(rows-1, 1)
	step := niceStep(need / float64(steps))
	return axis{step: step, top: step * float64(steps), rows: rows}
}

// rowsOf places each value on the nearest row of a (-1 for NaN).
func (a axis) rowsOf(vals []float64) []int {
	out := make([]int, len(vals))
	for i, v := range vals {
		if math.IsNaN(v) {
			out[i] = -1
			continue
		}
		out[i] = min(max(int(math.Round(v/a.step)), 0), a.rows-1)
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
