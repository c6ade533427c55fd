package cli

import (
	"strings"

	"github.com/scalelab/scalelab/probes/scrape"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/session"
	"github.com/spf13/pflag"
)

// scrapeFlags are --scrape and --scrape-metric: the targets' Prometheus
// endpoints scraped once a second.
type scrapeFlags struct {
	urls    []string
	metrics []string
}

func (f *scrapeFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.urls, "scrape", nil, "scrape this Prometheus endpoint once a second, such as http://127.0.0.1:8080/metrics (a scalelab target's, a service's): its process_cpu_seconds_total as CPU, process_resident_memory_bytes, and the --scrape-metric metrics, under the charts and in the summary (repeatable)")
	fs.StringArrayVar(&f.metrics, "scrape-metric", nil, "with --scrape: a metric to show besides CPU and RSS, summed over its series, as a rate for a counter (repeatable)")
}

// endpoints are the scrapers of the flags, or a bad-input error: a URL
// that is not http(s), an empty metric name, --scrape-metric alone.
func (f *scrapeFlags) endpoints() ([]session.ScrapeEndpoint, error) {
	if len(f.urls) == 0 && len(f.metrics) > 0 {
		return nil, badInput("--scrape-metric: without --scrape there is nothing to scrape")
	}
	for _, m := range f.metrics {
		if strings.TrimSpace(m) == "" {
			return nil, badInput("--scrape-metric: an empty metric name")
		}
	}
	var eps []session.ScrapeEndpoint
	for _, u := range f.urls {
		s, err := scrape.New(u, scrape.Options{Metrics: f.metrics})
		if err != nil {
			return nil, badInput("--scrape: %v", strings.TrimPrefix(err.Error(), "scrape "))
		}
		eps = append(eps, session.ScrapeEndpoint{Scraper: s, Shown: recordings.RedactURL(s.URL())})
	}
	return eps, nil
}

// check finds a bad --scrape or --scrape-metric before anything starts.
func (f *scrapeFlags) check() error {
	_, err := f.endpoints()
	return err
}

// sink is the scrapes' sink, nil without --scrape.
func (f *scrapeFlags) sink() (*session.ScrapeSink, error) {
	eps, err := f.endpoints()
	if err != nil || len(eps) == 0 {
		return nil, err
	}
	return session.NewScrape(eps), nil
}

// scrapeResults are the endpoints' figures as the summary keeps them,
// nil without endpoints.
func scrapeResults(eps []scrape.Endpoint) []report.ScrapeResult {
	var out []report.ScrapeResult
	for _, e := range eps {
		r := report.ScrapeResult{URL: e.URL, ScrapesOK: e.OK, Failed: e.Failed, LastError: e.LastError}
		if e.CPU.N > 0 {
			r.CPUCores = &report.MeanMax{Mean: e.CPU.Mean(), Max: e.CPU.Max}
		}
		if e.RSS.N > 0 {
			r.RSSBytes = &report.LastMax{Last: e.RSS.Last, Max: e.RSS.Max}
		}
		for _, m := range e.Metrics {
			sm := report.ScrapeMetric{Name: m.Name, Counter: m.Counter, Missing: m.Missing}
			if m.Known {
				last := m.Last
				sm.Last = &last
			}
			if m.Rate.N > 0 {
				sm.Rate = &report.MeanMax{Mean: m.Rate.Mean(), Max: m.Rate.Max}
			}
			r.Metrics = append(r.Metrics, sm)
		}
		out = append(out, r)
	}
	return out
}
