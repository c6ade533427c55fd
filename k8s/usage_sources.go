package k8s

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/scalelab/scalelab/probes/scrape"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/rest"
)

// The usage sources, as cluster.Usage.Source names them.
const (
	sourcePodMetrics = "/metrics"
	sourceMetricsAPI = "metrics.k8s.io"
	sourceCadvisor   = "cadvisor"
)

// cAdvisor's CFS counters, per container.
const (
	cfsPeriodsMetric   = "container_cpu_cfs_periods_total"
	cfsThrottledMetric = "container_cpu_cfs_throttled_periods_total"
)

// rawGet reads path from the API server through rc, bounded by
// usageTimeout.
func rawGet(ctx context.Context, rc rest.Interface, path string, params map[string]string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, usageTimeout)
	defer cancel()
	req := rc.Get().AbsPath(path)
	for k, v := range params {
		req = req.Param(k, v)
	}
	return req.DoRaw(ctx)
}

// scrapePods reads the /metrics of the live pods (of at most
// maxPodScrapes of them, in turn, when there are more) through the pod
// proxy. It returns a note when none could be read, and whether that is
// because the pod proxy is forbidden.
func (s *usageSampler) scrapePods(ctx context.Context, pods []usagePod) (note string, forbidden bool) {
	if len(pods) == 0 {
		return "", false
	}
	batch := pods
	if len(pods) > maxPodScrapes {
		start := (s.podRound * maxPodScrapes) % len(pods)
		batch = append(slices.Clone(pods[start:]), pods[:start]...)[:maxPodScrapes]
		s.podRound++
	}
	type result struct {
		pod string
		smp scrape.Sample
		err error
	}
	results := make([]result, len(batch))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(scrapeWorkers, len(batch)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i].smp, results[i].err = s.scrapers[batch[i].name].Scrape(ctx)
			}
		}()
	}
	for i, p := range batch {
		results[i].pod = p.name
		if s.scrapers[p.name] == nil {
			// New fails only without a name or with an empty metric name.
			s.scrapers[p.name], _ = podScraper(s.rc, s.ns, p.name, s.port, busyMetric, inflightMetric)
		}
	}
	for i := range batch {
		work <- i
	}
	close(work)
	wg.Wait()
	var first error
	read := 0
	for _, r := range results {
		if r.err != nil {
			first = cmp.Or(first, r.err)
			continue
		}
		read++
		s.scraped[r.pod] = r.smp
	}
	if read > 0 || first == nil {
		return "", false
	}
	var fe *ForbiddenError
	forbidden = errors.As(first, &fe)
	if inner := errors.Unwrap(first); inner != nil {
		first = inner // the scraper's "scrape NAME:" prefix: the pod is not the news
	}
	return "pods' /metrics not read: " + first.Error(), forbidden
}

// podMetrics is a pod's figures from the metrics API: CPU in cores and
// memory (working set) in bytes, summed over its containers.
type podMetrics struct {
	cpu    float64
	memory uint64
}

// podMetricsList is the part of a metrics.k8s.io/v1beta1 PodMetricsList
// read (k8s.io/metrics' types, for two fields).
type podMetricsList struct {
	Items []struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Containers []struct {
			Usage map[string]resource.Quantity `json:"usage"`
		} `json:"containers"`
	} `json:"items"`
}

// readMetricsAPI lists the pods' metrics from metrics.k8s.io, or returns
// a note saying why it cannot (not served: no metrics-server; forbidden).
func (s *usageSampler) readMetricsAPI(ctx context.Context) (map[string]podMetrics, string) {
	path := fmt.Sprintf("/apis/metrics.k8s.io/v1beta1/namespaces/%s/pods", s.ns)
	body, err := rawGet(ctx, s.rc, path, map[string]string{"labelSelector": s.sel})
	switch {
	case apierrors.IsNotFound(err):
		return nil, "metrics.k8s.io not served (no metrics-server): pod CPU and memory only from the pods' /metrics"
	case apierrors.IsServiceUnavailable(err):
		return nil, "metrics.k8s.io unavailable (metrics-server not answering): pod CPU and memory only from the pods' /metrics"
	case err != nil:
		return nil, "metrics.k8s.io not read: " + apiError(err, "list", "pods.metrics.k8s.io", s.ns).Error()
	}
	var l podMetricsList
	if err := json.Unmarshal(body, &l); err != nil {
		return nil, "metrics.k8s.io not read: not a PodMetricsList: " + oneLineErr{err}.Error()
	}
	out := make(map[string]podMetrics, len(l.Items))
	for _, it := range l.Items {
		var m podMetrics
		for _, c := range it.Containers {
			if q, ok := c.Usage["cpu"]; ok {
				m.cpu += q.AsApproximateFloat64()
			}
			if q, ok := c.Usage["memory"]; ok {
				m.memory += uint64(max(0, q.Value()))
			}
		}
		out[it.Metadata.Name] = m
	}
	return out, ""
}

