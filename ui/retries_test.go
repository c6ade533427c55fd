package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/scalelab/scalelab/engine"
)

// retriesFrame is half a second of a client that retries: logical
// requests, of which the first attempts of a tenth fail (500s) and are
// retried once (failing again every fourth frame, one of them refused by
// the budget), as the engine counts them.
func retriesFrame(i, logical int) FrameMsg {
	from, to := time.Duration(i)*500*time.Millisecond, time.Duration(i+1)*500*time.Millisecond
	retried := logical / 10
	s := engine.NewSnapshot()
	s.Start, s.End = t0.Add(from), t0.Add(to)
	s.Requests = uint64(logical + retried)
	s.Status[500] = uint64(retried)
	s.Status[200] = s.Requests - s.Status[500]
	for range s.Requests {
		_ = s.Latency.RecordValue(2000)
	}
	s.Retries, s.EffectiveRequests = uint64(retried), uint64(logical)
	if i%4 == 0 {
		s.Status[500]++
		s.Status[200]--
		s.EffectiveFailed, s.RetriesBudgetExhausted = 1, 1
	}
	s.TargetRate = float64(logical * 2)
	return FrameMsg{Snapshot: s, CPU: 0.1, CPUKnown: true, Procs: 2}
}

// TestGoldenRetries: with retries on, the header says raw and effective
// availability side by side, and a third line the retries, in the
// summary's words; the figures are the run's.
func TestGoldenRetries(t *testing.T) {
	m := newModel(t, Config{Load: idleEngine(t), Window: time.Minute}, 120, 40)
	if m.headerRows() != 2 {
		t.Fatalf("header rows %d before any retry, want 2", m.headerRows())
	}
	for i := range 40 {
		m = update(t, m, retriesFrame(i, 250))
	}
	// 40 frames: 11000 attempts, 10000 requests, 1000 retries; 10 frames
	// with one failed request each (and one more failed attempt).
	tot := m.hist.Totals()
	if tot.Requests != 11000 || tot.EffectiveRequests != 10000 || tot.Retries != 1000 || tot.RetriesBudgetExhausted != 10 {
		t.Fatalf("totals: %d attempts, %d requests, %d retries, %d exhausted", tot.Requests, tot.EffectiveRequests, tot.Retries,
			tot.RetriesBudgetExhausted)
	}
	s := view(m)
	for _, want := range []string{"availability raw 90.818%", "effective 99.900%", "retries 1000 (50/s)",
		"amplification 1.100 attempts per request", "retries budget exhausted 10"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in the header:\n%s", want, strings.Join(strings.Split(s, "\n")[:3], "\n"))
		}
	}
	golden.RequireEqual(t, []byte(s))
	t.Run("80x24", func(t *testing.T) {
		golden.RequireEqual(t, []byte(view(update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24}))))
	})
}
