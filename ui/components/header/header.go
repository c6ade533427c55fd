// Package header is the top of the screen: what is loaded how hard, for how
// long, with which availability, and whether the load runs.
package header

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/timeaxis"
)

// The load's states.
const (
	Running  = "running"
	Paused   = "paused"
	Stopping = "stopping"
	Finished = "finished"
)

// Info is what the header shows.
type Info struct {
	// Target is the URL loaded; Model the load model in words.
	Target, Model string
	// State is Running, Paused, Stopping or Finished.
	State string
	// Elapsed is the run's time so far; Window its length (0: unbounded).
	Elapsed, Window time.Duration
	// Closed is the closed-loop model, with Concurrency workers; otherwise
	// TargetRate is the open loop's rate now.
	Closed      bool
	Concurrency int
	TargetRate  float64
	// Achieved is the throughput over the last second.
	Achieved float64
	// Requests and Failed count the run's requests and failures;
	// Availability is the share that did not fail.
	Requests, Failed uint64
	Availability     float64
	// Recording notes where the session is recorded (or which recording
	// is replayed), shown at the end of the second line when it fits.
	Recording string
	// Verdict is the run's verdict once the load ended (PASS, FAIL,
	// ABORTED; empty before, and for a run without thresholds or steps);
	// Failing counts the thresholds that fail now, shown (2 ✗) while no
	// verdict is.
	Verdict string
	Failing int
	// Retries are the client retries' figures, nil when retries are off:
	// the header then says raw and effective availability side by side
	// and has a third line, the retries'.
	Retries *Retries
}

// Retries are the run's client retries, in the summary's words: raw
// availability (each attempt; Info.Availability) and effective
// availability (each logical request), amplification (attempts per
// request), retries (attempts after a request's first, PerSecond over
// the run), retries budget exhausted (retries the budget refused).
type Retries struct {
	Raw, Effective, Amplification float64
	Retries, BudgetExhausted      uint64
	PerSecond                     float64
}

// View renders the header's two lines, each at most width cells.
func View(st *common.Styles, in Info, width int) string {
	state := stateStyle(st, in.State).Render("● " + strings.ToUpper(in.State))
	elapsed := timeaxis.Clock(in.Elapsed)
	if in.Window > 0 {
		elapsed += " / " + timeaxis.Clock(in.Window)
	}
	right := state + "  " + st.HeaderKey.Render("elapsed ") + elapsed
	switch {
	case in.Verdict != "":
		style := st.Fail
		if in.Verdict == "PASS" {
			style = st.Pass
		}
		right = style.Render(in.Verdict) + "  " + right
	case in.Failing > 0:
		right = st.Bad.Render(fmt.Sprintf("%d ✗", in.Failing)) + "  " + right
	}
	line1 := spread(first(st, in, width-lipgloss.Width(right)-1), right, width)

	target := st.HeaderKey.Render("target ") + Rate(in.TargetRate)
	if in.Closed {
		target = st.HeaderKey.Render("connections ") + fmt.Sprintf("%d", in.Concurrency)
	}
	rate := target + st.HeaderKey.Render("  achieved ") + Rate(in.Achieved)
	avail := availability(st, in.Availability, in.Failed == 0)
	if r := in.Retries; r != nil {
		avail = st.HeaderKey.Render("raw ") + avail + st.HeaderKey.Render(" · effective ") +
			availability(st, r.Effective, r.Effective == 1)
	}
	// The figures stay whole: narrower gaps, then without the achieved
	// rate (the throughput chart shows it), before anything is cut.
	var line2 string
	for _, v := range []struct {
		gap         string
		rate, label bool
	}{{"   ", true, true}, {"  ", true, true}, {" ", true, true}, {" ", false, true}, {" ", false, false}} {
		r, label := rate, "availability "
		if !v.rate {
			r = target
		}
		if !v.label && in.Retries != nil {
			label = "" // raw and effective say it
		}
		line2 = r + st.HeaderKey.Render(v.gap+label) + avail +
			st.HeaderKey.Render(v.gap+"requests ") + fmt.Sprintf("%d", in.Requests) +
			st.HeaderKey.Render(v.gap+"failed ") + fmt.Sprintf("%d", in.Failed)
		if lipgloss.Width(line2) <= width {
			break
		}
	}
	if room := width - lipgloss.Width(line2) - 2; in.Recording != "" && room >= 12 {
		line2 = spread(line2, st.Dim.Render(ansi.Truncate(in.Recording, room, "…")), width)
	}
	out := line1 + "\n" + ansi.Truncate(line2, width, "…")
	if r := in.Retries; r != nil {
		out += "\n" + retriesLine(st, *r, width)
	}
	return out
}

