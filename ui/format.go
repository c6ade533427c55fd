package ui

import "github.com/scalelab/scalelab/ui/components/header"

// fmtRate labels a y-axis value in requests per second.
func fmtRate(v float64) string { return header.Num(v) }

// fmtMs labels a y-axis value in milliseconds.
func fmtMs(v float64) string { return header.Ms(v) }
