package chart

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/scalelab/scalelab/ui/common"
)

func styles(profile termenv.Profile) *common.Styles {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(profile)
	return common.DefaultStyles(r)
}

func format(v float64) string { return fmt.Sprintf("%g", v) }

// lines renders m and returns its lines without ANSI.
func lines(m Model) []string { return strings.Split(ansi.Strip(m.View()), "\n") }

func TestSizeIsExact(t *testing.T) {
	for _, p := range []termenv.Profile{termenv.Ascii, termenv.ANSI, termenv.TrueColor} {
		m := New(styles(p), "T", "u", format, 10)
		m.SetSize(50, 8)
		m.SetData([]Series{{Name: "a", Values: []float64{1, 5, 3, 9, 2}}}, []int{2})
		got := lines(m)
		if len(got) != 8 {
			t.Fatalf("profile %v: %d lines, want 8", p, len(got))
		}
		for i, l := range got[1:] {
			if w := ansi.StringWidth(l); w != 50 {
				t.Errorf("profile %v: plot line %d is %d cells wide, want 50: %q", p, i, w, l)
			}
		}
	}
}

// TestColumnsAlign checks that data column i is drawn at screen column
// AxisWidth+i: a spike at column 7 is the only non-blank cell of the top
// row right of the axis.
func TestColumnsAlign(t *testing.T) {
	m := New(styles(termenv.Ascii), "T", "u", format, 1)
	m.SetSize(40, 6)
	vals := make([]float64, 20)
	vals[7] = 100
	m.SetData([]Series{{Name: "a", Values: vals}}, nil)
	top := []rune(lines(m)[1])
	var cols []int
	for i, r := range top[AxisWidth+1:] {
		if r != ' ' {
			cols = append(cols, AxisWidth+1+i)
		}
	}
	// The rise into the spike is drawn in the spike's column, the fall in
	// the next one.
	if len(cols) != 2 || cols[0] != AxisWidth+7 {
		t.Fatalf("top row %q: marks at %v, want the spike at column %d", string(top), cols, AxisWidth+7)
	}
	if r := top[AxisWidth]; r != '┤' {
		t.Fatalf("axis at column %d is %q, want ┤", AxisWidth, r)
	}
}

func TestMarkerLines(t *testing.T) {
	m := New(styles(termenv.Ascii), "T", "u", format, 10)
	m.SetSize(40, 6)
	m.SetData([]Series{{Name: "a", Values: []float64{0, 0, 0, 0, 0, 0}}}, []int{3, 50})
	got := lines(m)
	for i, l := range got[1 : len(got)-1] { // the last row holds the zero line
		if r := []rune(l)[AxisWidth+3]; r != '┊' {
			t.Errorf("row %d: column %d is %q, want the marker ┊: %q", i, AxisWidth+3, r, l)
		}
	}
	if r := []rune(got[len(got)-1])[AxisWidth+3]; r != '─' {
		t.Errorf("the marker must not cover the data line, got %q", r)
	}
}

func TestLegendAndLabels(t *testing.T) {
	m := New(styles(termenv.Ascii), "Latency", "ms", func(v float64) string { return fmt.Sprintf("%gms", v) }, 1)
	m.SetSize(60, 6)
	m.SetData([]Series{{Name: "p50", Values: []float64{1, 2}}, {Name: "p99", Values: []float64{3, 7}}}, nil)
	m.SetNote("now 7ms")
	got := lines(m)
	// Without colour the series differ by their line characters.
	if !strings.HasPrefix(got[0], "Latency (ms)   ── p50   •• p99") || !strings.HasSuffix(got[0], "now 7ms") {
		t.Fatalf("title line %q", got[0])
	}
	// Round steps: 7 over 4 rows gives 2 per row, so the axis tops at 8.
	if !strings.HasPrefix(got[1], "     8ms┤") || !strings.HasPrefix(got[5], "     0ms") {
		t.Fatalf("axis labels:\n%s", strings.Join(got, "\n"))
	}
}

func TestEmptyAndNaN(t *testing.T) {
	m := New(styles(termenv.Ascii), "T", "u", format, 10)
	m.SetSize(30, 5)
	m.SetData(nil, nil)
	if got := lines(m); len(got) != 5 {
		t.Fatalf("empty chart: %d lines, want 5", len(got))
	}
	m.SetData([]Series{{Name: "a", Values: []float64{math.NaN(), 3, math.NaN()}}}, nil)
	if got := lines(m); len(got) != 5 {
		t.Fatalf("chart with gaps: %d lines, want 5", len(got))
	}
	m.SetSize(5, 5)
	if m.View() != "" {
		t.Fatal("a chart narrower than its axis must render nothing")
	}
}

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{0, 1}, {0.3, 0.3}, {0.31, 0.4}, {1, 1}, {1.1, 1.2}, {2.2, 2.5}, {3, 3}, {7, 8}, {8.5, 10}, {83.5, 100}, {100.6, 120}, {1666, 2000},
	} {
		if got := niceStep(tc.in); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("niceStep(%g) = %g, want %g", tc.in, got, tc.want)
		}
	}
}

