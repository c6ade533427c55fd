// Package scrape reads a target's Prometheus endpoint: once a second, the
// process's CPU and resident memory (the client libraries' standard
// process_cpu_seconds_total and process_resident_memory_bytes) and the
// metrics the user names, each summed over its series, as rates for
// counters. It is the target side of the probes for any service that
// exposes /metrics: `scalelab target`, the fleet's replicas, a user's
// service.
package scrape

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// The standard process metrics of the Prometheus client libraries.
const (
	CPUMetric = "process_cpu_seconds_total"
	RSSMetric = "process_resident_memory_bytes"
)

// DefaultTimeout bounds one scrape.
const DefaultTimeout = 2 * time.Second

// maxBody bounds what one scrape reads of an exposition.
const maxBody = 16 << 20

// Value is one metric's reading: its value summed over its series (a
// histogram's or summary's sample count), whether it is a counter, and,
// from the second scrape on, its rate per second since the previous one
// (counters only; a counter that went down restarted: no rate).
type Value struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Counter bool    `json:"counter,omitempty"`
	Rate    float64 `json:"rate"`
	HasRate bool    `json:"-"`
	// Missing is set when the exposition has no such metric.
	Missing bool `json:"missing,omitempty"`
}

// Sample is one scrape of an endpoint.
type Sample struct {
	// At is when the scrape ended; Took how long it took.
	At   time.Time     `json:"at"`
	Took time.Duration `json:"-"`
	// CPU is the process's CPU use in cores over the last interval
	// (process_cpu_seconds_total's rate), CPUKnown false before the second
	// scrape or without the metric; RSS its resident memory in bytes
	// (RSSKnown false without it).
	CPU      float64 `json:"cpu_cores"`
	CPUKnown bool    `json:"-"`
	RSS      float64 `json:"rss_bytes"`
	RSSKnown bool    `json:"-"`
	// Values are the named metrics (Options.Metrics), in their order.
	Values []Value `json:"values,omitempty"`
}

// Options configure a Scraper.
type Options struct {
	// Metrics names the metrics to read besides CPU and RSS.
	Metrics []string
	// Client does the requests (a client with DefaultTimeout when nil).
	Client *http.Client
	// Get, when set, reads the exposition instead of an HTTP GET of the
	// URL (which then only names the endpoint): a Kubernetes pod's
	// /metrics through the API server's pod proxy, say. It returns the
	// body and its Content-Type ("" for the text format).
	Get func(ctx context.Context) (body []byte, contentType string, err error)
}

// Scraper scrapes one endpoint; its Scrape is for one goroutine at a time.
type Scraper struct {
	url    string
	client *http.Client
	get    func(ctx context.Context) ([]byte, string, error)
	names  []string
	prev   map[string]float64 // counters at the previous scrape
	prevAt time.Time
}

// New returns a Scraper of the endpoint at rawURL (http or https), or why
// the URL cannot be scraped; with Options.Get, rawURL only names the
// endpoint.
func New(rawURL string, o Options) (*Scraper, error) {
	name := rawURL
	if o.Get == nil {
		u, err := parseURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("scrape %q: %w", rawURL, err)
		}
		name = u.String()
	} else if rawURL == "" {
		return nil, errors.New("scrape: an endpoint without a name")
	}
	for _, n := range o.Metrics {
		if n == "" {
			return nil, fmt.Errorf("scrape %s: an empty metric name", rawURL)
		}
	}
	c := o.Client
	if c == nil {
		c = &http.Client{Timeout: DefaultTimeout}
	}
	return &Scraper{url: name, client: c, get: o.Get, names: append([]string(nil), o.Metrics...), prev: map[string]float64{}}, nil
}

// CheckURL says what is wrong with rawURL as an endpoint to scrape (New
// refuses it so), or nil: it must be an http:// or https:// URL with a
// host.
func CheckURL(rawURL string) error {
	_, err := parseURL(rawURL)
	return err
}

// parseURL parses an endpoint's URL, as CheckURL checks it.
func parseURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("want an http:// or https:// URL such as http://127.0.0.1:8080/metrics")
	}
	return u, nil
}

// URL is the endpoint scraped.
func (s *Scraper) URL() string { return s.url }

// Scrape reads the endpoint once and returns its sample, rates since the
// previous successful scrape. An endpoint that cannot be read or parsed
// is an error naming why; the previous readings are kept for the next.
func (s *Scraper) Scrape(ctx context.Context) (Sample, error) {
	start := time.Now()
	fams, err := s.fetch(ctx)
	if err != nil {
		return Sample{}, fmt.Errorf("scrape %s: %w", s.url, err)
	}
	now := time.Now()
	smp := Sample{At: now, Took: now.Sub(start)}
	secs := now.Sub(s.prevAt).Seconds()
	if s.prevAt.IsZero() {
		secs = 0
	}
	if v, ok := sum(fams[CPUMetric]); ok {
		if p, had := s.prev[CPUMetric]; had && secs > 0 && v >= p {
			smp.CPU, smp.CPUKnown = (v-p)/secs, true
		}
		s.prev[CPUMetric] = v
	}
	if v, ok := sum(fams[RSSMetric]); ok {
		smp.RSS, smp.RSSKnown = v, true
	}
	for _, n := range s.names {
		v, counter, ok := lookup(fams, n)
		val := Value{Name: n, Value: v, Missing: !ok}
		if ok && counter {
			val.Counter = true
			if p, had := s.prev[n]; had && secs > 0 && v >= p {
				val.Rate, val.HasRate = (v-p)/secs, true
			}
			s.prev[n] = v
		}
		smp.Values = append(smp.Values, val)
	}
	s.prevAt = now
	return smp, nil
}

// fetch GETs and parses the exposition (text or protobuf, as the
// endpoint answers).
func (s *Scraper) fetch(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	if s.get != nil {
		body, ct, err := s.get(ctx)
		if err != nil {
			return nil, err
		}
		h := http.Header{}
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		return decode(bytes.NewReader(body), h)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return decode(io.LimitReader(resp.Body, maxBody), resp.Header)
}

// decode parses an exposition in the format its header says.
func decode(r io.Reader, h http.Header) (map[string]*dto.MetricFamily, error) {
	dec := expfmt.NewDecoder(r, expfmt.ResponseFormat(h))
	fams := map[string]*dto.MetricFamily{}
	for {
		var f dto.MetricFamily
		err := dec.Decode(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not a Prometheus exposition: %w", err)
		}
		fams[f.GetName()] = &f
	}
	return fams, nil
}

// sum is a family's value summed over its series: counters', gauges' and
// untyped values, histograms' and summaries' sample counts; false when
// the family is absent or empty.
func sum(f *dto.MetricFamily) (float64, bool) {
	if f == nil || len(f.Metric) == 0 {
		return 0, false
	}
	var t float64
	for _, m := range f.Metric {
		switch {
		case m.Counter != nil:
			t += m.Counter.GetValue()
		case m.Gauge != nil:
			t += m.Gauge.GetValue()
		case m.Untyped != nil:
			t += m.Untyped.GetValue()
		case m.Histogram != nil:
			t += float64(m.Histogram.GetSampleCount())
		case m.Summary != nil:
			t += float64(m.Summary.GetSampleCount())
		}
	}
	if math.IsNaN(t) {
		return 0, false
	}
	return t, true
}
