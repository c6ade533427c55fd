// Package chart is a scrolling line chart of one or more series over time,
// drawn with asciigraph, with vertical marker lines at chosen columns.
//
// Column i of the data is drawn at screen column AxisWidth+i of the chart, in
// every chart, so that charts stacked above each other and a marker row
// below them line up.
package chart

import (
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/guptarohit/asciigraph"
	"github.com/scalelab/scalelab/ui/common"
)

const (
	// labelWidth is the width of the y-axis value labels.
	labelWidth = 7
	// AxisWidth is the number of columns left of the first data column: a
	// space, the value labels and the axis line.
	AxisWidth = labelWidth + 1
	// markGlyph draws a marker line through empty chart cells.
	markGlyph = "┊"
)

// Series is one line of the chart.
type Series struct {
	// Name is shown in the legend.
	Name string
	// Values are one per column, oldest first; NaN leaves a gap.
	Values []float64
}

// Model is a chart. Create it with New, size it with SetSize and fill it
// with SetData.
type Model struct {
	title  string
	unit   string
	format func(float64) string
	floor  float64
	styles *common.Styles
	width  int
	height int
	series []Series
	marks  []int
	note   string
}

// New returns a chart titled title whose values are in unit, labelled on
// the y-axis by format (at most 7 cells). The y-axis runs from 0 to at
// least floor.
func New(styles *common.Styles, title, unit string, format func(float64) string, floor float64) Model {
	return Model{title: title, unit: unit, format: format, floor: floor, styles: styles}
}

// SetSize sets the chart's size, its title line included.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// Height is the chart's height, its title line included.
func (m Model) Height() int { return m.height }

// Columns is the number of data columns the chart shows.
func (m Model) Columns() int { return max(m.width-AxisWidth, 2) }

// SetData replaces the series and the columns that get a marker line.
func (m *Model) SetData(series []Series, marks []int) {
	m.series, m.marks = series, marks
}

// SetNote sets a short text shown at the right of the title line.
func (m *Model) SetNote(s string) { m.note = s }

// View renders the chart: a title line with the legend, then the plot.
func (m Model) View() string {
	if m.width <= AxisWidth || m.height < 3 {
		return ""
	}
	lines := []string{m.titleLine()}
	lines = append(lines, m.plot()...)
	return strings.Join(lines, "\n")
}

// titleLine is the title, the unit and a legend item per series.
func (m Model) titleLine() string {
	st := m.styles
	parts := []string{st.Title.Render(m.title) + st.Dim.Render(" ("+m.unit+")")}
	for i, s := range m.series {
		parts = append(parts, m.seriesStyle(i).Render(m.seriesChar(i))+" "+s.Name)
	}
	line := strings.Join(parts, "   ")
	if m.note != "" {
		gap := m.width - lipgloss.Width(line) - lipgloss.Width(m.note)
		if gap >= 2 {
			line += strings.Repeat(" ", gap) + st.Dim.Render(m.note)
		}
	}
	return ansi.Truncate(line, m.width, "…")
}

// seriesChar is the legend's sample of series i's line.
func (m Model) seriesChar(i int) string {
	if c := m.charSet(i); c != "" {
		return c + c
	}
	return "──"
}

// charSet is series i's line character when colour cannot tell series
// apart, or "" for the default box-drawing line.
func (m Model) charSet(i int) string {
	if m.styles.Color || i >= len(m.styles.SeriesChars) {
		return ""
	}
	return m.styles.SeriesChars[i]
}

func (m Model) seriesStyle(i int) lipgloss.Style {
	return m.styles.SeriesStyle[i%len(m.styles.SeriesStyle)]
}

// plot renders the plot area: exactly height-1 lines of exactly width
// cells.
func (m Model) plot() []string {
	rows := m.height - 1
	cols := m.Columns()
	data := make([][]float64, 0, len(m.series))
	for _, s := range m.series {
		data = append(data, fit(s.Values, cols))
	}
	if len(data) == 0 {
		data = append(data, fit(nil, cols))
	}
	top := m.floor
	for _, d := range data {
		for _, v := range d {
			if !math.IsNaN(v) && v > top {
				top = v
			}
		}
	}
	// A round step per row gives round axis labels.
	upper := niceStep(top/float64(rows-1)) * float64(rows-1)
	opts := []asciigraph.Option{
		asciigraph.Height(rows - 1),
		asciigraph.LowerBound(0),
		asciigraph.UpperBound(upper),
		asciigraph.Offset(2),
		asciigraph.YAxisValueFormatter(m.label),
	}
	if len(m.styles.Series) > 0 {
		opts = append(opts, asciigraph.SeriesColors(m.styles.Series...))
	} else {
		var sets []asciigraph.CharSet
		for i := range data {
			if c := m.charSet(i); c != "" {
				sets = append(sets, asciigraph.CreateCharSet(c))
			} else {
				sets = append(sets, asciigraph.DefaultCharSet)
			}
		}
		opts = append(opts, asciigraph.SeriesChars(sets...))
	}
	lines := strings.Split(asciigraph.PlotMany(data, opts...), "\n")
	out := make([]string, rows)
	for i := range out {
		line := ""
		if i < len(lines) {
			line = lines[i]
		}
		out[i] = m.markLine(padTo(line, m.width))
	}
	return out
}

// label formats a y-axis value to exactly labelWidth cells.
func (m Model) label(v float64) string {
	s := m.format(v)
	if w := ansi.StringWidth(s); w < labelWidth {
		s = strings.Repeat(" ", labelWidth-w) + s
	}
	return ansi.Truncate(s, labelWidth, "")
}

// markLine draws the marker lines through the empty cells of one plot line.
func (m Model) markLine(line string) string {
	for _, c := range m.marks {
		col := AxisWidth + c
		if c < 0 || col >= m.width {
			continue
		}
		if ansi.Strip(ansi.Cut(line, col, col+1)) != " " {
			continue
		}
		line = ansi.Cut(line, 0, col) + m.styles.MarkerLine.Render(markGlyph) + ansi.Cut(line, col+1, m.width)
	}
	return line
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

// fit returns values cut to their last n, or padded with NaN to n.
func fit(values []float64, n int) []float64 {
	if len(values) >= n {
		return values[len(values)-n:]
	}
	out := make([]float64, n)
	copy(out, values)
	for i := len(values); i < n; i++ {
		out[i] = math.NaN()
	}
	return out
}

// padTo pads or cuts a line to exactly w cells.
func padTo(line string, w int) string {
	n := ansi.StringWidth(line)
	switch {
	case n < w:
		return line + strings.Repeat(" ", w-n)
	case n > w:
		return ansi.Cut(line, 0, w)
	}
	return line
}
