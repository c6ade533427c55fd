package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/ui"
)

// scrapeSummary is the scrape section of a --json summary.
type scrapeSummary struct {
	Scrape []report.ScrapeResult `json:"scrape"`
}

// startTarget runs `scalelab target` (the binary: a process of its own,
// whose CPU is its own) with args, and returns its URL.
func startTarget(t *testing.T, bin string, args ...string) string {
	t.Helper()
	p := start(t, bin, append([]string{"target", "--listen", "127.0.0.1:0"}, args...)...)
	url := p.listeningURL(t)
	go p.drain()
	return url
}

// loadScraped runs load at rate for 4 s against url, scraping its
// /metrics (and its request counter), recording to file, and returns the
// summary's scrape section.
func loadScraped(t *testing.T, url, rate, file string) []report.ScrapeResult {
	t.Helper()
	code, out, errOut := runCLI(t, t.Context(), "load", url+"/", "--rate", rate, "--duration", "4s", "--json",
		"--scrape", url+"/metrics", "--scrape-metric", "scalelab_target_requests_total", "--record", file)
	if code != 0 {
		t.Fatalf("load exit %d: %s", code, errOut)
	}
	var s scrapeSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("summary %q: %v", out, err)
	}
	if len(s.Scrape) != 1 {
		t.Fatalf("scrape section %+v: want the one endpoint", s.Scrape)
	}
	return s.Scrape
}

// TestScrapeShowsTargetCPURisingWithLoad scrapes a scalelab target
// process that burns 2 ms of CPU a request: at 1 request a second its
// CPU is near 0, at 150 a second (0.3 cores of work) well above, in the
// scrape section; its request counter's rate follows the load. The
// machine is shared: the margins are wide.
func TestScrapeShowsTargetCPURisingWithLoad(t *testing.T) {
	bin := buildBinary(t)
	url := startTarget(t, bin, "--cpu-work", "2ms")
	dir := t.TempDir()
	idle := loadScraped(t, url, "1", filepath.Join(dir, "idle.scalelab"))[0]
	loaded := loadScraped(t, url, "150", filepath.Join(dir, "loaded.scalelab"))[0]
	t.Logf("target cpu idle %+v loaded %+v", *idle.CPUCores, *loaded.CPUCores)
	if idle.CPUCores == nil || loaded.CPUCores == nil || idle.ScrapesOK < 3 || loaded.ScrapesOK < 3 || idle.Failed+loaded.Failed != 0 {
		t.Fatalf("idle %+v loaded %+v: want CPU measured over 3 or more scrapes, none failed", idle, loaded)
	}
	if idle.CPUCores.Mean > 0.05 || loaded.CPUCores.Mean < 0.1 || loaded.CPUCores.Mean < 3*idle.CPUCores.Mean {
		t.Errorf("cpu cores idle %.3f loaded %.3f: want idle under 0.05, loaded over 0.1 and 3× idle", idle.CPUCores.Mean, loaded.CPUCores.Mean)
	}
	if loaded.RSSBytes == nil || loaded.RSSBytes.Last < 1e6 {
		t.Errorf("rss %+v: want the process's resident memory, over 1 MB", loaded.RSSBytes)
	}
	m := loaded.Metrics
	if len(m) != 1 || !m[0].Counter || m[0].Rate == nil || m[0].Rate.Mean < 75 || m[0].Rate.Mean > 250 {
		t.Errorf("metrics %+v: want the request counter's rate near 150/s", m)
	}
}

// TestScrapeRecordingRoundTrip records a scraped run and replays it:
// replay --json has the live summary's scrape section, and a summary
// computed from the recorded scrapes alone (as for a killed session) has
// the same figures.
func TestScrapeRecordingRoundTrip(t *testing.T) {
	bin := buildBinary(t)
	url := startTarget(t, bin, "--cpu-work", "1ms")
	file := filepath.Join(t.TempDir(), "scraped.scalelab")
	live := loadScraped(t, url, "50", file)
	code, out, errOut := runCLI(t, t.Context(), "replay", file, "--headless", "--json")
	if code != 0 {
		t.Fatalf("replay exit %d: %s", code, errOut)
	}
	var back scrapeSummary
	if err := json.Unmarshal([]byte(out), &back); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(live)
	if got, _ := json.Marshal(back.Scrape); !bytes.Equal(got, want) {
		t.Errorf("replay's scrape section %s, want the live one %s", got, want)
	}
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	n := 0
	for _, e := range rec.Events {
		if e.Source == recordings.FromScrape {
			n++
		}
	}
	if n != live[0].ScrapesOK+live[0].Failed {
		t.Errorf("%d scrape events recorded, want one a scrape (%d)", n, live[0].ScrapesOK+live[0].Failed)
	}
	// The replay UI shows the recorded scrapes under its charts.
	player := ui.NewReplay(ui.ReplayConfig{Recording: rec, File: file, Paused: true})
	player.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	player.Seek(time.Hour) // the end
	if v := ansi.Strip(player.View()); !strings.Contains(v, "scrape "+strings.TrimPrefix(url, "http://")+"/metrics cpu ") ||
		!strings.Contains(v, " cores") || !strings.Contains(v, "scalelab_target_requests_total ") {
		t.Errorf("the replay UI at the end does not show the recorded scrapes:\n%s", v)
	}
	rec.Summary = nil // as a killed session's: computed from the recording
	res, err := replayed(t.Context(), rec)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(res.Summary.(report.Summary).Scrape)
	if !bytes.Equal(got, want) {
		t.Errorf("computed scrape section %s, want the live one %s", got, want)
	}
}

// TestScrapeText: the text summary has a line for the endpoint and one
// for each named metric.
func TestScrapeText(t *testing.T) {
	last := 42.0
	s := report.Summary{Scrape: []report.ScrapeResult{{URL: "http://127.0.0.1:9/metrics", ScrapesOK: 4, Failed: 1,
		LastError: "HTTP 500", CPUCores: &report.MeanMax{Mean: 0.25, Max: 0.5}, RSSBytes: &report.LastMax{Last: 2e7, Max: 3e7},
		Metrics: []report.ScrapeMetric{{Name: "reqs_total", Last: &last, Counter: true, Rate: &report.MeanMax{Mean: 10, Max: 12}}, {Name: "gone", Missing: true}}}}}
	var b bytes.Buffer
	s.WriteText(&b)
	for _, want := range []string{
		"scrape            http://127.0.0.1:9/metrics: 4 ok, 1 failed; cpu 0.250 cores mean, 0.500 max; rss 20.0 MB last, 30.0 MB max; last error: HTTP 500",
		"reqs_total 42, 10/s mean, 12/s max",
		"gone not in the exposition",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text summary without %q:\n%s", want, b.String())
		}
	}
}
