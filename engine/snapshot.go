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
	// Causes splits the Errors of the Detailed classes (protocol, other)
	// by cause, Causes[class][cause]: each such row sums to its class's
	// count. The rows of other classes stay zero. (Recordings made before
	// it was kept have none: Summarize counts the rest as unclassified.)
	Causes [numErrorClasses][numErrorCauses]uint64
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
	// Latency is the histogram of latency in microseconds of every
	// request, timed from the intended send in open loop; Service is timed
	// from the actual send.
	Latency, Service *hdrhistogram.Histogram
	// FailedLatency is the part of Latency that failed (transport errors
	// and 5xx answers, as Failed counts), timed as Latency and of the same
	// geometry; OKLatency is the rest. A total outage, where every request
	// fails fast, shows there instead of as a faster service. Nil or empty
	// in a snapshot read from a recording made before it was kept.
	FailedLatency *hdrhistogram.Histogram
	// ConnectionsOpened counts the connections the requests opened (the
	// dial, and the TLS handshake for https, succeeded): with keep-alive
	// about one per worker, without it one per request. Connect is the
	// histogram of their opening times in microseconds (dial plus
	// handshake), of the same geometry as Latency and counting
	// ConnectionsOpened values; nil or empty when none was opened. Each
	// is part of its request's latency. (A request abandoned at the end
	// of the run does not count the connection it opened.) A snapshot
	// read from a recording older than format 1.7 has neither.
	ConnectionsOpened uint64
	Connect           *hdrhistogram.Histogram
	// With retries (see Retries), the figures above are raw: each attempt
	// counts. Retries counts the attempts after a request's first, so
	// that Requests = EffectiveRequests + Retries over a whole run.
	// EffectiveRequests counts the (logical) requests that ended, each
	// with its last attempt's outcome, EffectiveFailed those that failed
	// (transport errors and 5xx, as Failed), RetriesBudgetExhausted those
	// whose retry the budget refused. Effective is their latency in
	// microseconds, timed from the first attempt's intended send to the
	// last's end. All zero, Effective nil or empty, without retries.
	Retries, EffectiveRequests, EffectiveFailed, RetriesBudgetExhausted uint64
	Effective                                                           *hdrhistogram.Histogram
	// ByVersion splits the requests by the version of the service that
	// answered them: with Balance, the version of the endpoint each was
	// sent to; otherwise the VersionHeader of the answer. During a rollout
	// it holds the old and the new version side by side. Requests without
	// a version (answers without the header, such as a balancer's 502s;
	// without Balance, requests that got no answer; with it, those that
	// found no connection, and abandoned ones) are counted under
	// UnknownVersion, so that the entries sum to Requests. At most
	// MaxVersions names are kept; requests of further versions are counted
	// under OtherVersion. A name is what the target sent, cut to 64 bytes:
	// sanitize it before showing it on a terminal. Nil when no request had
	// a version (there is no split: a snapshot merged with one that has a
	// split counts its requests as unknown). Entries are the snapshot's
	// own: Merge copies, never shares. The Versions method lists the names
	// in version order. (Recordings made before the unknown entry existed
	// have none: their entries sum to at most Requests.)
	ByVersion map[string]*VersionStats
}

// NewSnapshot returns an empty snapshot with allocated histograms.
func NewSnapshot() *Snapshot {
	return &Snapshot{Status: map[int]uint64{}, Latency: NewHistogram(), Service: NewHistogram(),
		FailedLatency: NewHistogram()}
}

// OKLatency returns the latency histogram of the requests that did not
// fail: Latency minus FailedLatency, exactly (same geometry). It is a new
// histogram, the caller's to keep; nil when Latency is.
func (s *Snapshot) OKLatency() *hdrhistogram.Histogram {
	if s.Latency == nil {
		return nil
	}
	return subtract(s.Latency, s.FailedLatency)
}

// subtract returns a new histogram holding a's counts minus those of each
// of bs (nil ones skipped), bucket by bucket, never below zero. All must
// have a's geometry.
func subtract(a *hdrhistogram.Histogram, bs ...*hdrhistogram.Histogram) *hdrhistogram.Histogram {
	snap := a.Export()
	for _, b := range bs {
		if b == nil || b.TotalCount() == 0 {
			continue
		}
		for i, n := range b.Export().Counts {
			if i < len(snap.Counts) {
				snap.Counts[i] = max(snap.Counts[i]-n, 0)
			}
		}
	}
	return hdrhistogram.Import(snap)
}

