package session

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/probes/scrape"
)

// countingTarget is a loopback target that counts its requests in
// demo_requests_total and serves it at /metrics.
func countingTarget(t *testing.T) *httptest.Server {
	t.Helper()
	reg := prometheus.NewRegistry()
	reqs := prometheus.NewCounter(prometheus.CounterOpts{Name: "demo_requests_total", Help: "Requests served."})
	reg.MustRegister(reqs)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(http.ResponseWriter, *http.Request) { reqs.Inc() })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestScrapeSinkInSession runs a session at 200/s against a target whose
// /metrics counts its requests, with a second endpoint that refuses: the
// result has both, the first scraped with the counter's rate near the
// load's, the second failed with its short reason, never a figure.
func TestScrapeSinkInSession(t *testing.T) {
	srv := countingTarget(t)
	good, err := scrape.New(srv.URL+"/metrics", scrape.Options{Metrics: []string{"demo_requests_total"}})
	if err != nil {
		t.Fatal(err)
	}
	badURL := "http://" + closedPort(t) + "/metrics"
	bad, err := scrape.New(badURL, scrape.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sink := NewScrape([]ScrapeEndpoint{{Scraper: good, Shown: srv.URL + "/metrics"}, {Scraper: bad, Shown: badURL}})
	sink.every = 250 * time.Millisecond
	var events []Event
	s, err := New(Config{Command: "load", Target: engine.Target{URL: srv.URL + "/"},
		Options: []engine.Option{engine.Rate(200), engine.Duration(2 * time.Second)},
		Sinks:   []Sink{sink, eventsOf(&events)}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Scrape) != 2 {
		t.Fatalf("scrape result %+v: want the 2 endpoints", res.Scrape)
	}
	e := res.Scrape[0]
	if e.URL != srv.URL+"/metrics" || e.OK < 4 || e.Failed != 0 || len(e.Metrics) != 1 {
		t.Fatalf("endpoint %+v: want 4 or more scrapes, none failed, the counter", e)
	}
	m := e.Metrics[0]
	if !m.Counter || m.Rate.N < 3 || m.Rate.Max < 100 || m.Rate.Max > 400 || m.Last < 200 {
		t.Errorf("counter %+v: want its rate near the load's 200/s and 200 or more counted", m)
	}
	if e.RSS.N != 0 || e.CPU.N != 0 {
		t.Errorf("cpu %+v rss %+v: the target's exposition has neither: want none measured", e.CPU, e.RSS)
	}
	b := res.Scrape[1]
	if b.OK != 0 || b.Failed < 4 || !b.Failing || !strings.Contains(b.LastError, "connection refused") || strings.Contains(b.LastError, badURL) {
		t.Errorf("refusing endpoint %+v: want only failures, the short reason without its URL", b)
	}
	var sampled, failed int
	for _, ev := range events {
		switch ev.Kind {
		case ScrapeSampled:
			sampled++
		case ScrapeFailed:
			failed++
		}
	}
	if sampled != e.OK || failed != b.Failed {
		t.Errorf("%d sampled and %d failed events, want %d and %d (every reading an event)", sampled, failed, e.OK, b.Failed)
	}
}

// TestScrapeSinkFollowsEvents: a sink without endpoints (a replay's)
// follows the readings it is given, and has nothing without any.
func TestScrapeSinkFollowsEvents(t *testing.T) {
	s := NewScrape(nil)
	if err := s.Open(Info{}); err != nil {
		t.Fatal(err)
	}
	if eps := s.Endpoints(); eps != nil {
		t.Fatalf("endpoints %+v before any reading: want none", eps)
	}
	cpu := 0.25
	s.Event(Event{Source: FromScrape, Kind: ScrapeSampled, Scrape: &scrape.Reading{URL: "u", CPU: &cpu}})
	s.Event(Event{Source: FromOperator, Kind: "note"})
	var res Result
	s.Finish(&res)
	if len(res.Scrape) != 1 || res.Scrape[0].CPU.Last != 0.25 || res.Scrape[0].OK != 1 {
		t.Errorf("result %+v: want the one reading", res.Scrape)
	}
	if err := s.Close(nil); err != nil {
		t.Fatal(err)
	}
}

// keptEvents keeps the events it is handed.
type keptEvents struct{ to *[]Event }

func eventsOf(to *[]Event) keptEvents { return keptEvents{to} }

func (k keptEvents) Open(Info) error     { return nil }
func (k keptEvents) Tick(Tick)           {}
func (k keptEvents) Event(e Event)       { *k.to = append(*k.to, e) }
func (k keptEvents) Close(*Result) error { return nil }
