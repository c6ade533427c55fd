package ui

import (
	"encoding/json"
	"time"

	"github.com/scalelab/scalelab/probes/scrape"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/ui/components/scrapes"
)

// onScrape reads the scrapes' figures at a frame (Config.Scrape), and
// lays the screen out again when their lines change in number.
func (m Model) onScrape() Model {
	if m.cfg.Scrape == nil {
		return m
	}
	rows := m.scrapeRows()
	m.scrapes = m.cfg.Scrape()
	if m.scrapeRows() != rows {
		m.layout()
	}
	return m
}

// scrapeRows is the number of lines the scrapes take under the charts:
// none without --scrape or without charts.
func (m Model) scrapeRows() int {
	if !m.anyChart() || m.com.Width == 0 {
		return 0
	}
	return scrapes.Rows(m.scrapes, scrapes.MaxRows)
}

// scrapeLines renders the scrapes' lines.
func (m Model) scrapeLines() []string {
	if m.scrapeRows() == 0 {
		return nil
	}
	return scrapes.View(m.com.Styles, m.scrapes, m.com.Width, scrapes.MaxRows)
}

// replayScrapes is Config.Scrape of a replay: the recorded scrapes'
// figures up to the frame being fed (at), nil when the recording has
// none.
func replayScrapes(events []recordings.Event, at func() time.Time) func() []scrape.Endpoint {
	var recorded []recordings.Event
	for _, e := range events {
		if e.Source == recordings.FromScrape {
			recorded = append(recorded, e)
		}
	}
	if len(recorded) == 0 {
		return nil
	}
	return func() []scrape.Endpoint {
		tr := scrape.NewTrack()
		to := at()
		for _, e := range recorded {
			if e.Time.After(to) {
				break
			}
			var r scrape.Reading
			if json.Unmarshal(e.Data, &r) == nil {
				tr.Add(r)
			}
		}
		return tr.Endpoints()
	}
}
