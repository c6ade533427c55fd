package engine

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// counts is what a stripe accumulates between two ticks.
type counts struct {
	requests          uint64
	status            [maxStatus + 1]uint64
	errors            [numErrorClasses]uint64
	causes            [numErrorClasses][numErrorCauses]uint64
	bytesIn, bytesOut uint64
	late              uint64
	lagMax, lagSum    time.Duration
	latency, service  *hdrhistogram.Histogram
	failedLat         *hdrhistogram.Histogram // latency of the failed requests, nil until the first
	// With retries: the retries among the requests (attempts), the
	// logical requests ended, the failed among them, those whose retry
	// the budget refused, and their latency (nil without retries).
	retries, effRequests, effFailed, exhausted uint64
	effective                                  *hdrhistogram.Histogram
	// conns counts the connections the requests opened, connect their
	// opening times (see result.connect), nil until the first: a
	// histogram is some 180 KB, and a run without failures or with
	// kept-alive connections has no use for most stripes'.
	conns   uint64
	connect *hdrhistogram.Histogram
	// versions holds the requests with a version, by version (nil until
	// the first; see addVersion).
	versions map[string]*versionCounts
}

func newCounts() *counts {
	return &counts{latency: NewHistogram(), service: NewHistogram()}
}

// reset empties c for reuse, keeping its histograms' memory and the
// entries of the versions it saw.
func (c *counts) reset() {
	lat, svc, failed, eff, conn, versions := c.latency, c.service, c.failedLat, c.effective, c.connect, c.versions
	lat.Reset()
	svc.Reset()
	resetHist(failed)
	resetHist(conn)
	resetHist(eff)
	*c = counts{latency: lat, service: svc, failedLat: failed, effective: eff, connect: conn, versions: versions}
	c.resetVersions()
}

// result is one finished request as a worker reports it.
type result struct {
	intended, sent, done time.Duration // offsets from the engine's start
	status               int           // 0 when err is set
	class                ErrorClass
	cause                ErrorCause // for a Detailed class
	bytesIn, bytesOut    uint64
	// first is the intended send of the request's first attempt, retry
	// marks an attempt after the first, retryAfter is the answer's
	// Retry-After (429 and 503 with retries on; -1 when none).
	first      time.Duration
	retry      bool
	retryAfter time.Duration
	// opened is set when the attempt opened a connection (dialled and,
	// for https, completed the TLS handshake); connect is then how long
	// that took. A failed dial opens none.
	opened  bool
	connect time.Duration
	// version names who answered (see VersionHeader and Balance), nil when
	// unknown. It may point into the worker's response: it is valid until
	// the worker's next request, so record the result before that.
	version []byte
}

// stripe is one shard of the recorder. Workers are spread over stripes by
// id, so at most GOMAXPROCS goroutines ever record at once and its lock is
// practically uncontended; the tick swaps the active counts for a spare.
// (One histogram pair per worker would be lock-free too, but an open loop
// can hold thousands of workers during a stall, at 376 KB each.)
type stripe struct {
	mu       sync.Mutex
	cur      *counts
	spare    *counts      // owned by the collector
	inflight atomic.Int64 // changed under mu
	// workers are the stripe's live workers, under mu; closed is set once
	// the engine stopped waiting for the requests in flight (see abandon):
	// from then on nothing is counted here.
	workers []*worker
	closed  bool
	_       [64]byte // keep neighbouring stripes off one cache line
}

// join and leave add and remove a worker of the stripe.
func (s *stripe) join(w *worker) {
	s.mu.Lock()
	s.workers = append(s.workers, w)
	s.mu.Unlock()
}

func (s *stripe) leave(w *worker) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.workers {
		if x == w {
			last := len(s.workers) - 1
			s.workers[i], s.workers[last] = s.workers[last], nil
			s.workers = s.workers[:last]
			return
		}
	}
}

