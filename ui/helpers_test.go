package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/scalelab/scalelab/engine"
)

// t0 is the synthetic runs' start.
var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

// asciiRenderer renders without colour, as golden files want.
func asciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return r
}

// idleEngine is a real engine that is never run: views read its model.
func idleEngine(t testing.TB, opts ...engine.Option) *engine.Engine {
	t.Helper()
	if len(opts) == 0 {
		opts = []engine.Option{engine.Rate(500)}
	}
	e, err := engine.New(engine.Target{URL: "http://127.0.0.1:9/"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// runningEngine runs a real engine against a loopback server for the
// test's duration (at most 60 s).
func runningEngine(t *testing.T, opts ...engine.Option) *engine.Engine {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	return engineOn(t, srv.URL, opts...)
}

// engineOn runs a real engine sending to url for the test's duration (at
// most 60 s).
func engineOn(t *testing.T, url string, opts ...engine.Option) *engine.Engine {
	t.Helper()
	opts = append(opts, engine.Duration(60*time.Second))
	e, err := engine.New(engine.Target{URL: url}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := e.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

// newModel returns a sized model on cfg, without colour.
func newModel(t testing.TB, cfg Config, w, h int) Model {
	t.Helper()
	if cfg.Feed == nil {
		cfg.Feed = NewFeed()
	}
	if cfg.Target == "" {
		cfg.Target = "http://127.0.0.1:8080/"
	}
	if cfg.Model == "" {
		cfg.Model = "open loop, 500 req/s"
	}
	cfg.Renderer = asciiRenderer()
	if cfg.Clock == nil {
		cfg.Clock = func() time.Time { return t0.Add(42 * time.Second) }
	}
	m := New(cfg)
	return update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
}

// update applies msg and returns the model, dropping the command.
func update(t testing.TB, m Model, msg tea.Msg) Model {
	t.Helper()
	m, _ = step(t, m, msg)
	return m
}

// step applies msg and returns the model and its command.
func step(t testing.TB, m Model, msg tea.Msg) (Model, tea.Cmd) {
	t.Helper()
	next, cmd := m.Update(msg)
	nm, ok := next.(Model)
	if !ok {
		t.Fatalf("Update returned %T", next)
	}
	return nm, cmd
}

// press applies a key: "up", "down", "enter", "esc", "ctrl+c" or runes.
func press(t testing.TB, m Model, k string) (Model, tea.Cmd) {
	t.Helper()
	return step(t, m, keyMsg(k))
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case " ":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// typeText types s into the model, key by key.
func typeText(t testing.TB, m Model, s string) Model {
	t.Helper()
	for _, r := range s {
		m = update(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return m
}

// exec runs cmd (which must not be a batch) and feeds its message back,
// returning the model and the message.
func exec(t testing.TB, m Model, cmd tea.Cmd) (Model, tea.Msg) {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command")
	}
	msg := cmd()
	if _, ok := msg.(tea.BatchMsg); ok {
		t.Fatal("exec: got a batch")
	}
	return update(t, m, msg), msg
}

// view renders m without ANSI sequences.
func view(m Model) string { return ansi.Strip(m.View()) }

// frame is a synthetic engine frame over [from, to) after t0: n requests at
// latency lat with status code (0: reset errors), target rate rate.
func frame(from, to time.Duration, n int, lat time.Duration, code int, rate float64) FrameMsg {
	s := engine.NewSnapshot()
	s.Start, s.End = t0.Add(from), t0.Add(to)
	for i := range n {
		switch {
		case code == 0:
			s.Errors[engine.ErrReset]++
		default:
			s.Status[code]++
		}
		s.Requests++
		// Spread latencies: most at lat, a tail at up to 4x.
		v := lat
		if i%10 == 9 {
			v = lat * time.Duration(2+i%3)
		}
		_ = s.Latency.RecordValue(v.Microseconds())
		_ = s.Service.RecordValue(v.Microseconds())
	}
	s.TargetRate = rate
	s.InFlight = int64(n / 50)
	s.LagMax = 300 * time.Microsecond
	s.LagSum = time.Duration(n) * 80 * time.Microsecond
	return FrameMsg{Snapshot: s, CPU: 0.12, CPUKnown: true, Procs: 2}
}

// lineWith returns the first line of s containing sub, or fails.
func lineWith(t *testing.T, s, sub string) string {
	t.Helper()
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	t.Fatalf("no line with %q in:\n%s", sub, s)
	return ""
}

// lineAfter returns the line of s after the line equal to line.
func lineAfter(t *testing.T, s, line string) string {
	t.Helper()
	lines := strings.Split(s, "\n")
	for i, l := range lines[:len(lines)-1] {
		if l == line {
			return lines[i+1]
		}
	}
	t.Fatalf("no line %q in:\n%s", line, s)
	return ""
}

// versionFrame is a frame over [from, to) after t0 at 800/s in which each
// version answered n requests (v1 at 2 ms, others at 3 ms), failed of them
// with a 503.
func versionFrame(from, to time.Duration, n, failed map[string]int) FrameMsg {
	s := engine.NewSnapshot()
	s.Start, s.End = t0.Add(from), t0.Add(to)
	s.ByVersion = map[string]*engine.VersionStats{}
	for name, k := range n {
		lat := 3 * time.Millisecond
		if name == "v1" {
			lat = 2 * time.Millisecond
		}
		vs := &engine.VersionStats{Requests: uint64(k), Failed: uint64(failed[name]), Latency: engine.NewHistogram()}
		for range k {
			_ = vs.Latency.RecordValue(lat.Microseconds())
			_ = s.Latency.RecordValue(lat.Microseconds())
			_ = s.Service.RecordValue(lat.Microseconds())
		}
		s.ByVersion[name] = vs
		s.Requests += uint64(k)
		s.Status[200] += uint64(k - failed[name])
		s.Status[503] += uint64(failed[name])
	}
	s.TargetRate = 800
	return FrameMsg{Snapshot: s, CPU: 0.12, CPUKnown: true, Procs: 2}
}
