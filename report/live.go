package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
)

// LiveLine prints the headless live line, one a snapshot given to Print:
// what it measured.
type LiveLine struct {
	w       io.Writer
	elapsed time.Duration
}

// NewLiveLine prints on w.
func NewLiveLine(w io.Writer) *LiveLine { return &LiveLine{w: w} }

// Print writes the line for snapshot s.
func (l *LiveLine) Print(s *engine.Snapshot) {
	l.elapsed += s.Elapsed()
	secs := s.Elapsed().Seconds()
	if secs <= 0 {
		return
	}
	p := engine.PercentilesOf(s.Latency)
	fmt.Fprintf(l.w, "%6.1fs %9.1f req/s  p50 %s  p99 %s  max %s  %s  inflight %d  late %d  dropped %d\n",
		l.elapsed.Seconds(), float64(s.Requests)/secs, ms(p.P50), ms(p.P99), ms(p.Max),
		outcomeLine(s), s.InFlight, s.Late, s.Dropped)
}

// outcomeLine sums statuses by class, then counts the transport errors
// and the failed requests (transport errors and 5xx).
func outcomeLine(s *engine.Snapshot) string {
	var classes [6]uint64
	for code, n := range s.Status {
		classes[min(code/100, 5)] += n
	}
	parts := []string{}
	for i, name := range []string{"", "1xx", "2xx", "3xx", "4xx", "5xx"} {
		if i > 0 && classes[i] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", name, classes[i]))
		}
	}
	if n := s.TotalErrors(); n > 0 {
		parts = append(parts, fmt.Sprintf("transport errors %d", n))
	}
	if len(parts) == 0 {
		return "no answers"
	}
	return fmt.Sprintf("%s  failed %d", strings.Join(parts, " "), s.Failed())
}

// Secondly merges snapshots and hands one on per second of measurement
// (the headless live line's pace, whatever the tick).
type Secondly struct {
	acc  *engine.Snapshot
	emit func(*engine.Snapshot)
}

// NewSecondly hands each second's merged snapshot to emit.
func NewSecondly(emit func(*engine.Snapshot)) *Secondly { return &Secondly{emit: emit} }

// Add merges s (keeping nothing of it) and emits the merged snapshot once
// it covers a second, within half of s's length.
func (p *Secondly) Add(s *engine.Snapshot) {
	if p.acc == nil {
		p.acc = engine.NewSnapshot()
	}
	p.acc.Merge(s)
	if p.acc.Elapsed() >= time.Second-s.Elapsed()/2 {
		p.emit(p.acc)
		p.acc = nil
	}
}

// StepLine prints a step's start or end, or the end of a fault's effect,
// on w, at seconds from the start: the headless run's line for it.
func StepLine(w io.Writer, at float64, r experiments.Result) {
	_, text := r.State()
	fmt.Fprintf(w, "%6.1fs  step   %s%s\n", at, r.Label(), text)
}
