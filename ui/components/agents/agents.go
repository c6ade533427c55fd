// Package agents shows the load agents of a run sent from other machines
// (--agents-at): each agent's state, the rate its last tick achieved
// against its share, its late and dropped sends, and the total.
package agents

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/ui/common"
)

// Width is the cells an agent's line needs with a loopback address
// ("2 127.0.0.1:7003 ● running    3333/s of 3333 late 12 cpu 0.42/2").
const Width = 66

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
// more").
func View(st *common.Styles, agents []Row, width, rows int) string {
	if len(agents) == 0 {
		return st.Dim.Render("no agents")
	}
	lines := []string{total(st, agents)}
	for i, a := range agents {
		if len(lines) == rows-1 && i < len(agents)-1 {
			lines = append(lines, st.Dim.Render(fmt.Sprintf("… %d more", len(agents)-i)))
			break
		}
		if len(lines) >= rows {
			break
		}
		lines = append(lines, ansi.Truncate(line(st, a), width, "…"))
	}
	return strings.Join(lines, "\n")
}

// total is the agents' sum: their achieved rate and their states.
func total(st *common.Styles, agents []Row) string {
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
	s := fmt.Sprintf("%d agents · %s/s · late %d dropped %d", len(agents), num(achieved), late, dropped)
	if lost > 0 {
		return s + " · " + st.Warn.Render(fmt.Sprintf("%d lost", lost))
	}
	return s
}

// line is one agent's line.
func line(st *common.Styles, a Row) string {
	mark := st.Good.Render("●")
	switch a.State {
	case "lost":
		mark = st.Warn.Render("✗")
	case "ended":
		mark = st.Dim.Render("○")
	}
	share := fmt.Sprintf("of %s", num(a.Rate))
	if a.Connections > 0 {
		share = fmt.Sprintf("%d conns", a.Connections)
	}
	figures := fmt.Sprintf("%6s/s %s late %d", num(a.Achieved), share, a.Late)
	if a.Dropped > 0 {
		figures += fmt.Sprintf(" drop %d", a.Dropped)
	}
	if a.CPUKnown {
		figures += fmt.Sprintf(" cpu %.2f/%g", a.CPU, a.CPULimit)
	}
	if a.Saturated {
		figures += " " + st.Warn.Render("bound")
	}
	if a.State == "lost" {
		figures = st.Warn.Render("lost")
	}
	return fmt.Sprintf("%d %s %s %-7s %s", a.Index, a.Addr, mark, a.State, figures)
}

// Line folds the panel into one line of width cells for a narrow
// terminal: the total.
func Line(st *common.Styles, agents []Row, width int) string {
	if len(agents) == 0 {
		return ""
	}
	return ansi.Truncate(total(st, agents), width, "…")
}

// num formats a rate briefly: 950, 12.5k.
func num(v float64) string {
	if v >= 10000 {
		return fmt.Sprintf("%.1fk", v/1000)
	}
	return fmt.Sprintf("%.0f", v)
}
