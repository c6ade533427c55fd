package engine

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds shared by every snapshot, so any two merge exactly:
// microseconds from 1 µs to one hour at three significant digits.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histSigFigs = 3
	// maxStatus bounds the status codes counted one by one; larger ones are
	// counted as maxStatus.
	maxStatus = 999
	// lateAfter is how far behind its intended time a send may go before it
	// is counted as late.
	lateAfter = time.Millisecond
)

// NewHistogram returns an empty latency histogram in microseconds with the
// bounds every snapshot uses.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histSigFigs)
}

// Snapshot holds what the engine measured over one window (a tick, or a
// whole run when snapshots are merged).
type Snapshot struct {
	// Start and End bound the window.
	Start, End time.Time
	// Requests counts requests that ended in a status or an error class:
	// the sum of Status and Errors. Dropped requests are not in it.
	Requests uint64
	// Status counts responses by HTTP status code.
	Status map[int]uint64
	// Errors counts requests that ended without a status, by class.
	Errors [numErrorClasses]uint64
	// BytesIn counts response body bytes read; BytesOut request body bytes.
	BytesIn, BytesOut uint64
	// Dropped counts open-loop requests due in the sending window that were
	// never sent: MaxInflight requests were outstanding, or the generator
	// fell so far behind that the window closed first. Late counts sends
	// more than 1 ms behind schedule.
	Dropped, Late uint64
	// LagMax is the largest and LagSum the total scheduling lag (actual
	// minus intended send time) over the Requests sent in the window.
	LagMax, LagSum time.Duration
	// InFlight is the number of requests outstanding at End. TargetRate is
	// the scheduled open-loop rate at End (0 in closed loop); Concurrency
	// the closed-loop worker count at End (0 in open loop).
	InFlight    int64
	TargetRate  float64
	Concurrency int
	// Latency is the histogram of latency in microseconds, timed from the
	// intended send in open loop; Service is timed from the actual send.
	Latency, Service *hdrhistogram.Histogram
	// ByVersion splits the requests that have a version by the version of
	// the service that answered them: with Balance, the version of the
	// endpoint each was sent to; otherwise the VersionHeader of the answer.
	// During a rollout it holds the old and the new version side by side.
	// Requests without a version (answers without the header; without
	// Balance, requests that got no answer; with it, those that found no
	// connection) are in no entry, so the entries' Requests sum to at most
	// Requests. At most MaxVersions names are kept; requests of further
	// versions are counted under OtherVersion. A name is what the target
	// sent, cut to 64 bytes: sanitize it before showing it on a terminal.
	// Nil when no request had a version. Entries are the snapshot's own:
	// Merge copies, never shares. The Versions method lists the names in
	// version order.
	ByVersion map[string]*VersionStats
}

// NewSnapshot returns an empty snapshot with allocated histograms.
func NewSnapshot() *Snapshot {
	return &Snapshot{Status: map[int]uint64{}, Latency: NewHistogram(), Service: NewHistogram()}
}

// ErrorCount returns the number of requests that ended in class c.
func (s *Snapshot) ErrorCount(c ErrorClass) uint64 { return s.Errors[c] }

// TotalErrors is the number of requests that ended without a status.
func (s *Snapshot) TotalErrors() uint64 {
	var n uint64
	for _, v := range s.Errors {
		n += v
	}
	return n
}

// Failed is the number of requests that ended in an error or a 5xx status.
func (s *Snapshot) Failed() uint64 {
	n := s.TotalErrors()
	for code, v := range s.Status {
		if serverError(code) {
			n += v
		}
	}
	return n
}

// serverError reports a 5xx status: the service answered, unavailable.
// Failed counts those and the error classes.
func serverError(code int) bool { return code >= 500 }

// Elapsed is the window's length.
func (s *Snapshot) Elapsed() time.Duration { return s.End.Sub(s.Start) }

// MergeCounts adds o's counters into s (requests, statuses, errors, bytes,
// dropped, late, lag, and each version's requests and failures), leaving
// the window, gauges and histograms alone: the cheap part of Merge, for
// running totals that need no percentiles. A version new to s gets a nil
// Latency.
func (s *Snapshot) MergeCounts(o *Snapshot) {
	s.mergeCounters(o)
	s.mergeVersions(o, false)
}

// mergeCounters adds o's counters, all but its versions', into s.
func (s *Snapshot) mergeCounters(o *Snapshot) {
	s.Requests += o.Requests
	if s.Status == nil {
		s.Status = map[int]uint64{}
	}
	for code, n := range o.Status {
		s.Status[code] += n
	}
	for i, n := range o.Errors {
		s.Errors[i] += n
	}
	s.BytesIn += o.BytesIn
	s.BytesOut += o.BytesOut
	s.Dropped += o.Dropped
	s.Late += o.Late
	s.LagSum += o.LagSum
	s.LagMax = max(s.LagMax, o.LagMax)
}

// Merge adds o into s exactly: counters and histograms add, those of
// ByVersion version by version (beyond MaxVersions names, into
// OtherVersion's), and the window widens to cover both. Gauges (InFlight,
// TargetRate, Concurrency) add when the windows overlap (several agents
// over one period) and are taken from the later snapshot otherwise (one
// agent over consecutive periods).
func (s *Snapshot) Merge(o *Snapshot) {
	overlap := !s.Start.IsZero() && o.Start.Before(s.End) && s.Start.Before(o.End)
	switch {
	case overlap:
		s.InFlight += o.InFlight
		s.TargetRate += o.TargetRate
		s.Concurrency += o.Concurrency
	case !o.End.Before(s.End):
		s.InFlight, s.TargetRate, s.Concurrency = o.InFlight, o.TargetRate, o.Concurrency
	}
	if s.Start.IsZero() || (!o.Start.IsZero() && o.Start.Before(s.Start)) {
		s.Start = o.Start
	}
	if o.End.After(s.End) {
		s.End = o.End
	}
	s.mergeCounters(o)
	s.mergeVersions(o, true)
	if s.Latency == nil {
		s.Latency = NewHistogram()
	}
	if s.Service == nil {
		s.Service = NewHistogram()
	}
	if o.Latency != nil {
		s.Latency.Merge(o.Latency)
	}
	if o.Service != nil {
		s.Service.Merge(o.Service)
	}
}
