package session

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/scalelab/scalelab/probes/scrape"
)

// FromScrape is the scrapes of the targets' Prometheus endpoints
// (ScrapeSink): each scrape's reading (ScrapeSampled) or failure
// (ScrapeFailed); Event.Scrape holds it.
const FromScrape Source = "scrape"

// The kinds of the scrape events.
const (
	ScrapeSampled = "scrape-sampled"
	ScrapeFailed  = "scrape-failed"
)

// ScrapeEvery is how often each endpoint is scraped.
const ScrapeEvery = time.Second

// ScrapeEndpoint is an endpoint to scrape: its scraper and its URL as
// shown (redacted).
type ScrapeEndpoint struct {
	Scraper *scrape.Scraper
	Shown   string
}

// ScrapeSink scrapes the targets' Prometheus endpoints once a second
// from the session's opening to its close, each on its own goroutine,
// and emits each reading as a FromScrape event: the recording keeps
// them, and the sink follows them as they come back through the fan-out
// (a replay's ScrapeSink, made without endpoints, follows the recorded
// ones the same way). Endpoints is the figures so far, for the UI; its
// Finish puts them in the result (Result.Scrape).
type ScrapeSink struct {
	eps   []ScrapeEndpoint
	every time.Duration

	mu      sync.Mutex
	track   *scrape.Track
	control Control
	start   time.Time
	seen    bool // a reading came
	stop    context.CancelFunc
	wg      sync.WaitGroup
}

// NewScrape returns the sink that scrapes eps; without any, it only
// follows the FromScrape events it is given (a replay).
func NewScrape(eps []ScrapeEndpoint) *ScrapeSink {
	names := make([]string, 0, len(eps))
	for _, e := range eps {
		names = append(names, e.Shown)
	}
	return &ScrapeSink{eps: eps, every: ScrapeEvery, track: scrape.NewTrack(names...)}
}

// Open starts the scrapes.
func (s *ScrapeSink) Open(i Info) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.control, s.start = i.Control, i.Start
	if len(s.eps) == 0 || s.stop != nil {
		return nil
	}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	for _, e := range s.eps {
		s.wg.Add(1)
		go s.scrapeLoop(ctx, e)
	}
	return nil
}

// scrapeLoop scrapes e at once, then once a second until ctx ends.
func (s *ScrapeSink) scrapeLoop(ctx context.Context, e ScrapeEndpoint) {
	defer s.wg.Done()
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		smp, err := e.Scraper.Scrape(ctx)
		if ctx.Err() != nil {
			return
		}
		r := scrape.NewReading(e.Shown, smp, err)
		ev := Event{Time: s.at(time.Now()), Source: FromScrape, Kind: ScrapeSampled, Message: readingLine(r), Scrape: &r}
		if r.Error != "" {
			ev.Kind = ScrapeFailed
		}
		s.mu.Lock()
		control := s.control
		s.mu.Unlock()
		control.Emit(ev)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// at is t as the recording keeps a frame's end (see GeneratorSink.at).
func (s *ScrapeSink) at(t time.Time) time.Time {
	s.mu.Lock()
	start := s.start
	s.mu.Unlock()
	if start.IsZero() {
		return t
	}
	return start.Round(0).Add(t.Sub(start))
}

// readingLine is a reading in a few words: "http://…/metrics cpu 0.42
// cores, rss 31.2 MB", or its failure.
func readingLine(r scrape.Reading) string {
	if r.Error != "" {
		return fmt.Sprintf("scrape %s failed: %s", r.URL, r.Error)
	}
	parts := []string{"scrape " + r.URL}
	if r.CPU != nil {
		parts = append(parts, fmt.Sprintf("cpu %.3f cores", *r.CPU))
	}
	if r.RSS != nil {
		parts = append(parts, fmt.Sprintf("rss %.0f bytes", *r.RSS))
	}
	for _, v := range r.Values {
		switch {
		case v.Missing:
			parts = append(parts, v.Name+" missing")
		case v.Rate != nil:
			parts = append(parts, fmt.Sprintf("%s %g/s", v.Name, *v.Rate))
		default:
			parts = append(parts, fmt.Sprintf("%s %g", v.Name, v.Value))
		}
	}
	return strings.Join(parts, ", ")
}

// Tick does nothing: the scrapes keep their own time.
func (s *ScrapeSink) Tick(Tick) {}

// CountsOnly marks the sink as reading no histograms (see CountsOnly).
func (s *ScrapeSink) CountsOnly() {}

// Event follows the scrapes' readings.
func (s *ScrapeSink) Event(e Event) {
	if e.Source != FromScrape || e.Scrape == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.track.Add(*e.Scrape)
	s.seen = true
}

// Endpoints are the endpoints' figures so far, in their order: none
// without endpoints and readings. Safe for concurrent use.
func (s *ScrapeSink) Endpoints() []scrape.Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.eps) == 0 && !s.seen {
		return nil
	}
	return s.track.Endpoints()
}

// Finish puts the endpoints' figures in the result.
func (s *ScrapeSink) Finish(res *Result) {
	if res != nil {
		res.Scrape = s.Endpoints()
	}
}

// Close stops the scrapes and waits for them.
func (s *ScrapeSink) Close(*Result) error {
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	if stop != nil {
		stop()
		s.wg.Wait()
	}
	return nil
}