// begin makes w's next request, due at offset intended, in flight: from
// now on it is counted once, by finish or by abandon. It returns false,
// with nothing begun, once the stripe is closed.
func (s *stripe) begin(w *worker, intended time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	w.res = result{intended: intended, first: intended, bytesOut: w.e.client.bodySize}
	w.sent.Store(int64(intended))
	w.busy, w.open = true, true
	s.inflight.Add(1)
	return true
}

// retry begins the next attempt of w's request, due at offset intended:
// false, with nothing begun, once abandon ended the request.
func (s *stripe) retry(w *worker, intended time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !w.open {
		return false
	}
	w.res = result{intended: intended, first: w.res.first, retry: true, bytesOut: w.e.client.bodySize}
	w.sent.Store(int64(intended))
	w.busy = true
	return true
}

// finish counts w's attempt, unless abandon counted it already (then it
// returns false: the request is over). final ends the request too, with
// this attempt's outcome (with retries: counted in the effective figures,
// exhausted when the budget refused its retry); else it stays open for
// its next attempt (see retry).
func (s *stripe) finish(w *worker, final, exhausted bool) bool {
	s.mu.Lock()
	ok := w.busy
	if ok {
		w.busy = false
		s.count(&w.res)
		if final {
			s.end(w, &w.res, w.res.done, exhausted)
		}
	}
	s.mu.Unlock()
	return ok
}

// giveUp ends w's request, between two attempts, at offset at with its
// last attempt's outcome (already counted), unless abandon ended it.
func (s *stripe) giveUp(w *worker, at time.Duration) {
	s.mu.Lock()
	if w.open && !w.busy {
		s.end(w, &w.res, at, false)
	}
	s.mu.Unlock()
}

// end ends w's open request at offset at, under mu: with retries, its
// last attempt's outcome r counts in the effective figures.
func (s *stripe) end(w *worker, r *result, at time.Duration, exhausted bool) {
	w.open = false
	s.inflight.Add(-1)
	c := s.cur
	if c.effective == nil {
		return
	}
	c.effRequests++
	if r.status == 0 || serverError(r.status) {
		c.effFailed++
	}
	if exhausted {
		c.exhausted++
	}
	_ = c.effective.RecordValue(clamp(int64((at - r.first) / time.Microsecond)))
}

// abandon closes the stripe and counts each request still in flight as
// ended at offset at in class (ErrAbandoned, or ErrTimeout when its
// deadline passed): timed up to then, with no version (its answer, if one
// comes, is not counted).
func (s *stripe) abandon(at time.Duration, class ErrorClass) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, w := range s.workers {
		if !w.open {
			continue
		}
		if !w.busy {
			// Between two attempts: the request ends with its last one's
			// outcome (the worker writes w.res only under mu then).
			s.end(w, &w.res, at, false)
			continue
		}
		w.busy = false
		r := result{intended: w.res.intended, first: w.res.first, retry: w.res.retry,
			sent: time.Duration(w.sent.Load()), done: at, class: class, bytesOut: w.res.bytesOut}
		s.count(&r)
		s.end(w, &r, at, false)
	}
}

// record adds one finished request.
func (s *stripe) record(r *result) {
	s.mu.Lock()
	s.count(r)
	s.mu.Unlock()
}

// count adds one finished request, under mu.
func (s *stripe) count(r *result) {
	lat := clamp(int64((r.done - r.intended) / time.Microsecond))
	svc := clamp(int64((r.done - r.sent) / time.Microsecond))
	lag := r.sent - r.intended
	failed := r.status == 0 || serverError(r.status)
	c := s.cur
	c.requests++
	if r.status > 0 {
		c.status[min(r.status, maxStatus)]++
	} else {
		c.errors[r.class]++
		if r.class.Detailed() {
			c.causes[r.class][r.cause]++
		}
	}
	if failed {
		if c.failedLat == nil {
			c.failedLat = NewHistogram() // once per counts
		}
		_ = c.failedLat.RecordValue(lat)
	}
	c.bytesIn += r.bytesIn
	c.bytesOut += r.bytesOut
	if lag > lateAfter {
		c.late++
	}
	if lag > 0 {
		c.lagSum += lag
		c.lagMax = max(c.lagMax, lag)
	}
	_ = c.latency.RecordValue(lat)
	_ = c.service.RecordValue(svc)
	if r.retry {
		c.retries++
	}
	if r.opened {
		c.conns++
		if c.connect == nil {
			c.connect = NewHistogram() // once per counts
		}
		_ = c.connect.RecordValue(clamp(int64(r.connect / time.Microsecond)))
	}
	if len(r.version) > 0 {
		c.addVersion(r.version, lat, failed, r.status == 0)
	}
}

