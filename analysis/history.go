// Package analysis turns the engine's snapshots into what a run is judged
// on: chart columns of fixed stretches of time (one second by default),
// each with its throughput, latency percentiles and failures per second,
// computed exactly from the merged snapshots; and, over the last few
// columns, how the requests split by the version that answered them. It
// knows nothing of terminals: the UI draws its columns, and thresholds and
// the canary judge read the same windows. Thresholds and step conditions
// (ParseThreshold, ParseCondition) are judged by a Judge and a Trigger fed
// the same snapshots, on exactly merged histograms, into a Verdict.
package analysis

import (
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/scalelab/scalelab/engine"
)

// DefaultStep is a column's length of time.
const DefaultStep = time.Second

// DefaultKeep is how many columns a History keeps: ten minutes of one-second
// columns, wider than any terminal.
const DefaultKeep = 600

// Column is what one stretch of time measured. Rates are per second.
type Column struct {
	// Index numbers the column from the run's start (0 is the first step).
	Index int
	// Seconds is how much of the column's time the snapshots covered.
	Seconds float64
	// Requests counts the requests that ended in the column, and Failed
	// those of them that failed (transport errors and 5xx answers).
	Requests, Failed uint64
	// RPS is the achieved throughput; Target the open-loop target rate at
	// the column's end (0 in closed loop); Concurrency the closed-loop
	// worker count.
	RPS, Target float64
	Concurrency int
	// P50, P90, P99 and Max are latency in milliseconds (of the requests
	// latencyOf picks); NaN when none ended in the column.
	P50, P90, P99, Max float64
	// Non2xx is the rate of answers with a status outside 200-299.
	Non2xx float64
	// Errors is the rate of requests that ended without a status, by
	// engine.ErrorClass.
	Errors [engine.NumErrorClasses]float64
	// Dropped and Late are open-loop sends skipped or sent late, per second.
	Dropped, Late float64
}

// History keeps the columns of a run. It is not safe for concurrent use.
type History struct {
	step   time.Duration
	keep   int
	origin time.Time
	cols   []Column
	acc    *engine.Snapshot // the current column's snapshots, merged
	accIdx int
	cur    Column           // column(accIdx, acc), computed once per snapshot added
	curOK  bool             // cur is up to date
	last   *engine.Snapshot // the latest snapshot
	total  engine.Snapshot  // counters of the whole run (no histograms)

	vcols    []versionColumn // the last complete columns' split by version
	versions []Version       // their sum
	vhists   map[string]*hdrhistogram.Histogram
}

// NewHistory returns an empty history of columns of length step (DefaultStep when
// 0) keeping the last keep columns (DefaultKeep when 0).
func NewHistory(step time.Duration, keep int) *History {
	if step <= 0 {
		step = DefaultStep
	}
	if keep <= 0 {
		keep = DefaultKeep
	}
	return &History{step: step, keep: keep, accIdx: -1}
}

// Step is a column's length of time.
func (h *History) Step() time.Duration { return h.step }

// Origin is the run's start (the first snapshot's start), zero before any
// snapshot arrived.
func (h *History) Origin() time.Time { return h.origin }

// Elapsed is the time from the run's start to the latest snapshot's end.
func (h *History) Elapsed() time.Duration {
	if h.last == nil {
		return 0
	}
	return h.last.End.Sub(h.origin)
}

// Last is the latest snapshot, nil before any.
func (h *History) Last() *engine.Snapshot { return h.last }

// Requests and Failed count the whole run's requests, and those that ended
// in an error or a 5xx status.
func (h *History) Requests() uint64 { return h.total.Requests }

// Failed counts the whole run's requests that ended in an error or a 5xx.
func (h *History) Failed() uint64 { return h.total.Failed() }

// Totals are the whole run's counters (its histograms are not kept).
func (h *History) Totals() *engine.Snapshot { return &h.total }

// Availability is the whole run's share of requests that did not fail, 1
// before any request.
func (h *History) Availability() float64 {
	if h.total.Requests == 0 {
		return 1
	}
	return float64(h.total.Requests-h.total.Failed()) / float64(h.total.Requests)
}

// IndexAt is the column index of the time t (negative before the start).
func (h *History) IndexAt(t time.Time) int {
	if h.origin.IsZero() {
		return 0
	}
	d := t.Sub(h.origin)
	if d < 0 {
		return -1
	}
	return int(d / h.step)
}

