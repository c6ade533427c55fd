// Package scrapes renders the scrapes of the targets' Prometheus
// endpoints under the charts: a line an endpoint, with a sparkline and
// the latest figure of its CPU, its RSS, and each named metric (a
// counter's rate), "—" for what was not measured, and a failing
// endpoint's short error.
package scrapes

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/probes/scrape"
	"github.com/scalelab/scalelab/ui/common"
)

// MaxRows bounds the lines under the charts.
const MaxRows = 2

// sparkWidth is a sparkline's width at full width; none below wide.
const (
	sparkWidth = 12
	wide       = 100
)

// Rows is the number of lines View renders for eps: one an endpoint, at
// most max.
func Rows(eps []scrape.Endpoint, max int) int { return min(len(eps), max) }

// View renders a line an endpoint, at most max, each cut to w.
func View(st *common.Styles, eps []scrape.Endpoint, w, max int) []string {
	var out []string
	for i, e := range eps {
		if i == max {
			break
		}
		out = append(out, ansi.Truncate(line(st, e, w), w, "…"))
	}
	return out
}

// line is an endpoint's line.
func line(st *common.Styles, e scrape.Endpoint, w int) string {
	spark := 0
	if w >= wide {
		spark = sparkWidth
	}
	head := st.Bold.Render("scrape") + " " + st.Dim.Render(shortURL(e.URL)) + " "
	switch {
	case e.OK == 0 && e.Failed == 0:
		return head + st.Dim.Render("not scraped yet")
	case e.OK == 0 || e.Failing:
		return head + st.Bad.Render("✗ "+e.LastError) + st.Dim.Render(fmt.Sprintf(" (%d failed)", e.Failed))
	}
	parts := []string{
		"cpu " + sparkline(e.CPUSeries, spark) + figure(e.CPUSeries, func(v float64) string { return fmt.Sprintf("%.2f cores", v) }),
		"rss " + sparkline(e.RSSSeries, spark) + figure(e.RSSSeries, bytesText),
	}
	for _, m := range e.Metrics {
		switch {
		case m.Missing:
			parts = append(parts, m.Name+" "+st.Dim.Render("not in the exposition"))
		case m.Counter:
			parts = append(parts, m.Name+" "+figure(m.Series, func(v float64) string { return fmt.Sprintf("%.3g/s", v) }))
		default:
			parts = append(parts, m.Name+" "+figure(m.Series, func(v float64) string { return fmt.Sprintf("%.4g", v) }))
		}
	}
	return head + strings.Join(parts, "  ")
}

// figure is the series' latest value as format writes it, "—" when it
// was not measured.
func figure(series []float64, format func(float64) string) string {
	if len(series) == 0 || math.IsNaN(series[len(series)-1]) {
		return "—"
	}
	return format(series[len(series)-1])
}

// bars are the sparkline's levels.
var bars = []rune("▁▂▃▄▅▆▇█")

// sparkline is the latest n values of series as bars from 0 to their
// maximum (a space where not measured), and a space; "" when n is 0
// or nothing was measured.
func sparkline(series []float64, n int) string {
	if n == 0 {
		return ""
	}
	if len(series) > n {
		series = series[len(series)-n:]
	}
	top, any := 0.0, false
	for _, v := range series {
		if !math.IsNaN(v) {
			top, any = max(top, v), true
		}
	}
	if !any {
		return "" // nothing measured: the figure's "—" says it
	}
	var b strings.Builder
	for range n - len(series) {
		b.WriteRune(' ')
	}
	for _, v := range series {
		switch {
		case math.IsNaN(v):
			b.WriteRune(' ')
		case top <= 0:
			b.WriteRune(bars[0])
		default:
			b.WriteRune(bars[min(int(v/top*float64(len(bars)-1)+0.5), len(bars)-1)])
		}
	}
	return b.String() + " "
}

// shortURL is the URL without its scheme.
func shortURL(u string) string {
	u, _ = strings.CutPrefix(u, "http://")
	return u
}

// bytesText is a size in MB.
func bytesText(b float64) string { return fmt.Sprintf("%.1f MB", b/1e6) }