func clamp(us int64) int64 {
	return min(max(us, histLowest), histHighest)
}

// keepEffective makes the recorder count the effective figures (with
// retries): before any request.
func (r *recorder) keepEffective() {
	for i := range r.stripes {
		r.stripes[i].cur.effective = NewHistogram()
		r.stripes[i].spare.effective = NewHistogram()
	}
}

// recorder collects results from all workers and cuts them into snapshots.
type recorder struct {
	stripes []stripe
	dropped atomic.Uint64
}

func newRecorder(n int) *recorder {
	r := &recorder{stripes: make([]stripe, n)}
	for i := range r.stripes {
		r.stripes[i].cur = newCounts()
		r.stripes[i].spare = newCounts()
	}
	return r
}

// stripe returns the stripe for worker id.
func (r *recorder) stripe(id int) *stripe { return &r.stripes[id%len(r.stripes)] }

// inflight returns the number of requests outstanding.
func (r *recorder) inflight() int64 {
	var n int64
	for i := range r.stripes {
		n += r.stripes[i].inflight.Load()
	}
	return n
}

// abandon counts every request still in flight as ended at offset at in
// class (see stripe.abandon) and stops counting: call it once, before the
// last collect.
func (r *recorder) abandon(at time.Duration, class ErrorClass) {
	for i := range r.stripes {
		r.stripes[i].abandon(at, class)
	}
}

// collect moves everything recorded since the last collect into snap. Only
// one goroutine may collect.
func (r *recorder) collect(snap *Snapshot) {
	for i := range r.stripes {
		s := &r.stripes[i]
		s.mu.Lock()
		c := s.cur
		s.cur = s.spare
		s.mu.Unlock()
		s.spare = c
		if c.requests > 0 || c.effRequests > 0 {
			addCounts(snap, c)
			c.reset()
		}
	}
	snap.fillUnknown()
	snap.Dropped += r.dropped.Swap(0)
	snap.InFlight = r.inflight()
}

// addCounts adds a stripe's counts to a snapshot.
func addCounts(snap *Snapshot, c *counts) {
	snap.Requests += c.requests
	for code, n := range c.status {
		if n > 0 {
			snap.Status[code] += n
		}
	}
	for i, n := range c.errors {
		snap.Errors[i] += n
	}
	addCauses(&snap.Causes, &c.causes)
	snap.BytesIn += c.bytesIn
	snap.BytesOut += c.bytesOut
	snap.Late += c.late
	snap.LagSum += c.lagSum
	snap.LagMax = max(snap.LagMax, c.lagMax)
	snap.Latency.Merge(c.latency)
	snap.Service.Merge(c.service)
	if c.failedLat != nil {
		snap.FailedLatency.Merge(c.failedLat)
	}
	if c.conns > 0 {
		snap.ConnectionsOpened += c.conns
		mergeHist(&snap.Connect, c.connect, nil)
	}
	if c.effective != nil {
		snap.Retries += c.retries
		snap.EffectiveRequests += c.effRequests
		snap.EffectiveFailed += c.effFailed
		snap.RetriesBudgetExhausted += c.exhausted
		mergeHist(&snap.Effective, c.effective, nil)
	}
	addVersionCounts(snap, c)
}