// cfsSample is one pod's CFS counters from cAdvisor, and the throttled
// share of its periods since the previous sample (known from the second).
type cfsSample struct {
	periods, throttled uint64
	share              float64
	known              bool
}

// readCadvisor reads the CFS throttling of the pods' version containers
// from each of their nodes' cAdvisor (the kubelet's /metrics/cadvisor
// through the node proxy), or returns a note saying why it cannot.
func (s *usageSampler) readCadvisor(ctx context.Context, pods []usagePod) string {
	byNode := map[string][]usagePod{}
	var nodes []string
	for _, p := range pods {
		if p.node == "" {
			continue
		}
		if byNode[p.node] == nil {
			nodes = append(nodes, p.node)
		}
		byNode[p.node] = append(byNode[p.node], p)
	}
	var failed []string
	var first error
	for _, node := range nodes {
		body, err := rawGet(ctx, s.rc, "/api/v1/nodes/"+node+"/proxy/metrics/cadvisor", nil)
		if err != nil {
			var fe *ForbiddenError
			switch err2 := apiError(err, "get", "nodes/proxy", ""); {
			case errors.As(err2, &fe):
				return "cAdvisor throttling not read: " + err2.Error() + " (a ClusterRole: deploy/rbac-node-metrics.yaml)"
			case apierrors.IsServiceUnavailable(err):
				err = fmt.Errorf("its kubelet did not answer through the node proxy (%w)", oneLineErr{err})
			default:
				err = err2
			}
			failed, first = append(failed, node), cmp.Or(first, err)
			continue
		}
		counts, err := parseCFS(bytes.NewReader(body), s.ns, byNode[node])
		if err != nil {
			failed, first = append(failed, node), cmp.Or(first, err)
			continue
		}
		for _, p := range byNode[node] {
			c, ok := counts[p.name]
			if !ok {
				delete(s.throttling, p.name) // no CPU limit: no CFS periods
				continue
			}
			if prev, had := s.throttling[p.name]; had && c.periods > prev.periods && c.throttled >= prev.throttled {
				c.share, c.known = float64(c.throttled-prev.throttled)/float64(c.periods-prev.periods), true
			} else if had && c.periods == prev.periods {
				c.known = true // no period ran: nothing throttled
			}
			s.throttling[p.name] = c
		}
	}
	if first == nil {
		return ""
	}
	return fmt.Sprintf("cAdvisor throttling not read from node %s: %v", failed[0], first)
}

// parseCFS reads the CFS counters of pods' containers in ns from a
// cAdvisor exposition, by pod.
func parseCFS(r io.Reader, ns string, pods []usagePod) (map[string]cfsSample, error) {
	container := make(map[string]string, len(pods))
	for _, p := range pods {
		container[p.name] = p.container
	}
	out := map[string]cfsSample{}
	dec := expfmt.NewDecoder(r, expfmt.NewFormat(expfmt.TypeTextPlain))
	for {
		var f dto.MetricFamily
		err := dec.Decode(&f)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("not a cAdvisor exposition: %w", err)
		}
		if f.GetName() != cfsPeriodsMetric && f.GetName() != cfsThrottledMetric {
			continue
		}
		for _, m := range f.Metric {
			l := labelsOf(m)
			want, ours := container[l["pod"]]
			if !ours || l["namespace"] != ns || l["container"] == "" || (want != "" && l["container"] != want) {
				continue
			}
			c := out[l["pod"]]
			v := uint64(max(0, m.GetCounter().GetValue()))
			if f.GetName() == cfsPeriodsMetric {
				c.periods += v
			} else {
				c.throttled += v
			}
			out[l["pod"]] = c
		}
	}
}

// labelsOf is a series' labels.
func labelsOf(m *dto.Metric) map[string]string {
	out := make(map[string]string, len(m.Label))
	for _, l := range m.Label {
		out[l.GetName()] = l.GetValue()
	}
	return out
}