// Add takes one snapshot. Snapshots must come in order.
func (h *History) Add(s *engine.Snapshot) {
	if h.origin.IsZero() {
		h.origin = s.Start
	}
	h.last = s
	h.addTotals(s)
	idx := h.indexOfEnd(s.End)
	if idx != h.accIdx {
		if h.acc != nil {
			c := column(h.accIdx, h.acc)
			h.push(c)
			h.pushVersions(c.Seconds, h.acc.ByVersion)
		}
		for i := h.accIdx + 1; h.accIdx >= 0 && i < idx; i++ {
			h.push(Column{Index: i, P50: math.NaN(), P90: math.NaN(), P99: math.NaN(), Max: math.NaN()})
			h.pushVersions(0, nil)
		}
		h.acc, h.accIdx = h.reuse(h.acc), idx
	}
	h.acc.Merge(s)
	h.curOK = false
}

// AddTotals takes a snapshot into the run's totals and origin only, not
// into any column: for a replay that starts its history from snapshots
// older than the columns kept. Snapshots must come in order, before those
// given to Add.
func (h *History) AddTotals(s *engine.Snapshot) {
	if h.origin.IsZero() {
		h.origin = s.Start
	}
	h.addTotals(s)
}

// reuse empties a finished column's snapshot for the next column, keeping
// its histograms' memory (its split by version goes to the version
// window: the next column's is new).
func (h *History) reuse(s *engine.Snapshot) *engine.Snapshot {
	if s == nil {
		return engine.NewSnapshot()
	}
	lat, svc, failed := s.Latency, s.Service, s.FailedLatency
	lat.Reset()
	svc.Reset()
	if failed == nil {
		failed = engine.NewHistogram()
	}
	failed.Reset()
	clear(s.Status)
	*s = engine.Snapshot{Status: s.Status, Latency: lat, Service: svc, FailedLatency: failed}
	return s
}

// indexOfEnd is the column that a snapshot ending at end belongs to: the
// one its end falls in, an end exactly on a boundary closing the column
// before it.
func (h *History) indexOfEnd(end time.Time) int {
	d := end.Sub(h.origin)
	if d <= 0 {
		return 0
	}
	return int((d - 1) / h.step)
}

func (h *History) addTotals(s *engine.Snapshot) {
	h.total.MergeCounts(s) // no histograms: replay seeks add many frames
}

func (h *History) push(c Column) {
	h.cols = append(h.cols, c)
	if over := len(h.cols) - h.keep; over > 0 {
		h.cols = append(h.cols[:0], h.cols[over:]...)
	}
}

// Current is the index of the column being filled (-1 before any snapshot).
func (h *History) Current() int { return h.accIdx }

// Window returns the last n columns up to the current one, oldest first;
// while the run is shorter than n columns, the columns from its start.
// It copies at most n columns, and computes the current one once per
// snapshot added however often it is asked.
func (h *History) Window(n int) []Column {
	if n <= 0 {
		return nil
	}
	if h.acc == nil {
		return h.cols[max(len(h.cols)-n, 0):]
	}
	done := h.cols[max(len(h.cols)-(n-1), 0):]
	return append(done[:len(done):len(done)], h.current())
}

// current is the column being filled, computed when a snapshot came in
// since it last was.
func (h *History) current() Column {
	if !h.curOK {
		h.cur, h.curOK = column(h.accIdx, h.acc), true
	}
	return h.cur
}

// MostlyFailed reports a column in which more than half of the requests
// failed: its latency is mostly that of failures (a refused connection
// answers in microseconds), not of the service.
func (c Column) MostlyFailed() bool { return c.Requests > 0 && 2*c.Failed > c.Requests }

// latencyOf is the latency the columns' percentiles are of: the
// successful answers' alone, so an outage whose requests are refused in
// microseconds leaves a gap (shaded as mostly failed), never a dip that
// reads as a faster service.
func latencyOf(s *engine.Snapshot) *hdrhistogram.Histogram { return s.OKLatency() }

// column computes a column from its merged snapshot.
func column(idx int, s *engine.Snapshot) Column {
	c := Column{Index: idx, Requests: s.Requests, Failed: s.Failed(), Target: s.TargetRate, Concurrency: s.Concurrency}
	c.Seconds = s.Elapsed().Seconds()
	nan := math.NaN()
	c.P50, c.P90, c.P99, c.Max = nan, nan, nan, nan
	if lat := latencyOf(s); lat != nil && lat.TotalCount() > 0 {
		p := engine.PercentilesOf(lat)
		c.P50, c.P90, c.P99, c.Max = p.P50, p.P90, p.P99, p.Max
	}
	if c.Seconds <= 0 {
		return c
	}
	per := func(n uint64) float64 { return float64(n) / c.Seconds }
	c.RPS = per(s.Requests)
	var non2xx uint64
	for code, n := range s.Status {
		if code < 200 || code > 299 {
			non2xx += n
		}
	}
	c.Non2xx = per(non2xx)
	for i, n := range s.Errors {
		if i < len(c.Errors) {
			c.Errors[i] = per(n)
		}
	}
	c.Dropped, c.Late = per(s.Dropped), per(s.Late)
	return c
}
