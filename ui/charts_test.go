package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/scalelab/scalelab/engine"
)

// markedModel is a 120x40 colour screen after two minutes at 500 req/s
// with marks major events on screen, one a second from 0:10 (issue 11:
// the screen froze once about 12 were on it).
func markedModel(t testing.TB, marks int) Model {
	t.Helper()
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.TrueColor)
	m := New(Config{Target: "http://127.0.0.1:8080/", Model: "open loop", Load: idleEngine(t), Feed: NewFeed(),
		Window: 5 * time.Minute, Renderer: r, Clock: func() time.Time { return t0 }})
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	for i := range 2 * (marks + 12) {
		from := time.Duration(i) * 500 * time.Millisecond
		m = update(t, m, frame(from, from+500*time.Millisecond, 250, 2*time.Millisecond, 200, 500))
		if sec := i / 2; i%2 == 1 && sec >= 10 && sec < 10+marks {
			m = update(t, m, loadMsg{At: t0.Add(time.Duration(sec) * time.Second), What: fmt.Sprintf("rate → %d/s", 500+sec), Label: "r"})
		}
	}
	return m
}

// TestFrameSizeWithMarkers: with 100 marker lines through the charts, each
// line of the screen stays within a few bytes per cell (colour codes
// included), where each marker used to double every chart line.
func TestFrameSizeWithMarkers(t *testing.T) {
	const marks = 100
	m := markedModel(t, marks)
	screen := m.View()
	plain := ansi.Strip(screen)
	if n := strings.Count(lineWith(t, plain, " events "), "▲"); n < marks {
		t.Fatalf("%d markers on screen, want %d", n, marks)
	}
	// A cell is at most a colour change, a glyph and a reset.
	const perCell = 32
	for i, l := range strings.Split(screen, "\n") {
		if len(l) > perCell*120 {
			t.Errorf("line %d is %d bytes for 120 cells (at most %d)", i, len(l), perCell*120)
		}
	}
	if len(screen) > perCell*120*40 {
		t.Fatalf("the screen is %d bytes, want at most %d", len(screen), perCell*120*40)
	}
}

// steadyScenario feeds two minutes of an open loop lowered from 900 to
// 500 req/s at 0:30, then achieving 499 and 501 a second in turn.
func steadyScenario(t testing.TB, m Model) Model {
	t.Helper()
	for i := range 240 {
		from := time.Duration(i) * 500 * time.Millisecond
		sec := i / 2
		rate, n := 900.0, 450
		if sec >= 30 {
			rate, n = 500, 250
			// 499 and 501 in turn: one request less in the first half of
			// even seconds, one more in the second half of odd ones.
			if sec%2 == 0 && i%2 == 0 {
				n = 249
			}
			if sec%2 == 1 && i%2 == 1 {
				n = 251
			}
		}
		m = update(t, m, frame(from, from+500*time.Millisecond, n, 2*time.Millisecond, 200, rate))
		if i == 60 {
			m = update(t, m, loadMsg{At: t0.Add(30 * time.Second), What: "rate → 500/s", Label: "rate 500"})
		}
	}
	return m
}

// spikeScenario feeds two minutes at 500 req/s answered in 2 ms but for
// a hang from 0:20 to 0:23 (answers up to 3 s late) and, from 1:00 on, a
// small fault: answers in 10 ms.
func spikeScenario(t testing.TB, m Model) Model {
	t.Helper()
	for i := range 240 {
		from := time.Duration(i) * 500 * time.Millisecond
		lat := 2 * time.Millisecond
		switch sec := i / 2; {
		case sec >= 20 && sec < 23:
			lat = 750 * time.Millisecond
		case sec >= 60:
			lat = 10 * time.Millisecond
		}
		m = update(t, m, frame(from, from+500*time.Millisecond, 250, lat, 200, 500))
	}
	return m
}

// outageScenario feeds two minutes at 500 req/s answered in 2 ms but for
// an outage from 1:00 to 1:20 in which every connection is refused in
// 70 µs.
func outageScenario(t testing.TB, m Model) Model {
	t.Helper()
	for i := range 240 {
		from := time.Duration(i) * 500 * time.Millisecond
		lat, code := 2*time.Millisecond, 200
		if sec := i / 2; sec >= 60 && sec < 80 {
			lat, code = 70*time.Microsecond, -1
		}
		f := frame(from, from+500*time.Millisecond, 250, lat, max(code, 200), 500)
		if code < 0 {
			s := f.Snapshot
			clear(s.Status)
			s.Errors[engine.ErrRefused] = s.Requests
			s.FailedLatency.Merge(s.Latency) // as the engine records a failure
		}
		m = update(t, m, f)
	}
	return m
}

// TestGoldenCharts compares screens made to test the charts' scales with
// the files in testdata (refresh them with go test ./ui -run
// TestGoldenCharts -update).
func TestGoldenCharts(t *testing.T) {
	steady := steadyScenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute}, 120, 40))
	goldenScreens(t, steady, []goldenCase{
		{"steady_500_120x40", 120, 40, nil},
		{"steady_500_80x24", 80, 24, nil},
	})
	spike := spikeScenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute}, 120, 40))
	goldenScreens(t, spike, []goldenCase{
		{"spike_then_fault_120x40", 120, 40, nil},
		{"spike_then_fault_80x24", 80, 24, nil},
	})
	outage := outageScenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute}, 120, 40))
	goldenScreens(t, outage, []goldenCase{
		{"outage_120x40", 120, 40, nil},
		{"outage_80x24", 80, 24, nil},
	})
}
