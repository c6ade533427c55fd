package ui

import (
	tea "github.com/charmbracelet/bubbletea"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// BenchmarkView measures one full render of a busy 120x40 screen in colour:
// the UI renders about four times a second.
func BenchmarkView(b *testing.B) {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.TrueColor)
	m := New(Config{Target: "http://127.0.0.1:8080/", Model: "open loop", Load: idleEngine(b), Feed: NewFeed(),
		Window: 5 * time.Minute, Renderer: r, Clock: func() time.Time { return t0 }})
	m = update(b, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = scenario(b, m)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_ = m.View()
	}
}

// BenchmarkFrame measures taking one engine frame into the model.
func BenchmarkFrame(b *testing.B) {
	m := newModel(b, Config{Load: idleEngine(b)}, 120, 40)
	frames := make([]FrameMsg, 64)
	for i := range frames {
		d := time.Duration(i) * 250 * time.Millisecond
		frames[i] = frame(d, d+250*time.Millisecond, 2500, 2*time.Millisecond, 200, 10000)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		f := frames[i%len(frames)]
		d := time.Duration(i) * 250 * time.Millisecond
		f.Snapshot.Start, f.Snapshot.End = t0.Add(d), t0.Add(d+250*time.Millisecond)
		m.hist.Add(f.Snapshot)
	}
}

// BenchmarkViewMarkers is BenchmarkView with 100 marker lines through the
// charts (issue 11: each marker used to double the chart lines).
func BenchmarkViewMarkers(b *testing.B) {
	m := markedModel(b, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_ = m.View()
	}
}
