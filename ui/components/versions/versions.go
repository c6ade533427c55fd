// Package versions shows how the traffic splits by version, on one line,
// while two or more versions answer (during a rollout): each version's
// share of the requests, requests per second, p99 latency and failures
// per second, after a bar of the shares, so that the operator watches the
// traffic move from the old version to the new one.
package versions

import (
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/header"
)

// Shown reports whether the split is worth a line: two or more versions.
func Shown(vs []analysis.Version) bool { return len(vs) >= 2 }

// marks tell the versions apart in the bar and the list without colour.
var marks = []string{"█", "▓", "▒", "░"}

// maxName bounds a version's name, in cells.
const maxName = 12

// detail is how much the line says, from most to least.
type detail struct {
	title  string
	bar    int  // the bar's width, 0 for none
	p99    bool // the p99
	errors int  // 2: always, 1: when some failed, 0: never
	rps    bool
}

var details = []detail{
	{title: fmt.Sprintf("by version (%d s)", analysis.VersionWindow), bar: 12, p99: true, errors: 2, rps: true},
	{title: "by version", bar: 8, p99: true, errors: 2, rps: true},
	{title: "by version", bar: 0, p99: true, errors: 1, rps: true},
	{title: "versions", bar: 0, p99: true, errors: 1},
	{title: "versions", bar: 0, errors: 1},
}

// View renders the split in at most width cells, saying less on a
// narrow line.
func View(st *common.Styles, vs []analysis.Version, width int) string {
	var line string
	for _, d := range details {
		if line = render(st, vs, d); ansi.StringWidth(line) <= width {
			return line
		}
	}
	return ansi.Truncate(line, width, "…")
}

func render(st *common.Styles, vs []analysis.Version, d detail) string {
	parts := []string{st.PanelTitle.Render(d.title)}
	if d.bar > 0 {
		parts = append(parts, bar(st, vs, d.bar))
	}
	entries := make([]string, len(vs))
	for i, v := range vs {
		entries[i] = entry(st, i, v, d)
	}
	return strings.Join(parts, " ") + " " + strings.Join(entries, st.Dim.Render(" · "))
}

// entry is one version: its mark, name, share and, as d says, rate, p99
// and failures.
func entry(st *common.Styles, i int, v analysis.Version, d detail) string {
	out := []string{mark(st, i) + " " + st.Bold.Render(Name(v.Name)), fmt.Sprintf("%.0f%%", v.Share*100)}
	if d.rps {
		out = append(out, header.Rate(v.RPS))
	}
	if d.p99 && !math.IsNaN(v.P99) {
		out = append(out, "p99 "+header.Ms(v.P99))
	}
	switch {
	case v.FailedRate > 0 && d.errors > 0:
		out = append(out, st.Bad.Render(header.Num(v.FailedRate)+" failed/s"))
	case d.errors > 1:
		out = append(out, st.Dim.Render("0 failed/s"))
	}
	return strings.Join(out, " ")
}

// bar draws the shares side by side in n cells, each version in its
// mark; every version with requests gets at least a cell.
func bar(st *common.Styles, vs []analysis.Version, n int) string {
	cells := make([]int, len(vs))
	used := 0
	for i, v := range vs {
		cells[i] = max(int(math.Round(v.Share*float64(n))), 1)
		used += cells[i]
	}
	for used > n { // rounding up the small ones: take from the largest
		big := 0
		for i := range cells {
			if cells[i] > cells[big] {
				big = i
			}
		}
		cells[big]--
		used--
	}
	if used < n && len(cells) > 0 {
		cells[len(cells)-1] += n - used
	}
	var b strings.Builder
	b.WriteString("▕")
	for i, c := range cells {
		b.WriteString(style(st, i).Render(strings.Repeat(marks[i%len(marks)], c)))
	}
	b.WriteString("▏")
	return b.String()
}

func mark(st *common.Styles, i int) string { return style(st, i).Render(marks[i%len(marks)]) }

func style(st *common.Styles, i int) lipgloss.Style {
	return st.SeriesStyle[i%len(st.SeriesStyle)]
}

// Name makes a version's name safe and short for the terminal: what the
// target sent, without control characters, at most maxName cells.
func Name(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	if s == "" {
		return "?"
	}
	return ansi.Truncate(s, maxName, "…")
}
