// Package thresholds is the line under the charts that says how the run
// is judged while it runs: each threshold as written with its live value
// and ✓ or ✗, and aborting… once a threshold stopped the load. It wraps
// onto a second line (a third in the full layout) when the items do not
// fit, failing thresholds first.
package thresholds

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/ui/common"
)

// Item is one threshold's state.
type Item struct {
	// Name is the threshold as written: latency p(99)<200.
	Name string
	// Value is its live value (312ms), or "no data".
	Value string
	// Judged is false before the judge's first evaluation; OK is its
	// judgement (no data fails unless the threshold allows it).
	Judged, OK bool
}

// Info is what the line shows.
type Info struct {
	Items []Item
	// Aborting: a threshold asked to stop the load (Aborted says so once
	// the load ended).
	Aborting, Aborted bool
}

// Rows is the number of lines View takes in width cells, at most max.
func Rows(st *common.Styles, in Info, width, max int) int {
	return len(View(st, in, width, max))
}

// View renders the line(s): at most max lines of at most width cells.
// When the items do not fit, the failing ones are shown first and the
// last line says how many more there are.
func View(st *common.Styles, in Info, width, max int) []string {
	if len(in.Items) == 0 || width <= 0 || max <= 0 {
		return nil
	}
	var head string
	switch {
	case in.Aborted:
		head = st.Bad.Render("aborted")
	case in.Aborting:
		head = st.Bad.Render("aborting…")
	}
	head = strings.TrimSpace(st.PanelTitle.Render("thresholds") + " " + head)
	cells := make([]string, 0, len(in.Items)+1)
	for _, it := range in.Items {
		cells = append(cells, item(st, it))
	}
	lines := flow(st, head, cells, width)
	if len(lines) <= max {
		return lines
	}
	// Failing first, then the others, in their order; the last line
	// says what did not fit.
	var failing, others []string
	for i, it := range in.Items {
		if it.Judged && !it.OK {
			failing = append(failing, cells[i])
		} else {
			others = append(others, cells[i])
		}
	}
	ordered := append(failing, others...)
	for n := len(ordered) - 1; n >= 0; n-- {
		more := st.Dim.Render(fmt.Sprintf("+%d more", len(ordered)-n))
		lines = flow(st, head, append(append([]string(nil), ordered[:n]...), more), width)
		if len(lines) <= max {
			return lines
		}
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, width, "…")
	}
	return lines[:max]
}

// item is one threshold: ✓ or ✗ (a dot before the first evaluation),
// its name and its value.
func item(st *common.Styles, it Item) string {
	mark, value := st.Dim.Render("·"), st.Dim.Render(it.Value)
	switch {
	case !it.Judged:
		value = st.Dim.Render("no data")
	case it.OK:
		mark, value = st.Good.Render("✓"), it.Value
	default:
		mark, value = st.Bad.Render("✗"), st.Bad.Render(it.Value)
	}
	return mark + " " + it.Name + " " + value
}

// flow lays head and the cells out on lines of width cells: the cells
// separated by " · ", a cell that does not fit going to the next line
// (indented under the first).
func flow(st *common.Styles, head string, cells []string, width int) []string {
	sep := st.Dim.Render(" · ")
	indent := strings.Repeat(" ", min(ansi.StringWidth(head)+1, width/3))
	var lines []string
	cur := head
	for i, c := range cells {
		switch {
		case i == 0:
			cur += " " + c
		case ansi.StringWidth(cur+sep+c) <= width:
			cur += sep + c
		default:
			lines = append(lines, cur)
			cur = indent + c
		}
	}
	lines = append(lines, cur)
	for i, l := range lines {
		if ansi.StringWidth(l) > width {
			lines[i] = ansi.Truncate(l, width, "…")
		}
	}
	return lines
}
