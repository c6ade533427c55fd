// Package replicas shows a cluster's replicas (or pods): version, phase and
// share of traffic, with the rollout's progress; on Kubernetes also each
// pod's revision, restarts, node and whether the service routes to it,
// the rollout's status in kubectl's words and the autoscaler.
package replicas

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/ui/common"
)

// Title is the panel's title line for state s.
func Title(s cluster.State) string {
	return fmt.Sprintf("Replicas %d/%d ready · %s", s.Count(cluster.Ready), s.Desired, s.Version)
}

// barWidth is the width from which a share of traffic gets a small bar.
const barWidth = 52

// View renders the rollout's progress and status message, the
// autoscaler (hpa, when not nil), then one line per replica, live ones
// first, in at most rows lines of width cells (the last one says how many
// more there are). Replicas with Kubernetes fields get their columns.
func View(st *common.Styles, s cluster.State, hpa *cluster.Autoscaler, rows, width int) string {
	if rows <= 0 {
		return ""
	}
	lines := Head(st, s, hpa)
	reps := ordered(s.Replicas)
	if len(reps) == 0 {
		return strings.Join(append(lines, st.Dim.Render("no replicas")), "\n")
	}
	render := fleetLines(st, reps, width)
	if Kube(s) {
		c := kubeColumns(reps, width)
		render = func(r cluster.Replica) string { return kubeLine(st, r, c) }
	}
	for i, r := range reps {
		if len(lines) == rows-1 && len(reps)-i > 1 {
			lines = append(lines, st.Dim.Render(fmt.Sprintf("… %d more", len(reps)-i)))
			break
		}
		lines = append(lines, render(r))
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

// fleetLines renders the local fleet's replicas: name, version, phase,
// share (with a bar from barWidth cells) and fault.
func fleetLines(st *common.Styles, reps []cluster.Replica, width int) func(cluster.Replica) string {
	nameW := 0
	for _, r := range reps {
		nameW = max(nameW, lipgloss.Width(r.Name))
	}
	nameW = min(nameW, max(width-30, 8))
	return func(r cluster.Replica) string { return line(st, r, nameW, width >= barWidth) }
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

// ordered puts live and draining replicas before those that left.
func ordered(in []cluster.Replica) []cluster.Replica {
	out := make([]cluster.Replica, 0, len(in))
	for _, r := range in {
		if live(r) {
			out = append(out, r)
		}
	}
	for _, r := range in {
		if !live(r) {
			out = append(out, r)
		}
	}
	return out
}

func line(st *common.Styles, r cluster.Replica, nameW int, withBar bool) string {
	name := fmt.Sprintf("%-*s", nameW, truncate(r.Name, nameW))
	phase := phaseStyle(st, r.Phase).Render(fmt.Sprintf("%s %-8s", glyph(r.Phase), r.Phase))
	out := fmt.Sprintf("%s %-6s %s", name, truncate(r.Version, 6), phase)
	if r.ShareKnown && live(r) {
		if withBar {
			out += " " + bar(r.Share, 5)
		}
		out += fmt.Sprintf(" %3.0f%%", r.Share*100)
	}
	if r.Fault != "" {
		out += " " + st.Bad.Render(r.Fault)
	}
	return out
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
