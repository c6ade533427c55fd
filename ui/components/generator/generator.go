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
	// is false before two samples were taken.
	CPU      float64
	CPUKnown bool
	Procs    int
}

// Bottleneck says why the generator, not the target, limits the figures, or
// "" when nothing says so.
func Bottleneck(s Stats) string {
	switch {
	case s.CPUKnown && s.CPU >= CPUBusy:
		return fmt.Sprintf("generator CPU at %.0f%% of %d cores: it is the bottleneck", s.CPU*100, s.Procs)
	case s.Closed:
		return ""
	case s.DroppedRate > 0:
		return "sends dropped: max in-flight reached, the target is not keeping up"
	case s.RPS > 0 && s.LateRate > LateShare*s.RPS:
		return fmt.Sprintf("%.0f%% of sends late: the generator cannot keep the schedule", 100*s.LateRate/s.RPS)
	}
	return ""
}

// View renders the panel's body in width cells, or one line when width
// is 0.
func View(st *common.Styles, s Stats, width int) string {
	compact := width <= 0
	cpu := "—"
	if s.CPUKnown {
		cpu = fmt.Sprintf("%.0f%% of %d cores", s.CPU*100, s.Procs)
	}
	warn := Bottleneck(s)
	if compact {
		line := fmt.Sprintf("in-flight %d · dropped %d · late %d · lag max %s · cpu %s",
			s.InFlight, s.Dropped, s.Late, dur(s.LagMax), cpu)
		if warn != "" {
			line = st.Warn.Render("⚠ "+warn) + "  " + line
		}
		return line
	}
	lines := []string{
		row(st, "in-flight", fmt.Sprintf("%d", s.InFlight)),
		row(st, "dropped", fmt.Sprintf("%d (%s/s)", s.Dropped, num(s.DroppedRate))),
		row(st, "late", fmt.Sprintf("%d (%s/s)", s.Late, num(s.LateRate))),
		row(st, "lag", fmt.Sprintf("avg %s max %s", dur(s.LagAvg), dur(s.LagMax))),
		row(st, "cpu", cpu),
	}
	if warn != "" {
		lines = append(lines, st.Warn.Width(width).Render("⚠ "+warn))
	} else {
		lines = append(lines, st.Good.Render("✓ the generator keeps up"))
	}
	return strings.Join(lines, "\n")
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
