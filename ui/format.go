package ui

import (
	"fmt"

	"github.com/scalelab/scalelab/ui/components/header"
)

// fmtRate labels a y-axis value in requests per second.
func fmtRate(v float64) string { return header.Num(v) }

// fmtMs labels a y-axis value in milliseconds.
func fmtMs(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.0fs", v/1000)
	case v >= 1000:
		return fmt.Sprintf("%.1fs", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fms", v)
}
