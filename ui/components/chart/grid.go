package chart

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// paint is a cell's style: an index into the palette the grid is rendered
// with, 0 for none.
type paint uint8

// cell is one character cell of the plot.
type cell struct {
	r rune
	p paint
}

// grid is the plot's cells, row 0 at the top, filled cell by cell and
// rendered once: each line is one run of characters per change of style,
// so its size is linear in its width however many things are drawn in it.
type grid struct {
	w, h  int
	cells []cell
}

// newGrid returns a grid of blank cells.
func newGrid(w, h int) *grid {
	g := &grid{w: w, h: h, cells: make([]cell, w*h)}
	for i := range g.cells {
		g.cells[i] = cell{r: ' '}
	}
	return g
}

// set draws r in paint p at column x of row y; outside the grid it does
// nothing.
func (g *grid) set(x, y int, r rune, p paint) {
	if x < 0 || y < 0 || x >= g.w || y >= g.h {
		return
	}
	g.cells[y*g.w+x] = cell{r: r, p: p}
}

// text writes s from column x of row y, a rune a cell, in paint p.
func (g *grid) text(x, y int, s string, p paint) {
	for _, r := range s {
		g.set(x, y, r, p)
		x++
	}
}

// sgr is a style's escape codes before and after the text it styles.
type sgr struct{ on, off string }

// codesOf finds st's escape codes by rendering one character with it
// (chart styles set colours and weight only: no padding, no width).
func codesOf(st lipgloss.Style) sgr {
	const probe = "x"
	s := st.Render(probe)
	i := strings.Index(s, probe)
	if i < 0 {
		return sgr{}
	}
	return sgr{on: s[:i], off: s[i+len(probe):]}
}

// lines renders the grid, each paint p in palette[p] (paint 0, and any
// paint beyond the palette, unstyled).
func (g *grid) lines(palette []lipgloss.Style) []string {
	codes := make([]sgr, len(palette))
	for i, st := range palette {
		if i > 0 {
			codes[i] = codesOf(st)
		}
	}
	out := make([]string, g.h)
	var b strings.Builder
	for y := range g.h {
		b.Reset()
		b.Grow(g.w * 4)
		row := g.cells[y*g.w : (y+1)*g.w]
		for x := 0; x < len(row); {
			p := row[x].p
			var c sgr
			if int(p) < len(codes) {
				c = codes[p]
			}
			b.WriteString(c.on)
			for ; x < len(row) && row[x].p == p; x++ {
				b.WriteRune(row[x].r)
			}
			b.WriteString(c.off)
		}
		out[y] = b.String()
	}
	return out
}
