package scrape

import (
	"math"
	"strings"
)

// SeriesLen is how many of the latest scrapes an Endpoint keeps as its
// series (a minute at one a second).
const SeriesLen = 60

// Reading is one scrape of an endpoint as it is recorded and replayed:
// its sample's figures, or the short reason it failed. A figure not
// measured (CPU before the second scrape, a metric the exposition lacks)
// is absent, not 0.
type Reading struct {
	// URL names the endpoint (as shown: redacted).
	URL string `json:"url"`
	// Error is why the scrape failed (ShortError's), empty when it did
	// not.
	Error string `json:"error,omitempty"`
	// CPU is the process's CPU use in cores since the previous scrape,
	// RSS its resident memory in bytes.
	CPU *float64 `json:"cpu_cores,omitempty"`
	RSS *float64 `json:"rss_bytes,omitempty"`
	// Values are the named metrics.
	Values []ReadValue `json:"values,omitempty"`
}

// ReadValue is a named metric in a Reading: its value summed over its
// series, and for a counter its rate per second (absent before the
// second scrape or after a restart).
type ReadValue struct {
	Name    string   `json:"name"`
	Value   float64  `json:"value"`
	Counter bool     `json:"counter,omitempty"`
	Rate    *float64 `json:"rate,omitempty"`
	Missing bool     `json:"missing,omitempty"`
}

// NewReading is the reading of a scrape of url that gave s, or failed
// with err.
func NewReading(url string, s Sample, err error) Reading {
	r := Reading{URL: url}
	if err != nil {
		r.Error = ShortError(err)
		return r
	}
	if s.CPUKnown {
		r.CPU = ptr(s.CPU)
	}
	if s.RSSKnown {
		r.RSS = ptr(s.RSS)
	}
	for _, v := range s.Values {
		rv := ReadValue{Name: v.Name, Value: v.Value, Counter: v.Counter, Missing: v.Missing}
		if v.HasRate {
			rv.Rate = ptr(v.Rate)
		}
		r.Values = append(r.Values, rv)
	}
	return r
}

// Clone is a deep copy of r.
func (r Reading) Clone() Reading {
	c := r
	c.CPU, c.RSS = clonePtr(r.CPU), clonePtr(r.RSS)
	c.Values = nil
	for _, v := range r.Values {
		v.Rate = clonePtr(v.Rate)
		c.Values = append(c.Values, v)
	}
	return c
}

func ptr(f float64) *float64 { return &f }

func clonePtr(p *float64) *float64 {
	if p == nil {
		return nil
	}
	return ptr(*p)
}

// maxErrorLen bounds a short error.
const maxErrorLen = 80

// ShortError is err in a few words for a panel or a summary: without the
// "scrape URL: " and `Get "URL": ` prefixes that repeat the endpoint, cut
// to 80 characters.
func ShortError(err error) string {
	s := err.Error()
	s, _ = strings.CutPrefix(s, "scrape ")
	if i := strings.Index(s, ": "); i > 0 && !strings.ContainsAny(s[:i], " ") {
		s = s[i+2:] // the URL
	}
	for _, verb := range []string{"Get "} {
		if rest, ok := strings.CutPrefix(s, verb+`"`); ok {
			if i := strings.Index(rest, `": `); i >= 0 {
				s = rest[i+3:]
			}
		}
	}
	if r := []rune(s); len(r) > maxErrorLen {
		s = string(r[:maxErrorLen-1]) + "…"
	}
	return s
}

// Stat sums a figure over the scrapes that measured it.
type Stat struct {
	N              int
	Sum, Max, Last float64
}

func (s *Stat) add(v float64) {
	if s.N == 0 || v > s.Max {
		s.Max = v
	}
	s.N++
	s.Sum += v
	s.Last = v
}

// Mean is the figure's mean, 0 when it was never measured (N == 0).
func (s Stat) Mean() float64 {
	if s.N == 0 {
		return 0
	}
	return s.Sum / float64(s.N)
}

// Metric is a named metric over the scrapes of an endpoint: its last
// value (Known once read), whether it is a counter, its rate (counters),
// and its series: the rate of a counter, the value of anything else
// (NaN where it was not measured).
type Metric struct {
	Name    string
	Counter bool
	// Missing is set while the latest exposition that answered lacked it.
	Missing bool
	Known   bool
	Last    float64
	Rate    Stat
	Series  []float64
}

