package analysis

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/scalelab/scalelab/engine"
)

// counts are what a threshold's metric took from the ticks it judges.
type counts struct {
	// base counts the requests in the metric's scope before a status
	// filter (for dropped and late: sent or dropped): none is no data.
	base uint64
	// requests and failed are the requests selected and those of them
	// that failed; dropped and late the open-loop sends.
	requests, failed, dropped, late uint64
	// answered counts the selected requests that got an HTTP answer: a
	// latency judged on none (a dead target refuses every request) has no
	// data, however fast the refusals came.
	answered uint64
	// seconds is the time the ticks covered.
	seconds float64
}

func (c *counts) add(o counts) {
	c.base += o.base
	c.requests += o.requests
	c.answered += o.answered
	c.failed += o.failed
	c.dropped += o.dropped
	c.late += o.late
	c.seconds += o.seconds
}

// take reads what metric m selects of one snapshot: its counts, and the
// histogram it judges (nil for a metric that has none, or when the
// snapshot has none).
func take(m Metric, s *engine.Snapshot) (counts, *hdrhistogram.Histogram) {
	c := counts{seconds: s.Elapsed().Seconds()}
	var h *hdrhistogram.Histogram
	switch {
	case m.Version != "":
		if vs := s.ByVersion[m.Version]; vs != nil {
			c.requests, c.failed, h = vs.Requests, vs.Failed, vs.Latency
			c.answered = vs.Requests - min(vs.Errors, vs.Requests)
		}
		c.base = c.requests
	case !m.Status.IsZero():
		for code, n := range s.Status {
			if m.Status.Matches(code) {
				c.requests += n
				c.answered += n
				if code >= 500 {
					c.failed += n
				}
			}
		}
		c.base = s.Requests
	default:
		c.requests, c.failed, c.dropped, c.late = s.Requests, s.Failed(), s.Dropped, s.Late
		c.answered = s.Requests - min(s.TotalErrors(), s.Requests)
		c.base = s.Requests
		if m.Name == MetricDropped || m.Name == MetricLate {
			c.base += s.Dropped
		}
		h = s.Latency
		if m.Name == MetricServiceTime {
			h = s.Service
		}
	}
	if !m.Name.trend() {
		h = nil
	}
	return c, h
}

// piece is one tick of a windowed series.
type piece struct {
	end time.Duration
	c   counts
	h   *hdrhistogram.PackedHistogram // trend metrics only
}

// series accumulates what one threshold or condition judges: over the
// whole run a running sum and one merged histogram, or over a window a
// ring of the ticks' pieces (their histograms packed, merged into one
// dense histogram when read). It allocates nothing per tick once the
// ring has grown to the window and its packed histograms to the ticks'
// spread.
type series struct {
	m      Metric
	window time.Duration
	trend  bool

	total counts                  // whole run
	hist  *hdrhistogram.Histogram // whole run: the running merge; windowed: scratch

	ring        []piece // windowed: oldest at head
	head, n     int
	merged      bool          // hist holds the ring's merge for mergedAt
	mergedAt    time.Duration // the now hist was merged for
	mergedCount counts
}

func newSeries(m Metric, window time.Duration) *series {
	s := &series{m: m, window: window, trend: m.Name.trend()}
	if s.trend {
		s.hist = engine.NewHistogram()
	}
	return s
}

// add takes one tick ending at t.
func (s *series) add(t time.Duration, c counts, h *hdrhistogram.Histogram) {
	if s.window <= 0 {
		s.total.add(c)
		if h != nil {
			s.hist.Merge(h)
		}
		return
	}
	s.expire(t)
	if s.n == len(s.ring) {
		s.grow()
	}
	p := &s.ring[(s.head+s.n)%len(s.ring)]
	s.n++
	p.end, p.c = t, c
	if s.trend {
		if p.h == nil {
			p.h = hdrhistogram.NewPacked(s.hist.LowestTrackableValue(), s.hist.HighestTrackableValue(), int(s.hist.SignificantFigures()))
		}
		p.h.Reset()
		if h != nil {
			p.h.MergeFrom(h)
		}
	}
	s.merged = false
}

// grow doubles the ring, keeping its pieces in order.
func (s *series) grow() {
	ring := make([]piece, max(2*len(s.ring), 8))
	for i := range s.n {
		ring[i] = s.ring[(s.head+i)%len(s.ring)]
	}
	// The freed slots keep their packed histograms for reuse.
	for i := s.n; i < len(s.ring); i++ {
		ring[i] = s.ring[(s.head+i)%len(s.ring)]
	}
	s.ring, s.head = ring, 0
}

// expire drops the pieces that ended at or before now − window.
func (s *series) expire(now time.Duration) {
	for s.n > 0 && s.ring[s.head].end <= now-s.window {
		s.head = (s.head + 1) % len(s.ring)
		s.n--
		s.merged = false
	}
}

// read returns the counts and histogram judged at now.
func (s *series) read(now time.Duration) (counts, *hdrhistogram.Histogram) {
	if s.window <= 0 {
		return s.total, s.hist
	}
	if s.merged && s.mergedAt == now {
		return s.mergedCount, s.hist
	}
	s.expire(now)
	var c counts
	if s.trend {
		s.hist.Reset()
	}
	for i := range s.n {
		p := &s.ring[(s.head+i)%len(s.ring)]
		c.add(p.c)
		if s.trend {
			p.h.MergeInto(s.hist)
		}
	}
	s.merged, s.mergedAt, s.mergedCount = true, now, c
	return c, s.hist
}

// measure computes the aggregation at now: the value, and false when
// there was no data.
func (s *series) measure(now time.Duration, agg Aggregation) (float64, bool) {
	c, h := s.read(now)
	if c.base == 0 {
		return 0, false
	}
	if s.trend {
		if c.answered == 0 || h == nil || h.TotalCount() == 0 {
			return 0, false
		}
		ms := func(us int64) float64 { return float64(us) / 1000 }
		switch agg.Kind {
		case AggPercentile:
			return ms(h.ValueAtQuantile(agg.P)), true
		case AggMed:
			return ms(h.ValueAtQuantile(50)), true
		case AggAvg:
			return h.Mean() / 1000, true
		case AggMin:
			return ms(h.Min()), true
		case AggMax:
			return ms(h.Max()), true
		}
		return 0, false
	}
	perSecond := func(n uint64) float64 {
		if c.seconds <= 0 {
			return 0
		}
		return float64(n) / c.seconds
	}
	share := func(n, of uint64) float64 {
		if of == 0 {
			return 0
		}
		return float64(n) / float64(of)
	}
	switch s.m.Name {
	case MetricAvailability:
		if c.requests == 0 {
			return 0, false
		}
		return share(c.requests-c.failed, c.requests), true
	case MetricErrors:
		if agg.Kind == AggCount {
			return float64(c.failed), true
		}
		if c.requests == 0 {
			return 0, false
		}
		return share(c.failed, c.requests), true
	case MetricRequests:
		if agg.Kind == AggCount {
			return float64(c.requests), true
		}
		return perSecond(c.requests), true
	case MetricRPS:
		return perSecond(c.requests), true
	case MetricDropped, MetricLate:
		n := c.dropped
		if s.m.Name == MetricLate {
			n = c.late
		}
		if agg.Kind == AggCount {
			return float64(n), true
		}
		return share(n, c.requests+c.dropped), true
	}
	return 0, false
}
