// Package saturation shows the generator probes' latest sample beside the
// generator panel: the kernel's pressure stall information, the process's
// memory, and the TCP counters of its network namespace. A figure the
// probes could not read shows "—", never 0.
package saturation

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/ui/common"
)

// Width is the cells the panel's figures need at the widest figures a run
// gives in practice ("cpu 99.9 mem 99.9 io 99.9").
const Width = 34

// none is a figure not measured.
const none = "—"

// rows are the panel's lines as label and figure, in order.
func rows(s probes.GeneratorSample) [][2]string {
	if s.At.IsZero() {
		return [][2]string{{"probes", "waiting for the first second"}}
	}
	psi := "no PSI on this kernel"
	if p := s.Pressure; p.Available {
		psi = fmt.Sprintf("cpu %s mem %s io %s", stall(p.CPU), stall(p.Memory), stall(p.IO))
	}
	m, n := s.Memory, s.Network
	mem, gc := none+" heap "+none, none
	if m.Available {
		mem = bytes(m.RSS) + " heap " + bytes(m.Heap)
		gc = pause(m.GCPauseMax, m.GCCycles)
	}
	retrans, listen, tw, socks, ports := none, none, none, none, none
	if n.Available {
		retrans = perSecond(n.RetransSegs, s.Interval)
		listen = fmt.Sprintf("drops %d overflows %d", n.ListenDrops, n.ListenOverflows)
		tw = fmt.Sprintf("%d", n.TimeWait)
		socks = fmt.Sprintf("tcp %d (all %d)", n.TCPInUse, n.Sockets)
		if n.PortsLeft >= 0 {
			ports = fmt.Sprintf("%d left", n.PortsLeft)
		}
	}
	return [][2]string{
		{"psi avg10", psi},
		{"rss", mem},
		{"gc pause", gc},
		{"retrans", retrans},
		{"listen", listen},
		{"time_wait", tw},
		{"sockets", socks},
		{"ports", ports},
	}
}

// View renders the panel's body in at most rows lines of width cells, the
// last figures giving way when there are fewer rows.
func View(st *common.Styles, s probes.GeneratorSample, width, rowsLeft int) string {
	var out []string
	for _, r := range rows(s) {
		if len(out) >= rowsLeft {
			break
		}
		out = append(out, ansi.Truncate(st.Dim.Render(fmt.Sprintf("%-10s", r[0]))+r[1], width, ""))
	}
	return strings.Join(out, "\n")
}

// Line folds the panel into one line of width cells for a narrow
// terminal: PSI, RSS, retransmits and TIME_WAIT, those that do not fit
// left out from the end.
func Line(s probes.GeneratorSample, width int) string {
	r := rows(s)
	if len(r) == 1 {
		return r[0][0] + " " + r[0][1]
	}
	fields := []string{"psi " + r[0][1], "rss " + r[1][1], "retrans " + r[3][1], "time_wait " + r[5][1]}
	line := fields[0]
	if len([]rune(line)) > width {
		return ""
	}
	for _, f := range fields[1:] {
		if len([]rune(line))+3+len([]rune(f)) > width {
			break
		}
		line += " · " + f
	}
	return line
}

// stall is a PSI avg10, "—" when the resource has no line.
func stall(s probes.Stall) string {
	if !s.Available {
		return none
	}
	return fmt.Sprintf("%.1f%%", s.Avg10)
}

// bytes writes a size in MiB (KiB below one), "—" when unknown (0).
func bytes(n int64) string {
	switch {
	case n <= 0:
		return none
	case n < 1<<20:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// pause is the interval's longest GC pause, "no GC" without a
// collection.
func pause(d time.Duration, cycles int64) string {
	if cycles == 0 {
		return "no GC this second"
	}
	if d >= time.Millisecond {
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%dµs", d.Microseconds())
}

// perSecond is a counter's increase per second of the interval.
func perSecond(n int64, d time.Duration) string {
	if d <= 0 {
		return none
	}
	return fmt.Sprintf("%.0f/s", float64(n)/d.Seconds())
}
