package canary

import (
	"fmt"
	"strconv"
)

// millis writes a latency in milliseconds to three significant digits
// (0.412, 4.12, 12.1, 382), at most to the microsecond.
func millis(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// times writes a ratio: 1.02×, 3.2× (two decimals below 2, one above).
func times(v float64) string {
	if v < 2 {
		return strconv.FormatFloat(v, 'f', 2, 64) + "×"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "×"
}

// percent writes a proportion as a percentage: 0.10%, 30.1%.
func percent(v float64) string {
	if v >= 0.1 {
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(v*100, 'f', 2, 64) + "%"
}

// pp writes a difference of proportions in percentage points, to three
// significant digits: 0.5, 29.9.
func pp(v float64) string { return strconv.FormatFloat(v*100, 'g', 3, 64) }

// pValue writes a p-value as "p < 0.001" or "p = 0.012".
func pValue(name string, p float64) string {
	if p < 0.001 {
		return name + " < 0.001"
	}
	return fmt.Sprintf("%s = %.3f", name, p)
}
