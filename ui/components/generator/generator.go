// Package generator shows the load generator's own health: requests in
// flight, dropped and late sends, scheduling lag and CPU use, with a warning
// when the generator rather than the target limits what is measured.
package generator

import (
	"fmt"
	"strings"
	"time"

	"github.com/scalelab/scalelab/ui/common"
)

// Thresholds of the bottleneck warning.
const (
	// CPUBusy is the share of GOMAXPROCS above which the generator is
	// taken to be CPU-bound.
	CPUBusy = 0.9
	// LateShare is the share of sends running late that means the
	// generator cannot keep its schedule.
	LateShare = 0.05
)

// Stats are the generator's figures at one moment.
type Stats struct {
	// Closed is the closed-loop model (no schedule, so no late or dropped
	// sends).
	Closed bool
	// InFlight is the requests outstanding.
	InFlight int64
	// Dropped and Late are totals; DroppedRate, LateRate and RPS per
	// second over the last column.
	Dropped, Late              uint64
	DroppedRate, LateRate, RPS float64
	// LagAvg and LagMax are the scheduling lag over the last snapshot.
	LagAvg, LagMax time.Duration
	// CPU is the process's CPU use as a share of Procs processors; CPUKnown
	// is false before two samples were taken. Cores, when above zero,
	// replaces Procs: the cores of processes sending elsewhere (the
	// agents' limits added up), not always whole.
	CPU      float64
	CPUKnown bool
	Procs    int
	Cores    float64
	// Connects is the connections the requests opened per second over
	// the last snapshot (engine.Snapshot.ConnectionsOpened), ConnectP99
	// their opening times' 99th percentile (zero: none opened);
	// ConnectKnown is false before a snapshot.
	Connects     float64
	ConnectP99   time.Duration
	ConnectKnown bool
	// Probed is set once the generator's probes judged a second
	// (session.GeneratorSink): Saturated and Reasons are then their
	// judgement, the one the summary gives, and the panel says it.
	Probed    bool
	Saturated bool
	Reasons   []string
}

// Bottleneck says why the generator, not the target, limits the figures, or
// "" when nothing says so.
func Bottleneck(s Stats) string {
	if s.Probed {
		if !s.Saturated {
			return ""
		}
		return "generator-bound: " + strings.Join(s.Reasons, ", ")
	}
	switch {
	case s.CPUKnown && s.CPU >= CPUBusy:
		return fmt.Sprintf("generator CPU at %.0f%% of %s cores: it is the bottleneck", s.CPU*100, cores(s))
	case s.Closed:
		return ""
	case s.DroppedRate > 0:
		return "sends dropped: max in-flight reached, target not keeping up"
	case s.RPS > 0 && s.LateRate > LateShare*s.RPS:
		return fmt.Sprintf("%.0f%% of sends late: the generator cannot keep the schedule", 100*s.LateRate/s.RPS)
	}
	return ""
}

// Width is the cells the panel's figures need (the warning wraps): the
// widest row at the widest figures a run gives in practice (lag "avg 999µs
// max 99.9ms", cpu "100% of 16 cores"), so that the panel does not change
// width as the figures do.
const Width = 30

// View renders the panel's body in at most rows lines of width cells: the
// figures, then the warning wrapped at its words or that the generator
// keeps up. The warning is never cut: when it needs more lines than the
// figures leave, the last figures give way.
func View(st *common.Styles, s Stats, width, rows int) string {
	lines := []string{
		row(st, "in-flight", fmt.Sprintf("%d", s.InFlight)),
		row(st, "dropped", fmt.Sprintf("%d (%s/s)", s.Dropped, num(s.DroppedRate))),
		row(st, "late", fmt.Sprintf("%d (%s/s)", s.Late, num(s.LateRate))),
		row(st, "lag", fmt.Sprintf("avg %s max %s", dur(s.LagAvg), dur(s.LagMax))),
		row(st, "cpu", cpuText(s)),
		row(st, "connects", connectText(s)),
	}
	status := []string{st.Good.Render("✓ the generator keeps up")}
	if warn := Bottleneck(s); warn != "" {
		status = status[:0]
		for _, l := range common.Wrap("⚠ "+warn, width) {
			status = append(status, st.Warn.Render(l))
		}
	}
	if keep := rows - len(status); keep < len(lines) {
		lines = lines[:max(keep, 0)]
	}
	return strings.Join(append(lines, status...), "\n")
}

// Compact renders the generator in the reduced layout, in width cells:
// the warning, wrapped at its words, on lines of its own, then the figures
// on one line, those that do not fit left out from the end rather than cut.
func Compact(st *common.Styles, s Stats, width int) []string {
	var out []string
	if warn := Bottleneck(s); warn != "" {
		for _, l := range common.Wrap("⚠ "+warn, width) {
			out = append(out, st.Warn.Render(l))
		}
	}
	fields := []string{
		fmt.Sprintf("in-flight %d", s.InFlight),
		fmt.Sprintf("dropped %d", s.Dropped),
		fmt.Sprintf("late %d", s.Late),
		"lag max " + dur(s.LagMax),
		"cpu " + cpuText(s),
		"connects " + connectText(s),
	}
	line := fields[0]
	for _, f := range fields[1:] {
		if len([]rune(line))+3+len([]rune(f)) > width {
			break
		}
		line += " · " + f
	}
	return append(out, line)
}

// connectText is the connections opened per second and their opening
// p99: "—" before a snapshot, no p99 when none was opened.
func connectText(s Stats) string {
	if !s.ConnectKnown {
		return "—"
	}
	if s.ConnectP99 <= 0 {
		return num(s.Connects) + "/s"
	}
	return num(s.Connects) + "/s p99 " + dur(s.ConnectP99)
}

// cpuText is the CPU use as the panel says it.
func cpuText(s Stats) string {
	if !s.CPUKnown {
		return "—"
	}
	return fmt.Sprintf("%.0f%% of %s cores", s.CPU*100, cores(s))
}

// cores is the processors the CPU share is of.
func cores(s Stats) string {
	if s.Cores > 0 {
		return fmt.Sprintf("%g", s.Cores)
	}
	return fmt.Sprintf("%d", s.Procs)
}

func row(st *common.Styles, k, v string) string {
	return st.Dim.Render(fmt.Sprintf("%-10s", k)) + v
}

// num formats a rate briefly.
func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

// dur formats a lag briefly.
func dur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%dµs", d.Microseconds())
}
