// Package chart is a scrolling line chart of one or more series over time,
// with vertical marker lines at chosen columns and shaded columns, drawn
// cell by cell into a grid that is rendered once per frame.
//
// Column i of the data is drawn at screen column AxisWidth+i of the chart, in
// every chart, so that charts stacked above each other and a marker row
// below them line up.
//
// The y-axis runs from 0 to a round value chosen for the recent data: all
// but the highest tenth of each series' points in the window, and every
// point of its last tenth, are on scale; a point above the axis is drawn
// as ClipGlyph on the top row and the legend says so, with the highest
// such value.
package chart

import (
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/ui/common"
)

const (
	// labelWidth is the width of the y-axis value labels.
	labelWidth = 7
	// AxisWidth is the number of columns left of the axis line, which is
	// data column 0: a space and the value labels.
	AxisWidth = labelWidth + 1
	// markGlyph draws a marker line through empty chart cells.
	markGlyph = '┊'
	// ClipGlyph marks a point above the y-axis, on its top row.
	ClipGlyph = '↑'
	// ShadeGlyph fills the empty cells of a shaded column.
	ShadeGlyph = '░'
)

// Paints of the plot's cells: an index into the palette (see palette).
const (
	paintPlain paint = iota
	paintMarker
	paintClip
	paintShade
	paintSeries // series i is paintSeries+i
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
	shaded []int
	shade  string
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

// SetShaded shades the empty cells of the data columns cols with
// ShadeGlyph, explained in the legend by legend (shown only while a
// shaded column is on screen).
func (m *Model) SetShaded(cols []int, legend string) { m.shaded, m.shade = cols, legend }

// SetNote sets a short text shown at the right of the title line.
func (m *Model) SetNote(s string) { m.note = s }

// View renders the chart: a title line with the legend, then the plot.
func (m Model) View() string {
	if m.width <= AxisWidth || m.height < 3 {
		return ""
	}
	plot, legend := m.plot()
	return strings.Join(append([]string{m.titleLine(legend)}, plot...), "\n")
}

// titleLine is the title, the unit, a legend item per series and the
// plot's own legend items, closer together when they do not fit apart,
// then the note if there is room.
func (m Model) titleLine(extra []string) string {
	st := m.styles
	parts := []string{st.Title.Render(m.title) + st.Dim.Render(" ("+m.unit+")")}
	for i, s := range m.series {
		parts = append(parts, m.seriesStyle(i).Render(m.seriesChar(i))+" "+s.Name)
	}
	parts = append(parts, extra...)
	line := strings.Join(parts, "   ")
	if lipgloss.Width(line) > m.width {
		line = strings.Join(parts, "  ") // closer, rather than cut
	}
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

// palette is the style of each paint.
func (m Model) palette() []lipgloss.Style {
	st := m.styles
	out := []lipgloss.Style{paintPlain: st.App, paintMarker: st.MarkerLine, paintClip: st.Warn, paintShade: st.Bad}
	for i := range m.series {
		out = append(out, m.seriesStyle(i))
	}
	return out
}

// plot renders the plot area, exactly height-1 lines of exactly width
// cells, and the legend items it needs (clipped points, shaded columns).
func (m Model) plot() ([]string, []string) {
	rows := m.height - 1
	cols := m.Columns()
	visible := make([][]float64, len(m.series))
	for i, s := range m.series {
		visible[i] = s.Values[max(len(s.Values)-cols, 0):]
	}
	a := scaleFor(visible, cols, rows, m.floor)
	g := newGrid(m.width, rows)
	var legend []string
	if m.drawShade(g, cols) {
		legend = append(legend, m.styles.Bad.Render(string(ShadeGlyph))+" "+m.shade)
	}
	for _, c := range m.marks {
		if c >= 0 && c < cols {
			for y := range rows {
				g.set(AxisWidth+c, y, markGlyph, paintMarker)
			}
		}
	}
	for r := range rows {
		y := rows - 1 - r
		g.text(1, y, m.label(a.value(r)), paintPlain)
		g.set(AxisWidth, y, '┤', paintPlain)
	}
	clipped := math.NaN()
	for i, vals := range visible {
		m.drawSeries(g, i, a, vals)
		for _, v := range vals {
			if a.clipped(v) && !(v <= clipped) {
				clipped = v
			}
		}
	}
	for _, vals := range visible {
		for x, v := range vals {
			if a.clipped(v) {
				g.set(AxisWidth+x, 0, ClipGlyph, paintClip)
			}
		}
	}
	if !math.IsNaN(clipped) {
		legend = append(legend, m.styles.Warn.Render(string(ClipGlyph))+" clipped, max "+strings.TrimSpace(m.format(clipped)))
	}
	return g.lines(m.palette()), legend
}

// drawShade shades the empty cells of the shaded columns on screen and
// reports whether there was one.
func (m Model) drawShade(g *grid, cols int) bool {
	shown := false
	for _, c := range m.shaded {
		if c < 0 || c >= cols {
			continue
		}
		shown = true
		for y := range g.h {
			g.set(AxisWidth+c, y, ShadeGlyph, paintShade)
		}
	}
	return shown && m.shade != ""
}

// lineRunes are the characters a series' line is drawn with.
type lineRunes struct {
	start, flat, end, up, down, upEnd, downEnd, vertical rune
}

// boxLine draws lines with box-drawing characters.
var boxLine = lineRunes{start: '╶', flat: '─', end: '╴', up: '╭', down: '╰', upEnd: '╯', downEnd: '╮', vertical: '│'}

// lineOf is series i's line: box-drawing, or one character throughout
// when colour cannot tell series apart.
func (m Model) lineOf(i int) lineRunes {
	c := []rune(m.charSet(i))
	if len(c) == 0 {
		return boxLine
	}
	r := c[0]
	return lineRunes{r, r, r, r, r, r, r, r}
}

// drawSeries draws series i: its first point as ┼ on the axis, then the
// step from point x-1 to point x in data column x, rising (╯ then ╭) or
// falling (╮ then ╰) through the rows between.
func (m Model) drawSeries(g *grid, i int, a axis, vals []float64) {
	p := paintSeries + paint(i)
	ch := m.lineOf(i)
	rows := a.rowsOf(vals)
	y := func(r int) int { return a.rows - 1 - r }
	if len(rows) > 0 && rows[0] >= 0 {
		g.set(AxisWidth, y(rows[0]), '┼', paintPlain)
	}
	for x := 1; x < len(rows); x++ {
		r0, r1 := rows[x-1], rows[x]
		col := AxisWidth + x
		switch {
		case r0 < 0 && r1 < 0:
		case r0 < 0:
			g.set(col, y(r1), ch.start, p)
		case r1 < 0:
			g.set(col, y(r0), ch.end, p)
		case r0 == r1:
			g.set(col, y(r0), ch.flat, p)
		default:
			if r0 > r1 {
				g.set(col, y(r1), ch.down, p)
				g.set(col, y(r0), ch.downEnd, p)
			} else {
				g.set(col, y(r1), ch.up, p)
				g.set(col, y(r0), ch.upEnd, p)
			}
			for r := min(r0, r1) + 1; r < max(r0, r1); r++ {
				g.set(col, y(r), ch.vertical, p)
			}
		}
	}
}

// label formats a y-axis value to exactly labelWidth cells.
func (m Model) label(v float64) string {
	s := m.format(v)
	if w := ansi.StringWidth(s); w < labelWidth {
		s = strings.Repeat(" ", labelWidth-w) + s
	}
	return ansi.Truncate(s, labelWidth, "")
}
