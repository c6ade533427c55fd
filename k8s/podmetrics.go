package k8s

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/scalelab/scalelab/probes/scrape"
	"k8s.io/client-go/rest"
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
	rc := d.client.CoreV1().RESTClient()
	if !hasTransport(rc) {
		return nil, errors.New("k8s: pod metrics: the client has no REST transport to the API server")
	}
	d.mu.Lock()
	port := d.port
	d.mu.Unlock()
	if port == 0 {
		port = defaultPort
	}
	return podScraper(rc, d.o.Namespace, pod, port, metrics...)
}

// podScraper returns a scraper of pod's /metrics on port in namespace ns
// through the pod proxy, rc the API server's REST client.
func podScraper(rc rest.Interface, ns, pod string, port int32, metrics ...string) (*scrape.Scraper, error) {
	p := strconv.Itoa(int(port))
	path := fmt.Sprintf("/api/v1/namespaces/%s/pods/%s:%s/proxy/%s", ns, pod, p, PodMetricsPath)
	get := func(ctx context.Context) ([]byte, string, error) {
		body, err := rawGet(ctx, rc, path, nil)
		if err != nil {
			return nil, "", apiError(err, "get", "pods/proxy", ns)
		}
		return body, "", nil
	}
	return scrape.New(fmt.Sprintf("pod %s/%s:%s /%s", ns, pod, p, PodMetricsPath), scrape.Options{Metrics: metrics, Get: get})
}

// hasTransport reports whether rc reaches an API server: a fake
// clientset's REST client is a nil one.
func hasTransport(rc rest.Interface) bool {
	c, ok := rc.(*rest.RESTClient)
	return rc != nil && (!ok || c != nil)
}
