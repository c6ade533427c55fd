// Package timeaxis renders the rows under the charts: the event markers and
// the elapsed-time labels, both aligned with the charts' data columns.
package timeaxis

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/chart"
)

// Glyphs of the marker row.
const (
	majorGlyph = "▲"
	minorGlyph = "·"
)

// Mark is an event at a data column.
type Mark struct {
	// Col is the data column (0 is the chart's first).
	Col int
	// Label is the short text shown after the glyph when there is room.
	Label string
	// Major marks get a bold glyph and their labels are placed first.
	Major bool
	// Urgent marks (a replica killed, a fault) are labelled before all
	// others.
	Urgent bool
}

// MarkerRows renders rows lines of width cells: on the first, a glyph at
// the column of each mark, and after the glyphs as many labels as fit
// without covering another glyph; on the next ones, under their glyphs, the
// labels that did not fit above. Urgent marks are labelled first, then
// major ones, then the latest.
func MarkerRows(st *common.Styles, width, rows int, marks []Mark) []string {
	if rows <= 0 || width <= 0 {
		return nil
	}
	grid := make([][]string, rows)
	used := make([][]bool, rows)
	for r := range grid {
		grid[r] = make([]string, width)
		used[r] = make([]bool, width)
		for i := range grid[r] {
			grid[r][i] = " "
		}
	}
	for i, c := range []rune(" events") {
		if i < width {
			grid[0][i] = string(c)
		}
	}
	major := map[int]bool{}
	for _, m := range marks {
		col := chart.AxisWidth + m.Col
		if m.Col < 0 || col >= width {
			continue
		}
		major[col] = major[col] || m.Major
	}
	for col, isMajor := range major {
		used[0][col] = true
		grid[0][col] = st.Marker.Render(minorGlyph)
		if isMajor {
			grid[0][col] = st.MarkerMajor.Render(majorGlyph)
		}
	}
	for _, m := range placementOrder(marks) {
		col := chart.AxisWidth + m.Col
		label := []rune(m.Label)
		if m.Col < 0 || col >= width || len(label) == 0 {
			continue
		}
		style := st.Marker
		if m.Major {
			style = st.MarkerMajor
		}
		for r := range rows {
			from := col
			if r == 0 {
				from = col + 1 // after the glyph
			}
			to := from + len(label)
			if to > width || !free(used[r], from, min(to+1, width)) {
				continue
			}
			for i, c := range label {
				grid[r][from+i] = style.Render(string(c))
				used[r][from+i] = true
			}
			break
		}
	}
	out := make([]string, rows)
	for r := range grid {
		out[r] = strings.Join(grid[r], "")
	}
	return out
}

// placementOrder sorts marks for labelling: urgent first, then major,
// then the latest first.
func placementOrder(marks []Mark) []Mark {
	out := append([]Mark(nil), marks...)
	rank := func(m Mark) int {
		switch {
		case m.Urgent:
			return 2
		case m.Major:
			return 1
		}
		return 0
	}
	sort.SliceStable(out, func(i, j int) bool {
		if ri, rj := rank(out[i]), rank(out[j]); ri != rj {
			return ri > rj
		}
		return out[i].Col > out[j].Col
	})
	return out
}

func free(used []bool, from, to int) bool {
	for i := from; i < to; i++ {
		if used[i] {
			return false
		}
	}
	return true
}

// tickSteps are the candidate spacings of time labels.
var tickSteps = []time.Duration{
	5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour,
}

// minTickGap is the smallest distance between two time labels, in cells.
const minTickGap = 10

// TimeRow renders one row of width cells with the elapsed time at regular
// columns; data column 0 is column index first, each column step long.
func TimeRow(st *common.Styles, width, first int, step time.Duration) string {
	cells := []rune(fmt.Sprintf("%-*s", width, "   time"))
	cols := width - chart.AxisWidth
	if cols <= 0 || step <= 0 {
		return st.Dim.Render(string(cells[:width]))
	}
	tick := tickSteps[len(tickSteps)-1]
	for _, t := range tickSteps {
		if int(t/step) >= minTickGap {
			tick = t
			break
		}
	}
	every := max(int(tick/step), 1)
	for i := 0; i < cols; i++ {
		idx := first + i
		if idx%every != 0 {
			continue
		}
		label := []rune("╵" + Clock(time.Duration(idx)*step))
		col := chart.AxisWidth + i
		if col+len(label) > width {
			break
		}
		copy(cells[col:], label)
	}
	return st.Dim.Render(ansi.Truncate(string(cells), width, ""))
}

// Clock formats an elapsed time as m:ss, or h:mm:ss from an hour on.
func Clock(d time.Duration) string {
	d = d.Truncate(time.Second)
	h, m, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}
