// Package replicas shows a cluster's replicas (or pods): version, phase and
// share of traffic, with the rollout's progress; on Kubernetes also each
// pod's revision, restarts, node and whether the service routes to it,
// the rollout's status in kubectl's words and the autoscaler.
package replicas

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/ui/common"
)

// Title is the panel's title line for state s.
func Title(s cluster.State) string {
	return fmt.Sprintf("Replicas %d/%d ready · %s", s.Count(cluster.Ready), s.Desired, s.Version)
}

// View renders the rollout's progress and status message, the
// autoscaler (hpa, when not nil), then one line per replica, live ones
// first, in at most rows lines of width cells (the last one says how many
// more there are). Replicas with Kubernetes fields get their columns. No
// name, fault or figure is cut: a head line wider than width wraps at its
// words, and a fault that does not fit after its replica's figures goes on
// the line below, under the version.
func View(st *common.Styles, s cluster.State, hpa *cluster.Autoscaler, rows, width int) string {
	if rows <= 0 {
		return ""
	}
	reps := ordered(s.Replicas)
	head := Head(st, s, hpa)
	var lines []string
	for _, l := range head {
		lines = append(lines, wrapStyled(l, width)...)
	}
	if len(lines) > rows-min(len(reps), 2) {
		// No room to wrap the head and still list replicas: one line each.
		lines = lines[:0]
		for _, l := range head {
			lines = append(lines, ansi.Truncate(l, width, "…"))
		}
	}
	if len(reps) == 0 {
		return strings.Join(append(lines, st.Dim.Render("no replicas")), "\n")
	}
	render := fleetLines(st, reps, width)
	if Kube(s) {
		c, level := kubeUsageColumns(st, reps, width)
		render = func(r cluster.Replica) []string {
			return withFault(st, kubeLine(st, r, c)+usageCell(st, r, level), r, c.name+1, c.width)
		}
	}
	for i, r := range reps {
		block := render(r)
		room := rows - len(lines)
		if i < len(reps)-1 {
			room-- // a row for "… n more"
		}
		if len(block) > room {
			lines = append(lines, st.Dim.Render(fmt.Sprintf("… %d more", len(reps)-i)))
			break
		}
		lines = append(lines, block...)
	}
	if len(lines) > rows {
		lines = lines[:rows]
	}
	return strings.Join(lines, "\n")
}

// Head are the lines above the replicas: the rollout, its status message
// and the autoscaler (hpa, when not nil), those that apply.
func Head(st *common.Styles, s cluster.State, hpa *cluster.Autoscaler) []string {
	var lines []string
	if ro := Rollout(st, s); ro != "" {
		lines = append(lines, ro)
	}
	if msg := Message(s); msg != "" {
		style := st.Dim
		if s.Rollout.Stalled {
			style = st.Bad
		}
		lines = append(lines, style.Render(msg))
	}
	if hpa != nil {
		lines = append(lines, Autoscaler(st, *hpa))
	}
	return lines
}

// HeadRows is the number of lines Head gives.
func HeadRows(s cluster.State, hpa bool) int {
	n := 0
	for _, on := range []bool{showRollout(s.Rollout), Message(s) != "", hpa} {
		if on {
			n++
		}
	}
	return n
}

// Width is the cells the panel's body needs to show s (and hpa, when not
// nil) with every line whole: the head lines, and each replica with its
// fault on its line (the local fleet's without share bars).
func Width(st *common.Styles, s cluster.State, hpa *cluster.Autoscaler) int {
	n := 0
	for _, l := range Head(st, s, hpa) {
		n = max(n, lipgloss.Width(l))
	}
	reps := ordered(s.Replicas)
	if Kube(s) {
		c := kubeColumns(reps, 1<<16)
		for _, r := range reps {
			n = max(n, lipgloss.Width(kubeLine(st, r, c)+usageCell(st, r, usageFull)+faultSuffix(st, r)))
		}
		return n
	}
	c := fleetWidths(reps)
	for _, r := range reps {
		n = max(n, lipgloss.Width(line(st, r, c, false)+usageCell(st, r, usageFull)+faultSuffix(st, r)))
	}
	return n
}

// fleetColumns are the widths of a local fleet replica line's columns:
// each as wide as its widest value.
type fleetColumns struct{ name, version, phase int }

func fleetWidths(reps []cluster.Replica) fleetColumns {
	var c fleetColumns
	for _, r := range reps {
		c.name = max(c.name, lipgloss.Width(r.Name))
		c.version = max(c.version, lipgloss.Width(r.Version))
		c.phase = max(c.phase, lipgloss.Width(string(r.Phase)))
	}
	return c
}