// availability colours a share: good without failures, a warning from
// 99%, bad below.
func availability(st *common.Styles, v float64, none bool) string {
	s := fmt.Sprintf("%.3f%%", v*100)
	switch {
	case none:
		return st.Good.Render(s)
	case v >= 0.99:
		return st.Warn.Render(s)
	}
	return st.Bad.Render(s)
}

// retriesLine is the third line: "retries 1234 (12.3/s) · amplification
// 1.102 attempts per request · budget exhausted 5".
func retriesLine(st *common.Styles, r Retries, width int) string {
	exhausted := fmt.Sprintf("%d", r.BudgetExhausted)
	if r.BudgetExhausted > 0 {
		exhausted = st.Warn.Render(exhausted)
	}
	sep := st.Dim.Render(" · ")
	var line string
	for _, v := range []struct{ per, budget string }{
		{" attempts per request", "retries budget exhausted "}, {"", "retries budget exhausted "}, {"", "budget exhausted "}} {
		line = st.HeaderKey.Render("retries ") + fmt.Sprintf("%d (%s)", r.Retries, Rate(r.PerSecond)) + sep +
			st.HeaderKey.Render("amplification ") + fmt.Sprintf("%.3f", r.Amplification) + st.Dim.Render(v.per) + sep +
			st.HeaderKey.Render(v.budget) + exhausted
		if lipgloss.Width(line) <= width {
			break
		}
	}
	return ansi.Truncate(line, width, "…")
}

// first is the first line's left part in at most room cells: the name,
// the target and the load model; the name goes first, then the target is
// cut, so that the model stays whole.
func first(st *common.Styles, in Info, room int) string {
	model := st.Dim.Render("  " + in.Model)
	full := st.Header.Render("scalelab") + " " + in.Target + model
	if lipgloss.Width(full) <= room {
		return full
	}
	left := room - lipgloss.Width(model)
	if left < 12 {
		return full // spread cuts it
	}
	return ansi.Truncate(in.Target, left, "…") + model
}

// Rate formats a rate in requests per second.
func Rate(v float64) string { return Num(v) + "/s" }

// Num formats a number briefly: 950, 12.3k, 1.2M.
func Num(v float64) string {
	switch {
	case v >= 1e6:
		return trim(fmt.Sprintf("%.2f", v/1e6)) + "M"
	case v >= 1e4:
		return trim(fmt.Sprintf("%.1f", v/1e3)) + "k"
	case v >= 100 || v == 0:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return trim(fmt.Sprintf("%.1f", v))
	}
	return trim(fmt.Sprintf("%.2f", v))
}

// Ms formats a latency in milliseconds briefly: 2.80ms, 11.2ms, 250ms,
// 1.5s.
func Ms(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.0fs", v/1000)
	case v >= 1000:
		return fmt.Sprintf("%.1fs", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fms", v)
}

func trim(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func stateStyle(st *common.Styles, s string) lipgloss.Style {
	switch s {
	case Running:
		return st.Running
	case Paused:
		return st.Paused
	}
	return st.Stopping
}

// spread puts left and right on one line of width cells, cutting left when
// both do not fit.
func spread(left, right string, width int) string {
	rw := lipgloss.Width(right)
	if rw >= width {
		return ansi.Truncate(right, width, "…")
	}
	left = ansi.Truncate(left, width-rw-1, "…")
	gap := width - rw - lipgloss.Width(left)
	return left + strings.Repeat(" ", gap) + right
}
