package scrape

import (
	"errors"
	"math"
	"testing"
)

func TestTrackFigures(t *testing.T) {
	tr := NewTrack("http://a/metrics")
	tr.Add(NewReading("http://a/metrics", Sample{RSS: 100, RSSKnown: true,
		Values: []Value{{Name: "reqs_total", Value: 5, Counter: true}, {Name: "gone", Missing: true}}}, nil))
	tr.Add(NewReading("http://a/metrics", Sample{}, errors.New(`scrape http://a/metrics: Get "http://a/metrics": dial tcp: connection refused`)))
	tr.Add(NewReading("http://a/metrics", Sample{CPU: 0.5, CPUKnown: true, RSS: 300, RSSKnown: true,
		Values: []Value{{Name: "reqs_total", Value: 25, Counter: true, Rate: 10, HasRate: true}, {Name: "gone", Missing: true}}}, nil))
	tr.Add(NewReading("http://a/metrics", Sample{CPU: 1.5, CPUKnown: true, RSS: 200, RSSKnown: true,
		Values: []Value{{Name: "reqs_total", Value: 55, Counter: true, Rate: 30, HasRate: true}, {Name: "gone", Missing: true}}}, nil))
	eps := tr.Endpoints()
	if len(eps) != 1 {
		t.Fatalf("%d endpoints, want 1", len(eps))
	}
	e := eps[0]
	if e.OK != 3 || e.Failed != 1 || e.LastError != "dial tcp: connection refused" || e.Failing {
		t.Errorf("ok %d failed %d error %q failing %v", e.OK, e.Failed, e.LastError, e.Failing)
	}
	if e.CPU.N != 2 || e.CPU.Mean() != 1 || e.CPU.Max != 1.5 {
		t.Errorf("cpu %+v mean %g, want 2 readings, mean 1, max 1.5", e.CPU, e.CPU.Mean())
	}
	if e.RSS.Last != 200 || e.RSS.Max != 300 {
		t.Errorf("rss %+v, want last 200 max 300", e.RSS)
	}
	if len(e.CPUSeries) != 4 || !math.IsNaN(e.CPUSeries[0]) || !math.IsNaN(e.CPUSeries[1]) || e.CPUSeries[3] != 1.5 {
		t.Errorf("cpu series %v, want NaN NaN 0.5 1.5", e.CPUSeries)
	}
	m := e.Metrics[0]
	if m.Name != "reqs_total" || !m.Counter || m.Last != 55 || m.Rate.Mean() != 20 || m.Rate.Max != 30 {
		t.Errorf("metric %+v, want reqs_total last 55 rate mean 20 max 30", m)
	}
	if g := e.Metrics[1]; !g.Missing || g.Known {
		t.Errorf("missing metric %+v, want missing and not known", g)
	}
}

func TestTrackKeepsSeriesLen(t *testing.T) {
	tr := NewTrack()
	for i := range SeriesLen + 10 {
		tr.Add(NewReading("u", Sample{RSS: float64(i), RSSKnown: true}, nil))
	}
	e := tr.Endpoints()[0]
	if len(e.RSSSeries) != SeriesLen || e.RSSSeries[0] != 10 || e.RSS.Max != SeriesLen+9 {
		t.Errorf("series of %d from %g, max %g; want %d from 10, max %d", len(e.RSSSeries), e.RSSSeries[0], e.RSS.Max, SeriesLen, SeriesLen+9)
	}
}

func TestShortError(t *testing.T) {
	for in, want := range map[string]string{
		`scrape http://127.0.0.1:1/metrics: Get "http://127.0.0.1:1/metrics": dial tcp 127.0.0.1:1: connect: connection refused`: "dial tcp 127.0.0.1:1: connect: connection refused",
		"scrape http://x/metrics: HTTP 404":              "HTTP 404",
		"scrape pod/a: not a Prometheus exposition: bad": "not a Prometheus exposition: bad",
	} {
		if got := ShortError(errors.New(in)); got != want {
			t.Errorf("ShortError(%q) = %q, want %q", in, got, want)
		}
	}
}
