package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/probes/scrape"
)

// TestScrapeLinesUnderTheCharts: with --scrape the endpoints' lines show
// under the charts: "not scraped yet" before a reading, then CPU, RSS
// and the counter's rate, "—" for the CPU before its second scrape, a
// failing endpoint's short error; none without --scrape; at a narrow
// width the line is cut, never wrapped.
func TestScrapeLinesUnderTheCharts(t *testing.T) {
	const u = "http://127.0.0.1:9/metrics"
	tr := scrape.NewTrack(u, "http://127.0.0.1:1/metrics")
	get := func() []scrape.Endpoint { return tr.Endpoints() }
	m := newModel(t, Config{Load: idleEngine(t), Window: time.Minute, Scrape: get}, 120, 40)
	m = update(t, m, FrameMsg{})
	if v := view(m); strings.Count(v, "not scraped yet") != 2 {
		t.Fatalf("before any reading: want each endpoint not scraped yet:\n%s", v)
	}
	tr.Add(scrape.NewReading(u, scrape.Sample{RSS: 31.2e6, RSSKnown: true,
		Values: []scrape.Value{{Name: "reqs_total", Value: 10, Counter: true}}}, nil))
	m = update(t, m, FrameMsg{})
	if v := view(m); !strings.Contains(v, "cpu —") || !strings.Contains(v, "31.2 MB") || !strings.Contains(v, "reqs_total —") {
		t.Fatalf("first reading: want cpu and the rate not measured yet (—), rss 31.2 MB:\n%s", v)
	}
	tr.Add(scrape.NewReading(u, scrape.Sample{CPU: 0.42, CPUKnown: true, RSS: 32e6, RSSKnown: true,
		Values: []scrape.Value{{Name: "reqs_total", Value: 160, Counter: true, Rate: 150, HasRate: true}}}, nil))
	tr.Add(scrape.NewReading("http://127.0.0.1:1/metrics", scrape.Sample{},
		errors.New(`scrape http://127.0.0.1:1/metrics: Get "http://127.0.0.1:1/metrics": dial tcp 127.0.0.1:1: connect: connection refused`)))
	m = update(t, m, FrameMsg{})
	v := view(m)
	if !strings.Contains(v, "0.42 cores") || !strings.Contains(v, "reqs_total 150/s") || !strings.Contains(v, "✗ dial tcp 127.0.0.1:1: connect: connection refused") {
		t.Fatalf("want cpu 0.42 cores, the counter's 150/s and the refusing endpoint's error:\n%s", v)
	}
	if strings.Count(v, "connection refused") != 1 {
		t.Errorf("the error shows more than once:\n%s", v)
	}
	narrow := update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if v := view(narrow); !strings.Contains(v, "scrape 127.0.0.1:9/metrics") {
		t.Errorf("at 80 columns: want the scrape line, cut:\n%s", v)
	}
	plain := update(t, newModel(t, Config{Load: idleEngine(t), Window: time.Minute}, 120, 40), FrameMsg{})
	if strings.Contains(view(plain), "scrape ") {
		t.Errorf("without --scrape: want no scrape line:\n%s", view(plain))
	}
}