// addCauses adds the counts by cause of o into s.
func addCauses(s, o *[numErrorClasses][numErrorCauses]uint64) {
	for c := range o {
		for k, n := range o[c] {
			s[c][k] += n
		}
	}
}

// ErrorCount returns the number of requests that ended in class c.
func (s *Snapshot) ErrorCount(c ErrorClass) uint64 { return s.Errors[c] }

// TotalErrors is the number of transport errors: requests that ended
// without an HTTP answer, in any class.
func (s *Snapshot) TotalErrors() uint64 {
	var n uint64
	for _, v := range s.Errors {
		n += v
	}
	return n
}

// Failed is the number of requests that failed: transport errors and 5xx
// answers.
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
// dropped, late, lag, connections opened, retries and the effective counts, and each version's requests, errors and failures), leaving
// the window, gauges and histograms alone: the cheap part of Merge, for
// running totals that need no percentiles. A version new to s gets a nil
// Latency.
func (s *Snapshot) MergeCounts(o *Snapshot) {
	s.mergeVersions(o, false, nil)
	s.mergeCounters(o)
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
	addCauses(&s.Causes, &o.Causes)
	s.BytesIn += o.BytesIn
	s.BytesOut += o.BytesOut
	s.Dropped += o.Dropped
	s.Late += o.Late
	s.LagSum += o.LagSum
	s.LagMax = max(s.LagMax, o.LagMax)
	s.ConnectionsOpened += o.ConnectionsOpened
	s.Retries += o.Retries
	s.EffectiveRequests += o.EffectiveRequests
	s.EffectiveFailed += o.EffectiveFailed
	s.RetriesBudgetExhausted += o.RetriesBudgetExhausted
}

// Merge adds o into s exactly: counters and histograms add, those of
// ByVersion version by version (beyond MaxVersions names, into
// OtherVersion's), and the window widens to cover both. Gauges (InFlight,
// TargetRate, Concurrency) add when the windows cover the same period
// (several agents over one tick: they overlap by more than half the
// shorter window) and are taken from the later snapshot otherwise (one
// agent over consecutive periods, or ticks of several agents whose clocks
// are apart by less than half a tick: consecutive ticks overlap by that).
func (s *Snapshot) Merge(o *Snapshot) { s.MergePacked(o, nil) }

// MergePacked is Merge with o's histograms taken from p, which holds them
// in packed form (p.Pack(o), or a decoder's twins): the same result, at
// the cost of the buckets in use. A histogram of o that p does not hold
// is merged as Merge does; p may be nil.
func (s *Snapshot) MergePacked(o *Snapshot, p *Packed) {
	switch {
	case samePeriod(s, o):
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
	s.mergeVersions(o, true, p) // first: it reads s's counters before o's are in
	s.mergeCounters(o)
	mergeHist(&s.Latency, o.Latency, p)
	mergeHist(&s.Service, o.Service, p)
	mergeHist(&s.FailedLatency, o.FailedLatency, p)
	if o.Connect != nil && o.Connect.TotalCount() > 0 {
		mergeHist(&s.Connect, o.Connect, p)
	}
	if o.Effective != nil && o.Effective.TotalCount() > 0 {
		mergeHist(&s.Effective, o.Effective, p)
	}
}

// EffectiveAvailability is (EffectiveRequests - EffectiveFailed) /
// EffectiveRequests, 0 without effective requests.
func (s *Snapshot) EffectiveAvailability() float64 {
	return availability(s.EffectiveRequests, s.EffectiveFailed)
}

// Amplification is the attempts per request: Requests over
// EffectiveRequests, 0 without effective requests.
func (s *Snapshot) Amplification() float64 {
	if s.EffectiveRequests == 0 {
		return 0
	}
	return float64(s.Requests) / float64(s.EffectiveRequests)
}

// samePeriod reports whether s and o cover the same period, as several
// agents' snapshots of one tick do: their windows overlap by more than
// half the shorter one. Consecutive ticks of several agents overlap by
// how far apart the agents' clocks are, less than half a tick.
func samePeriod(s, o *Snapshot) bool {
	if s.Start.IsZero() {
		return false
	}
	from, to := s.Start, s.End
	if o.Start.After(from) {
		from = o.Start
	}
	if o.End.Before(to) {
		to = o.End
	}
	shorter := min(s.End.Sub(s.Start), o.End.Sub(o.Start))
	return to.After(from) && 2*to.Sub(from) > shorter
}
