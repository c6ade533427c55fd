package canary

import (
	"math"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/scalelab/scalelab/engine"
)

// hist records each value (microseconds) into an engine histogram.
func hist(t testing.TB, values []int64) *hdrhistogram.Histogram {
	t.Helper()
	h := engine.NewHistogram()
	for _, v := range values {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// counts records n[v] values v into an engine histogram.
func counts(t testing.TB, n map[int64]int64) *hdrhistogram.Histogram {
	t.Helper()
	h := engine.NewHistogram()
	for v, c := range n {
		if err := h.RecordValues(v, c); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// span is lo, lo+1, ..., hi.
func span(lo, hi int64) []int64 {
	out := make([]int64, 0, hi-lo+1)
	for v := lo; v <= hi; v++ {
		out = append(out, v)
	}
	return out
}

// expand lists n[v] times each value v.
func expand(n map[int64]int64) []int64 {
	var out []int64
	for v, c := range n {
		for range c {
			out = append(out, v)
		}
	}
	return out
}

// near reports a and b equal to a relative tolerance rel (absolute below
// 1e-300).
func near(a, b, rel float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}

// hdrNew records values into a histogram of another geometry than the
// engine's (1 µs to 10 s, 2 digits: values below 256 are exact).
func hdrNew(t testing.TB, values []int64) *hdrhistogram.Histogram {
	t.Helper()
	h := hdrhistogram.New(1, 10_000_000, 2)
	for _, v := range values {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	return h
}