// Endpoint is what the scrapes of one endpoint found: how many answered
// and failed, the latest failure (Failing while the latest scrape
// failed), CPU in cores and RSS in bytes over the scrapes that measured
// them, the named metrics, and the latest SeriesLen scrapes' CPU and RSS
// (NaN where not measured), oldest first.
type Endpoint struct {
	URL       string
	OK        int
	Failed    int
	LastError string
	Failing   bool
	CPU       Stat
	RSS       Stat
	Metrics   []Metric
	CPUSeries []float64
	RSSSeries []float64
}

// Scraped reports whether any scrape of the endpoint answered.
func (e Endpoint) Scraped() bool { return e.OK > 0 }

// Track follows the readings of a run's endpoints: the summary's figures
// and the UI's series. It is for one goroutine at a time.
type Track struct {
	eps []*Endpoint
}

// NewTrack returns a track of the endpoints named (more join as their
// first reading comes).
func NewTrack(urls ...string) *Track {
	t := &Track{}
	for _, u := range urls {
		t.endpoint(u)
	}
	return t
}

func (t *Track) endpoint(url string) *Endpoint {
	for _, e := range t.eps {
		if e.URL == url {
			return e
		}
	}
	e := &Endpoint{URL: url}
	t.eps = append(t.eps, e)
	return e
}

// Add takes a reading.
func (t *Track) Add(r Reading) {
	e := t.endpoint(r.URL)
	if r.Error != "" {
		e.Failed++
		e.LastError, e.Failing = r.Error, true
		e.CPUSeries = push(e.CPUSeries, math.NaN())
		e.RSSSeries = push(e.RSSSeries, math.NaN())
		for i := range e.Metrics {
			e.Metrics[i].Series = push(e.Metrics[i].Series, math.NaN())
		}
		return
	}
	e.OK++
	e.Failing = false
	e.CPUSeries = push(e.CPUSeries, figure(r.CPU, &e.CPU))
	e.RSSSeries = push(e.RSSSeries, figure(r.RSS, &e.RSS))
	seen := make([]bool, len(e.Metrics))
	for _, v := range r.Values {
		i := metricIndex(e, v.Name)
		if i == len(seen) {
			seen = append(seen, false)
		}
		seen[i] = true
		m := &e.Metrics[i]
		m.Missing = v.Missing
		if v.Missing {
			m.Series = push(m.Series, math.NaN())
			continue
		}
		m.Known, m.Last, m.Counter = true, v.Value, v.Counter
		switch {
		case !v.Counter:
			m.Series = push(m.Series, v.Value)
		default:
			m.Series = push(m.Series, figure(v.Rate, &m.Rate))
		}
	}
	for i, s := range seen {
		if !s {
			e.Metrics[i].Series = push(e.Metrics[i].Series, math.NaN())
		}
	}
}

// metricIndex is the index of e's metric name, added when new.
func metricIndex(e *Endpoint, name string) int {
	for i, m := range e.Metrics {
		if m.Name == name {
			return i
		}
	}
	e.Metrics = append(e.Metrics, Metric{Name: name})
	return len(e.Metrics) - 1
}

// figure adds p's figure to s and returns it, NaN without one.
func figure(p *float64, s *Stat) float64 {
	if p == nil {
		return math.NaN()
	}
	s.add(*p)
	return *p
}

// push appends v to a series, keeping the latest SeriesLen.
func push(series []float64, v float64) []float64 {
	series = append(series, v)
	if len(series) > SeriesLen {
		series = append(series[:0], series[len(series)-SeriesLen:]...)
	}
	return series
}

// Endpoints are the endpoints in the order they were named or first
// read: copies, the caller's own.
func (t *Track) Endpoints() []Endpoint {
	out := make([]Endpoint, 0, len(t.eps))
	for _, e := range t.eps {
		c := *e
		c.CPUSeries = append([]float64(nil), e.CPUSeries...)
		c.RSSSeries = append([]float64(nil), e.RSSSeries...)
		c.Metrics = make([]Metric, len(e.Metrics))
		for i, m := range e.Metrics {
			m.Series = append([]float64(nil), m.Series...)
			c.Metrics[i] = m
		}
		out = append(out, c)
	}
	return out
}
