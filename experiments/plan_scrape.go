package experiments

import (
	"fmt"
	"strings"

	"github.com/scalelab/scalelab/probes/scrape"
	"go.yaml.in/yaml/v3"
)

// scrape decodes the top-level scrape: a list of Prometheus endpoints'
// URLs, each as --scrape takes it (http or https, with a host).
func (d *decoder) scrape(p *Plan, n *yaml.Node) {
	ok := d.list(n, "scrape", "[http://127.0.0.1:8080/metrics]", func(i int, item *yaml.Node) {
		what := fmt.Sprintf("scrape[%d]", i+1)
		s, ok := d.line(item, what)
		if !ok {
			return
		}
		if err := scrape.CheckURL(s); err != nil {
			d.bad(item, "%s %q: %v", what, s, err)
			return
		}
		p.Scrape = append(p.Scrape, s)
	})
	if ok && len(n.Content) == 0 {
		d.bad(n, "scrape: empty: give at least one URL such as http://127.0.0.1:8080/metrics, or leave scrape out")
	}
}

// scrapeMetrics decodes the top-level scrape_metrics: metric names shown
// besides CPU and RSS, as --scrape-metric takes them.
func (d *decoder) scrapeMetrics(p *Plan, n *yaml.Node) {
	ok := d.list(n, "scrape_metrics", "[http_requests_total]", func(i int, item *yaml.Node) {
		what := fmt.Sprintf("scrape_metrics[%d]", i+1)
		s, ok := d.line(item, what)
		if !ok {
			return
		}
		if strings.TrimSpace(s) == "" {
			d.bad(item, "%s: an empty metric name", what)
			return
		}
		p.ScrapeMetrics = append(p.ScrapeMetrics, s)
	})
	if ok && len(n.Content) == 0 {
		d.bad(n, "scrape_metrics: empty: give at least one metric name, or leave scrape_metrics out")
	}
}
