package report

import (
	"fmt"
	"io"
	"strings"
)

// ScrapeResult is what the scrapes of one Prometheus endpoint found, as
// the summary keeps it: the scrapes that answered and failed, the latest
// failure's short reason, the process's CPU in cores (mean and max over
// the scrapes that measured it) and resident memory in bytes (last and
// max), and each named metric. A figure never measured is absent.
type ScrapeResult struct {
	URL       string         `json:"url"`
	ScrapesOK int            `json:"scrapes_ok"`
	Failed    int            `json:"scrapes_failed"`
	LastError string         `json:"last_error,omitempty"`
	CPUCores  *MeanMax       `json:"cpu_cores,omitempty"`
	RSSBytes  *LastMax       `json:"rss_bytes,omitempty"`
	Metrics   []ScrapeMetric `json:"metrics,omitempty"`
}

// MeanMax is a figure's mean and maximum.
type MeanMax struct {
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
}

// LastMax is a figure's last reading and maximum.
type LastMax struct {
	Last float64 `json:"last"`
	Max  float64 `json:"max"`
}

// ScrapeMetric is a named metric: its last value (absent when the
// endpoint never had it: Missing), and for a counter its rate per second.
type ScrapeMetric struct {
	Name    string   `json:"name"`
	Last    *float64 `json:"last,omitempty"`
	Counter bool     `json:"counter,omitempty"`
	Rate    *MeanMax `json:"rate,omitempty"`
	Missing bool     `json:"missing,omitempty"`
}

// writeScrape prints a line an endpoint, and one a named metric.
func writeScrape(w io.Writer, eps []ScrapeResult) {
	for _, e := range eps {
		parts := []string{fmt.Sprintf("%d ok, %d failed", e.ScrapesOK, e.Failed)}
		if c := e.CPUCores; c != nil {
			parts = append(parts, fmt.Sprintf("cpu %.3f cores mean, %.3f max", c.Mean, c.Max))
		}
		if r := e.RSSBytes; r != nil {
			parts = append(parts, fmt.Sprintf("rss %s last, %s max", bytesText(r.Last), bytesText(r.Max)))
		}
		if e.LastError != "" {
			parts = append(parts, "last error: "+e.LastError)
		}
		fmt.Fprintf(w, "  %-17s %s: %s\n", "scrape", e.URL, strings.Join(parts, "; "))
		for _, m := range e.Metrics {
			var s string
			switch {
			case m.Last == nil:
				s = "not in the exposition"
			case m.Rate != nil:
				s = fmt.Sprintf("%g, %.3g/s mean, %.3g/s max", *m.Last, m.Rate.Mean, m.Rate.Max)
			default:
				s = fmt.Sprintf("%g", *m.Last)
			}
			fmt.Fprintf(w, "  %-17s %s %s\n", "", m.Name, s)
		}
	}
}

// bytesText is a size in MB (or kB below one).
func bytesText(b float64) string {
	if b < 1e6 {
		return fmt.Sprintf("%.1f kB", b/1e3)
	}
	return fmt.Sprintf("%.1f MB", b/1e6)
}
