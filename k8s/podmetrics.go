package k8s

import (
	"context"
	"fmt"
	"strconv"

	"github.com/scalelab/scalelab/probes/scrape"
)

// PodMetricsPath is the path of a pod's Prometheus metrics the driver
// reads (the demo service's, `scalelab target`'s).
const PodMetricsPath = "metrics"

// PodScraper returns a scraper of pod's /metrics through the API server's
// pod proxy (GET .../pods/NAME:PORT/proxy/metrics, on the container port
// endpoints are matched on): no port-forward, and no route from here to
// the pod's network needed; RBAC: get on pods/proxy (deploy/rbac.yaml).
// metrics are the metrics to read besides the process's CPU and memory.
func (d *Deployment) PodScraper(pod string, metrics ...string) (*scrape.Scraper, error) {
	d.mu.Lock()
	port := d.port
	d.mu.Unlock()
	if port == 0 {
		port = defaultPort
	}
	name := fmt.Sprintf("pod %s/%s:%d /%s", d.o.Namespace, pod, port, PodMetricsPath)
	get := func(ctx context.Context) ([]byte, string, error) {
		body, err := d.client.CoreV1().Pods(d.o.Namespace).ProxyGet("http", pod, strconv.Itoa(int(port)), PodMetricsPath, nil).DoRaw(ctx)
		if err != nil {
			return nil, "", apiError(err, "get", "pods/proxy", d.o.Namespace)
		}
		return body, "", nil
	}
	return scrape.New(name, scrape.Options{Metrics: metrics, Get: get})
}
