// Package agents shows the load agents of a run sent from other machines
// (--agents-at, or --agents on Kubernetes): each agent's state, the rate
// its last tick achieved against its share, its late and dropped sends,
// and the total.
package agents

import (
	"fmt"
	"github.com/scalelab/scalelab/agent"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/ui/common"
)

// MinWidth is the narrowest the panel's lines keep their figures in: an
// agent's index, state, achieved rate and share ("2 ● running    3333/s
// of 3333"), the total's count and rate.
const MinWidth = 30

// Row is one agent as the panel shows it.
type Row struct {
	Index int
	Addr  string
	// State is "running", "ended" or "lost".
	State string
	// Achieved is the rate its last tick achieved; Rate its open-loop
	// share now, Connections its closed-loop share.
	Achieved    float64
	Rate        float64
	Connections int
	Late        uint64
	Dropped     uint64
	// CPU is the cores its process used in its last probed second, of
	// CPULimit (CPUKnown false before one); Saturated that second's
	// judgement: the agent set the pace.
	CPU, CPULimit float64
	CPUKnown      bool
	Saturated     bool
}

// View renders the panel's body in at most rows lines of width cells:
// the total first, then an agent a line (those that do not fit: "… n
// more"). A line wider than width leaves out the agent's address first,
// then its cpu, then its late and dropped sends, before it is cut.
func View(st *common.Styles, agents []Row, width, rows int) string {
	if len(agents) == 0 {
		return st.Dim.Render("no agents")
	}
	lines := []string{total(st, agents, width)}
	for i, a := range agents {
		if len(lines) == rows-1 && i < len(agents)-1 {
			lines = append(lines, st.Dim.Render(fmt.Sprintf("… %d more", len(agents)-i)))
			break
		}
		if len(lines) >= rows {
			break
		}
		lines = append(lines, line(st, a, width))
	}
	return strings.Join(lines, "\n")
}

// Need is the cells the panel's widest line takes with every part.
func Need(st *common.Styles, agents []Row) int {
	n := ansi.StringWidth(total(st, agents, 1<<20))
	for _, a := range agents {
		n = max(n, ansi.StringWidth(line(st, a, 1<<20)))
	}
	return n
}

// Label is how an agent's address shows: a pod reached through the API
// server's pod proxy by its pod's name (agent.PodName), any other address
// as given, without http://.
func Label(addr string) string {
	if pod, ok := agent.PodName(addr); ok {
		return pod
	}
	return strings.TrimPrefix(addr, "http://")
}

// shrink joins the non-empty parts with sep, leaving out parts[drop[0]],
// then parts[drop[1]], ... until the line fits width cells, and cuts it
// when even the others do not fit.
func shrink(parts []string, drop []int, sep string, width int) string {
	parts = append([]string(nil), parts...)
	join := func() string {
		var out []string
		for _, p := range parts {
			if p != "" {
				out = append(out, p)
			}
		}
		return strings.Join(out, sep)
	}
	s := join()
	for _, i := range drop {
		if ansi.StringWidth(s) <= width {
			return s
		}
		parts[i] = ""
		s = join()
	}
	return ansi.Truncate(s, width, "…")
}

// total is the agents' sum: their achieved rate and their states, the
// late and dropped sends left out when width is too narrow for them.
func total(st *common.Styles, agents []Row, width int) string {
	var achieved float64
	var late, dropped uint64
	lost := 0
	for _, a := range agents {
		achieved += a.Achieved
		late += a.Late
		dropped += a.Dropped
		if a.State == "lost" {
			lost++
		}
	}
	parts := []string{fmt.Sprintf("%d agents", len(agents)), num(achieved) + "/s", fmt.Sprintf("late %d dropped %d", late, dropped), ""}
	if lost > 0 {
		parts[3] = st.Warn.Render(fmt.Sprintf("%d lost", lost))
	}
	return shrink(parts, []int{2}, " · ", width)
}

// line is one agent's line in width cells: its address, cpu, late and
// dropped sends left out, in that order, when it is too narrow for them.
func line(st *common.Styles, a Row, width int) string {
	mark := st.Good.Render("●")
	switch a.State {
	case "lost":
		mark = st.Warn.Render("✗")
	case "ended":
		mark = st.Dim.Render("○")
	}
	head := fmt.Sprintf("%d", a.Index)
	state := fmt.Sprintf("%s %-7s", mark, a.State)
	if a.State == "lost" {
		return shrink([]string{head, Label(a.Addr), state, st.Warn.Render("lost")}, []int{1}, " ", width)
	}
	share := fmt.Sprintf("of %s", num(a.Rate))
	if a.Connections > 0 {
		share = fmt.Sprintf("%d conns", a.Connections)
	}
	sends := fmt.Sprintf("late %d", a.Late)
	if a.Dropped > 0 {
		sends += fmt.Sprintf(" drop %d", a.Dropped)
	}
	cpu := ""
	if a.CPUKnown {
		cpu = fmt.Sprintf("cpu %.2f/%g", a.CPU, a.CPULimit)
	}
	bound := ""
	if a.Saturated {
		bound = st.Warn.Render("bound")
	}
	parts := []string{head, Label(a.Addr), state, fmt.Sprintf("%6s/s", num(a.Achieved)), share, sends, cpu, bound}
	return shrink(parts, []int{1, 6, 5}, " ", width)
}

// Line folds the panel into one line of width cells for a narrow
// terminal: the total.
func Line(st *common.Styles, agents []Row, width int) string {
	if len(agents) == 0 {
		return ""
	}
	return total(st, agents, width)
}

// num formats a rate briefly: 950, 12.5k.
func num(v float64) string {
	if v >= 10000 {
		return fmt.Sprintf("%.1fk", v/1000)
	}
	return fmt.Sprintf("%.0f", v)
}
