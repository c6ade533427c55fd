package timeaxis

import (
	"strings"

	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/chart"
)

// Glyphs of a span.
const (
	spanStart  = '├'
	spanLine   = '─'
	spanEnd    = '┤'
	spanFailed = '✗'
	spanOpen   = '›'
)

// Span is a step that took time, from data column From to To (either may
// lie outside the chart's columns: the part inside is drawn).
type Span struct {
	From, To int
	// Label names the step, shown inside the span, or after it, where it
	// fits.
	Label string
	// Open is a step still running: To is the current column, drawn
	// without the end cap.
	Open bool
	// Failed is a step that failed or was cut: its end cap is ✗.
	Failed bool
}

// SpanRows renders rows lines of width cells: each span as ├──name──┤ on
// the first row where it does not touch another, from its start column
// to its end (› at the current column while it runs, ✗ when it failed),
// its name inside when it fits, else after its end when there is room,
// else cut short inside. A step that ended in the column it started in
// has no span: its mark says it. A span with no row left is left out.
func SpanRows(st *common.Styles, width, rows int, spans []Span) []string {
	if rows <= 0 || width <= 0 {
		return nil
	}
	cols := width - chart.AxisWidth
	grid := make([][]rune, rows)
	style := make([][]int, rows) // 0 blank, 1 span, 2 failed, 3 dim
	for r := range grid {
		grid[r] = []rune(strings.Repeat(" ", width))
		style[r] = make([]int, width)
	}
	for i, c := range " steps" {
		if i < width {
			grid[0][i], style[0][i] = c, 3
		}
	}
	type placed struct {
		s         Span
		row, a, b int
		kind      int
	}
	var drawn []placed
	for _, s := range spans {
		if s.To < s.From || s.To == s.From && !s.Open || s.To < 0 || s.From >= cols || cols <= 0 {
			continue
		}
		a, b := chart.AxisWidth+max(s.From, 0), chart.AxisWidth+min(s.To, cols-1)
		row := -1
		for r := range rows {
			if blank(style[r], a-1, min(b+2, width)) {
				row = r
				break
			}
		}
		if row < 0 {
			continue
		}
		kind := 1
		if s.Failed {
			kind = 2
		}
		for c := a; c <= b; c++ {
			grid[row][c], style[row][c] = spanLine, kind
		}
		switch {
		case s.To > cols-1: // beyond the right edge
		case s.Open:
			grid[row][b] = spanOpen
		case s.Failed:
			grid[row][b] = spanFailed
		default:
			grid[row][b] = spanEnd
		}
		if s.From >= 0 {
			grid[row][a] = spanStart
		}
		drawn = append(drawn, placed{s, row, a, b, kind})
	}
	// The names once every span is drawn: a name after its span yields
	// to the next span.
	for _, p := range drawn {
		label := []rune(p.s.Label)
		inner := p.b - p.a - 1
		row, b := p.row, p.b
		switch {
		case len(label) == 0:
		case len(label)+2 <= inner: // ├─name──┤
			put(grid[row], style[row], p.a+2, label, p.kind)
		case b+2+len(label) <= width && blank(style[row], b+1, min(b+3+len(label), width)): // ├──┤ name
			put(grid[row], style[row], b+2, label, p.kind)
		case inner >= 3: // ├upgr…┤
			put(grid[row], style[row], p.a+1, append(label[:inner-1], '…'), p.kind)
		}
	}
	out := make([]string, rows)
	for r := range grid {
		var b strings.Builder
		for i := 0; i < width; {
			j := i
			for j < width && style[r][j] == style[r][i] {
				j++
			}
			text := string(grid[r][i:j])
			switch style[r][i] {
			case 1:
				text = st.Span.Render(text)
			case 2:
				text = st.SpanFailed.Render(text)
			case 3:
				text = st.Dim.Render(text)
			}
			b.WriteString(text)
			i = j
		}
		out[r] = b.String()
	}
	return out
}

// blank reports whether the cells from..to-1 (clamped to the row) are
// free: no span there, nor the row's title.
func blank(style []int, from, to int) bool {
	for i := max(from, 0); i < min(to, len(style)); i++ {
		if style[i] != 0 {
			return false
		}
	}
	return true
}

// put writes label into the row from column at, in style kind.
func put(row []rune, style []int, at int, label []rune, kind int) {
	for i, c := range label {
		if at+i < len(row) {
			row[at+i], style[at+i] = c, kind
		}
	}
}
