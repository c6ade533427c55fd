// Package panel draws a bordered box with a title, of an exact size.
package panel

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/ui/common"
)

// Render draws body in a box of exactly w by h cells (border included)
// with title on its first inner line. Lines that do not fit are cut.
func Render(st *common.Styles, title, body string, w, h int) string {
	if w < 4 || h < 3 {
		return ""
	}
	inner := w - 4 // border and padding
	lines := []string{st.PanelTitle.Render(ansi.Truncate(title, inner, "…"))}
	if body != "" {
		lines = append(lines, strings.Split(body, "\n")...)
	}
	rows := h - 2
	if len(lines) > rows {
		lines = lines[:rows]
	}
	for i, l := range lines {
		lines[i] = fit(l, inner)
	}
	for len(lines) < rows {
		lines = append(lines, strings.Repeat(" ", inner))
	}
	return st.Panel.Render(strings.Join(lines, "\n"))
}

// fit cuts or pads a line to exactly w cells.
func fit(s string, w int) string {
	s = ansi.Truncate(s, w, "…")
	if n := ansi.StringWidth(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}