// fleetLines renders the local fleet's replicas: name, version, phase,
// share (with a bar when every line has room for one) and fault, each
// column as wide as its widest value, the fault on the next line when it
// does not fit.
func fleetLines(st *common.Styles, reps []cluster.Replica, width int) func(cluster.Replica) []string {
	c := fleetWidths(reps)
	fixed := c.version + c.phase + 4
	for _, r := range reps {
		if r.ShareKnown && live(r) {
			fixed += len(" 100%")
			break
		}
	}
	if c.name+fixed > width {
		// Too narrow for whole names: the version and the phase stay.
		c.name = max(width-fixed, 4)
	}
	withBar := true
	for _, r := range reps {
		if lipgloss.Width(line(st, r, c, true)+faultSuffix(st, r)) > width {
			withBar = false
		}
	}
	level := usageLevel(st, reps, width, func(r cluster.Replica) string { return line(st, r, c, withBar) })
	if bare := usageLevel(st, reps, width, func(r cluster.Replica) string { return line(st, r, c, false) }); withBar && bare > level {
		withBar, level = false, bare // the figures before the bar
	}
	return func(r cluster.Replica) []string {
		return withFault(st, line(st, r, c, withBar)+usageCell(st, r, level), r, c.name+1, width)
	}
}

// Compact is a one-line summary of the replicas for small screens.
func Compact(st *common.Styles, s cluster.State) string {
	var b strings.Builder
	for _, r := range ordered(s.Replicas) {
		if live(r) {
			b.WriteString(phaseStyle(st, r.Phase).Render(glyph(r.Phase)))
		}
	}
	return b.String()
}

// ordered puts live and draining replicas before those that left, and
// among them those with a fault first, so that a fault shows when not
// every replica does.
func ordered(in []cluster.Replica) []cluster.Replica {
	out := make([]cluster.Replica, 0, len(in))
	for _, keep := range []func(cluster.Replica) bool{
		func(r cluster.Replica) bool { return live(r) && r.Fault != "" },
		func(r cluster.Replica) bool { return live(r) && r.Fault == "" },
		func(r cluster.Replica) bool { return !live(r) },
	} {
		for _, r := range in {
			if keep(r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// Faults lists the live replicas' faults for the reduced layout
// ("replica-2 errors 30% · replica-5 latency 200ms") in lines of width
// cells, wrapped between replicas; nil when none has one.
func Faults(st *common.Styles, s cluster.State, width int) []string {
	var items []string
	for _, r := range ordered(s.Replicas) {
		if live(r) && r.Fault != "" {
			items = append(items, r.Name+" "+r.Fault)
		}
	}
	if len(items) == 0 {
		return nil
	}
	var out []string
	cur := "faults: " + items[0]
	for _, it := range items[1:] {
		if ansi.StringWidth(cur+" · "+it) > width {
			out = append(out, cur)
			cur = it
			continue
		}
		cur += " · " + it
	}
	out = append(out, cur)
	for i, l := range out {
		out[i] = st.Bad.Render(l)
	}
	return out
}

func line(st *common.Styles, r cluster.Replica, c fleetColumns, withBar bool) string {
	name := fmt.Sprintf("%-*s", c.name, truncate(r.Name, c.name))
	phase := phaseStyle(st, r.Phase).Render(fmt.Sprintf("%s %-*s", glyph(r.Phase), c.phase, r.Phase))
	out := fmt.Sprintf("%s %-*s %s", name, c.version, r.Version, phase)
	if r.ShareKnown && live(r) {
		if withBar {
			out += " " + bar(r.Share, 5)
		}
		out += fmt.Sprintf(" %3.0f%%", r.Share*100)
	}
	return strings.TrimRight(out, " ")
}

// faultSuffix is r's fault as it follows its figures on their line.
func faultSuffix(st *common.Styles, r cluster.Replica) string {
	if r.Fault == "" {
		return ""
	}
	return " " + st.Bad.Render(r.Fault)
}

// withFault puts r's fault after its line when both fit in width, else on
// the lines below, indented by indent cells and wrapped at its words.
func withFault(st *common.Styles, head string, r cluster.Replica, indent, width int) []string {
	if r.Fault == "" {
		return []string{head}
	}
	if one := head + faultSuffix(st, r); lipgloss.Width(one) <= width {
		return []string{one}
	}
	indent = min(indent, max(width-len("errors 100%"), 0))
	out := []string{head}
	for _, p := range common.Wrap("↳ "+r.Fault, width-indent) {
		out = append(out, strings.Repeat(" ", indent)+st.Bad.Render(p))
	}
	return out
}

// wrapStyled wraps a styled line at its spaces into lines of width cells.
func wrapStyled(l string, width int) []string {
	if width <= 0 || ansi.StringWidth(l) <= width {
		return []string{l}
	}
	return strings.Split(ansi.Wrap(l, width, ""), "\n")
}

// bar draws a share as a small bar of n cells.
func bar(share float64, n int) string {
	full := int(share*float64(n) + 0.5)
	full = max(0, min(full, n))
	return strings.Repeat("█", full) + strings.Repeat("░", n-full)
}

func glyph(p cluster.Phase) string {
	switch p {
	case cluster.Ready:
		return "●"
	case cluster.Starting, cluster.Unready:
		return "◐"
	case cluster.Draining:
		return "◌"
	case cluster.Killed:
		return "✗"
	}
	return "○"
}

func phaseStyle(st *common.Styles, p cluster.Phase) lipgloss.Style {
	switch p {
	case cluster.Ready:
		return st.Good
	case cluster.Starting, cluster.Unready, cluster.Draining:
		return st.Warn
	case cluster.Killed:
		return st.Bad
	}
	return st.Dim
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n && n > 0 {
		return string(r[:n-1]) + "…"
	}
	return s
}
