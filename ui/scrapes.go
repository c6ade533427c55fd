package ui

import "github.com/scalelab/scalelab/ui/components/scrapes"

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
