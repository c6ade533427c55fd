package experiments

import (
	"math"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// Tick is what one engine snapshot counted over its window: the unit the
// steps are measured in, live from the engine and in replay from a
// recording's frames.
type Tick struct {
	Start, End time.Time
	// Requests counts the requests that ended in the window, Failed those
	// that failed (a transport error or a 5xx answer), Errors the
	// transport errors (no HTTP answer).
	Requests, Failed, Errors uint64
}

// TickOf is what snapshot s counted.
func TickOf(s *engine.Snapshot) Tick {
	return Tick{Start: s.Start, End: s.End, Requests: s.Requests, Failed: s.Failed(), Errors: s.TotalErrors()}
}

// Figures are what the load measured over a span.
type Figures struct {
	Requests, Failed, Errors uint64
}

// Availability is (Requests-Failed)/Requests, 0 without requests.
func (f Figures) Availability() float64 {
	if f.Requests == 0 {
		return 0
	}
	return float64(f.Requests-f.Failed) / float64(f.Requests)
}

// Measure attributes the ticks' counts to the span from..to by time: a
// tick inside it counts whole, one that overlaps it by the share of its
// window inside the span (its requests taken as spread evenly over it),
// one outside not at all; each total is rounded once at the end. A tick
// without a window counts whole when its time is in the span. The live
// runner and replay both measure steps with it, so they agree.
func Measure(ticks []Tick, from, to time.Time) Figures {
	if to.Before(from) {
		return Figures{}
	}
	var req, failed, errs float64
	for _, t := range ticks {
		share := overlap(t.Start, t.End, from, to)
		if share == 0 {
			continue
		}
		req += share * float64(t.Requests)
		failed += share * float64(t.Failed)
		errs += share * float64(t.Errors)
	}
	return Figures{Requests: round(req), Failed: round(failed), Errors: round(errs)}
}

// overlap is the share (0..1) of the window start..end inside from..to.
func overlap(start, end, from, to time.Time) float64 {
	if !end.After(start) {
		if !start.Before(from) && !start.After(to) {
			return 1
		}
		return 0
	}
	lo, hi := start, end
	if from.After(lo) {
		lo = from
	}
	if to.Before(hi) {
		hi = to
	}
	if !hi.After(lo) {
		return 0
	}
	return float64(hi.Sub(lo)) / float64(end.Sub(start))
}

func round(v float64) uint64 { return uint64(math.Round(v)) }
