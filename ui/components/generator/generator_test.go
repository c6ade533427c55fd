package generator

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/scalelab/scalelab/ui/common"
)

func TestBottleneck(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Stats
		want string
	}{
		{"keeps up", Stats{RPS: 1000, LateRate: 10, CPU: 0.5, CPUKnown: true, Procs: 2}, ""},
		{"cpu bound", Stats{RPS: 1000, CPU: 0.95, CPUKnown: true, Procs: 2}, "generator CPU at 95% of 2 cores"},
		{"cpu unknown", Stats{RPS: 1000, CPU: 0.95, Procs: 2}, ""},
		{"late", Stats{RPS: 1000, LateRate: 80}, "8% of sends late"},
		{"dropped", Stats{RPS: 1000, DroppedRate: 3}, "sends dropped"},
		{"closed loop has no schedule", Stats{Closed: true, RPS: 1000, LateRate: 500, DroppedRate: 3}, ""},
		{"closed loop cpu bound", Stats{Closed: true, CPU: 0.99, CPUKnown: true, Procs: 1}, "generator CPU at 99% of 1 cores"},
		// Once probed, the probes' judgement is the panel's, as the summary's.
		{"probed saturated", Stats{RPS: 1000, Probed: true, Saturated: true, Reasons: []string{"run delay 135 ms/s", "120 sends late"}},
			"generator-bound: run delay 135 ms/s, 120 sends late"},
		{"probed keeps up", Stats{RPS: 1000, LateRate: 80, Probed: true}, ""},
	} {
		got := Bottleneck(tc.s)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: Bottleneck = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func styles() *common.Styles {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return common.DefaultStyles(r)
}

// warned are stats with each of the warnings.
var warned = []Stats{
	{RPS: 1000, CPU: 0.95, CPUKnown: true, Procs: 16, LagMax: 99 * time.Millisecond, LagAvg: 999 * time.Microsecond},
	{RPS: 1000, DroppedRate: 3, Dropped: 123456, InFlight: 4096},
	{RPS: 1000, LateRate: 80, Late: 123456},
}

// TestWarningWhole renders each warning in the panel's widths and in the
// reduced layout's line: every word of it shows whole, and no line is
// wider than asked.
func TestWarningWhole(t *testing.T) {
	st := styles()
	for _, s := range warned {
		want := strings.Fields("⚠ " + Bottleneck(s))
		for w := 24; w <= 50; w++ {
			panel := strings.Split(ansi.Strip(View(st, s, w, 7)), "\n")
			compact := strings.Split(ansi.Strip(strings.Join(Compact(st, s, w+30), "\n")), "\n")
			for _, warn := range [][]string{warning(panel), compact[:len(compact)-1]} {
				if got := strings.Fields(strings.Join(warn, " ")); strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("width %d: the warning reads %q, want %q:\n%s\n\n%s", w, got, want, strings.Join(panel, "\n"), strings.Join(compact, "\n"))
				}
			}
			for _, l := range panel {
				if ansi.StringWidth(l) > max(w, Width) {
					t.Errorf("width %d: %q too wide", w, l)
				}
			}
			for _, l := range compact {
				if ansi.StringWidth(l) > w+30 {
					t.Errorf("width %d: %q too wide", w+30, l)
				}
			}
		}
	}
}

// warning are the panel's lines from the warning on.
func warning(lines []string) []string {
	for i, l := range lines {
		if strings.HasPrefix(l, "⚠") {
			return lines[i:]
		}
	}
	return nil
}

// TestWarningTakesRows checks that a warning taller than the rows the
// figures leave shows whole, the last figures giving way.
func TestWarningTakesRows(t *testing.T) {
	st := styles()
	got := ansi.Strip(View(st, warned[1], 24, 6))
	want := "in-flight 4096\ndropped   123456 (3/s)\nlate      0 (0/s)\n⚠ sends dropped: max\nin-flight reached,\ntarget not keeping up"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := ansi.Strip(strings.Join(Compact(st, Stats{InFlight: 8, LagMax: 300 * time.Microsecond, CPUKnown: true, CPU: 0.12, Procs: 2}, 60), "\n")); got != "in-flight 8 · dropped 0 · late 0 · lag max 300µs" {
		t.Errorf("compact figures %q: those that do not fit go whole", got)
	}
}

// TestConnectText: the connects row says "—" without a snapshot (and in a
// replay: recordings keep no connection figures), the rate alone when
// none was opened (keep-alive), and the p99 when some were.
func TestConnectText(t *testing.T) {
	for _, tc := range []struct {
		s    Stats
		want string
	}{
		{Stats{}, "—"},
		{Stats{ConnectKnown: true}, "0/s"},
		{Stats{ConnectKnown: true, Connects: 200, ConnectP99: 1200 * time.Microsecond}, "200/s p99 1.2ms"},
		{Stats{ConnectKnown: true, Connects: 4, ConnectP99: 230 * time.Microsecond}, "4/s p99 230µs"},
	} {
		if got := connectText(tc.s); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.s, got, tc.want)
		}
		view := ansi.Strip(View(styles(), tc.s, Width, 10))
		if !strings.Contains(view, "connects  "+tc.want) {
			t.Errorf("view has no connects %q:\n%s", tc.want, view)
		}
	}
}
