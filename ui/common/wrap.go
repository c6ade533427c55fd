package common

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Wrap breaks plain text into lines of at most width cells at its spaces,
// so that no word is cut; only a word wider than width is broken, at
// width cells. Names such as "replica-5" stay on one line (hyphens are not
// break points). It returns at least one line; width <= 0 returns the text
// on one line.
func Wrap(text string, width int) []string {
	words := strings.Fields(text)
	if width <= 0 || len(words) == 0 {
		return []string{strings.Join(words, " ")}
	}
	var lines []string
	cur, curW := "", 0
	for _, w := range words {
		ww := ansi.StringWidth(w)
		switch {
		case curW == 0:
		case curW+1+ww <= width:
			cur, curW = cur+" "+w, curW+1+ww
			continue
		default:
			lines = append(lines, cur)
		}
		for ww > width {
			lines = append(lines, ansi.Cut(w, 0, width))
			w = ansi.Cut(w, width, ww)
			ww = ansi.StringWidth(w)
		}
		cur, curW = w, ww
	}
	return append(lines, cur)
}