// TestManyMarkersKeepLinesSmall: 100 marker lines through a colour chart
// leave each plot line a few bytes per cell (issue 11: each marker doubled
// every line, 295 KB a line at 14 markers).
func TestManyMarkersKeepLinesSmall(t *testing.T) {
	const width, marks = 120, 100
	m := New(styles(termenv.TrueColor), "T", "u", format, 10)
	m.SetSize(width, 10)
	vals := make([]float64, width)
	cols := make([]int, 0, marks)
	for i := range vals {
		vals[i] = float64(i % 7)
		if i%7 != 3 && len(cols) < marks {
			cols = append(cols, i)
		}
	}
	m.SetData([]Series{{Name: "a", Values: vals}, {Name: "b", Values: vals[1:]}}, cols)
	out := m.View()
	if n := strings.Count(ansi.Strip(out), "┊"); n < marks {
		t.Fatalf("%d marker cells drawn, want at least %d", n, marks)
	}
	const perCell = 32
	for i, l := range strings.Split(out, "\n") {
		if len(l) > perCell*width {
			t.Errorf("line %d is %d bytes for %d cells (at most %d)", i, len(l), width, perCell*width)
		}
	}
}

// plotRows returns the indexes of the plot rows (0 at the top) that have
// anything right of the axis.
func plotRows(got []string) []int {
	var out []int
	for i, l := range got[1:] {
		if strings.TrimSpace(string([]rune(l)[AxisWidth+1:])) != "" {
			out = append(out, i)
		}
	}
	return out
}

// TestSteadySeriesIsOneLine: a steady 500/s with a jitter of one either
// way, on an axis that must reach 1000, draws on one row, the 500 one
// (issue 11: it zig-zagged between the 400 and 600 rows).
func TestSteadySeriesIsOneLine(t *testing.T) {
	m := New(styles(termenv.Ascii), "T", "u", format, 1000)
	m.SetSize(60, 7)
	vals := make([]float64, 40)
	for i := range vals {
		vals[i] = float64(499 + 2*(i%2))
	}
	m.SetData([]Series{{Name: "a", Values: vals}}, nil)
	got := lines(m)
	rows := plotRows(got)
	if len(rows) != 1 {
		t.Fatalf("drawn on rows %v, want one:\n%s", rows, strings.Join(got, "\n"))
	}
	if l := got[1+rows[0]]; !strings.HasPrefix(l, "     500┼───") {
		t.Fatalf("the line is on %q, want the 500 row", l)
	}
}

// TestRowsHold: a line keeps its row through a jitter around halfway to
// the next, moves for a real change, and never hides a non-zero value on
// the zero row once it rounds above it.
func TestRowsHold(t *testing.T) {
	a := axis{step: 200, top: 1000, rows: 6}
	for _, tc := range []struct {
		in   []float64
		want []int
	}{
		{[]float64{499, 501, 499, 501, 530}, []int{2, 2, 2, 2, 2}},
		{[]float64{501, 499, 501}, []int{3, 3, 3}},
		{[]float64{500, 800, 790, 700, 650}, []int{3, 4, 4, 4, 3}},
		{[]float64{0, 120, 0, 90, 110}, []int{0, 1, 0, 0, 1}},
		{[]float64{400, math.NaN(), 501, 5000}, []int{2, -1, 3, 5}},
	} {
		if got := a.rowsOf(tc.in); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("rowsOf(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// spikeThenFault is 100 columns at 2, a spike to 3000 at columns 10-12
// and, from column 40 on, a small fault at 20.
func spikeThenFault() []float64 {
	vals := make([]float64, 100)
	for i := range vals {
		switch {
		case i >= 10 && i <= 12:
			vals[i] = 3000
		case i >= 40:
			vals[i] = 20
		default:
			vals[i] = 2
		}
	}
	return vals
}

// TestSpikeIsClipped: a short spike long past goes above the axis, marked
// with ClipGlyph on the top row and in the legend with its value, so that
// a later small fault is drawn tall (issue 11: a 3 s spike flattened a
// later fault for two minutes).
func TestSpikeIsClipped(t *testing.T) {
	m := New(styles(termenv.Ascii), "Latency", "ms", func(v float64) string { return fmt.Sprintf("%gms", v) }, 1)
	m.SetSize(AxisWidth+100, 7)
	m.SetData([]Series{{Name: "p99", Values: spikeThenFault()}}, nil)
	got := lines(m)
	if !strings.Contains(got[0], "↑ clipped, max 3000ms") {
		t.Errorf("title line %q: want the clipped points in the legend", got[0])
	}
	top := []rune(got[1])
	for x := range 100 {
		clip := top[AxisWidth+x] == ClipGlyph
		if want := x >= 10 && x <= 12; clip != want {
			t.Errorf("column %d: clip mark %v, want %v: %q", x, clip, want, got[1])
		}
	}
	// The fault's line is on the top half of the plot.
	for i, l := range got[1:] {
		if r := []rune(l)[AxisWidth+60]; r != ' ' {
			if i > 2 {
				t.Errorf("the fault (20 against 2) is drawn on row %d of 6:\n%s", i, strings.Join(got, "\n"))
			}
			break
		}
	}
}

// TestRecentSpikeIsOnScale: the same spike in the latest columns is what
// happens now: on scale, nothing clipped.
func TestRecentSpikeIsOnScale(t *testing.T) {
	m := New(styles(termenv.Ascii), "Latency", "ms", func(v float64) string { return fmt.Sprintf("%gms", v) }, 1)
	m.SetSize(AxisWidth+100, 7)
	vals := spikeThenFault()
	vals = append(vals[13:], 3000, 3000, 3000)
	m.SetData([]Series{{Name: "p99", Values: vals}}, nil)
	got := lines(m)
	if out := strings.Join(got, "\n"); strings.ContainsRune(out, ClipGlyph) || !strings.HasPrefix(got[1], "  3000ms┤") {
		t.Fatalf("a spike now must be on scale:\n%s", out)
	}
}
