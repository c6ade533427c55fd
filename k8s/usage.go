package k8s

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/probes/scrape"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
)

// How often each usage source is read. The pods' /metrics are the finest
// (a second, as the generator's probes); the metrics API's figures are
// metrics-server's, which reads the kubelets every 15 s by default;
// cAdvisor's counters move at the kubelet's housekeeping interval (about
// 10 s), so a throttled share over a shorter interval would be noise.
const (
	usageEvery      = time.Second
	metricsAPIEvery = 5 * time.Second
	cadvisorEvery   = 10 * time.Second
	// usageRetry is how long a source that is absent or forbidden rests
	// before it is tried again (metrics-server installed, RBAC granted).
	usageRetry = 30 * time.Second
	// usageTimeout bounds one request of a source.
	usageTimeout = 2 * time.Second
	// maxPodScrapes bounds the pods whose /metrics one round reads, and
	// scrapeWorkers how many are read at once: each is a request through
	// the API server, whose client has a rate limit the actions share.
	maxPodScrapes = 20
	scrapeWorkers = 4
)

// The demo service's series (`scalelab target`, fleet replicas) read from
// a pod's /metrics besides the process's CPU and memory: the time spent
// answering per second (busy) and the requests in flight.
const (
	busyMetric     = "scalelab_target_request_duration_seconds_sum"
	inflightMetric = "scalelab_target_inflight_requests"
)

// usagePod is what the sampler needs of a live pod.
type usagePod struct {
	name, node string
	// cpuLimit is the version container's CPU limit in cores, 0 for none.
	cpuLimit float64
	// container is the version container's name (cAdvisor's label).
	container string
}

// usageSampler reads each live pod's usage from three sources, each
// optional: the pod's /metrics through the API server's pod proxy (CPU,
// memory, busy, in flight), the metrics API (metrics.k8s.io PodMetrics:
// CPU and memory, when metrics-server serves it) and cAdvisor through the
// node proxy (CFS throttling). A source that is absent or forbidden is one
// note, never an error, and is tried again later.
type usageSampler struct {
	rc   rest.Interface // raw requests to the API server
	ns   string
	sel  string // the pods' label selector
	port int32  // the pods' metrics port

	// onNote says a source's note once, as it appears (an event).
	onNote func(note string)

	mu    sync.Mutex
	usage map[string]cluster.Usage // by pod name
	notes map[string]string        // by source

	// The sampling goroutine's own state.
	scrapers   map[string]*scrape.Scraper // by pod name
	scraped    map[string]scrape.Sample   // the last sample of each pod's /metrics
	podRound   int                        // which pods the next round reads, when there are many
	metrics    map[string]podMetrics      // the metrics API's last figures, by pod
	throttling map[string]cfsSample       // cAdvisor's, by pod
	nextAt     map[string]time.Time       // when each source is due
}

// newUsageSampler returns a sampler for the pods selected by sel in ns, or
// nil when client has no REST transport to the API server (a fake
// clientset), where usage cannot be read.
func newUsageSampler(rc rest.Interface, ns, sel string, port int32) *usageSampler {
	if !hasTransport(rc) {
		return nil
	}
	return &usageSampler{
		rc: rc, ns: ns, sel: sel, port: port,
		usage:      map[string]cluster.Usage{},
		notes:      map[string]string{},
		scrapers:   map[string]*scrape.Scraper{},
		scraped:    map[string]scrape.Sample{},
		metrics:    map[string]podMetrics{},
		throttling: map[string]cfsSample{},
		nextAt:     map[string]time.Time{},
	}
}

// run samples every usageEvery until ctx ends; pods lists the live pods.
func (s *usageSampler) run(ctx context.Context, pods func() []usagePod) {
	t := time.NewTicker(usageEvery)
	defer t.Stop()
	for {
		s.round(ctx, pods(), time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// due reports whether source is due at now, and if so schedules it again
// after every.
func (s *usageSampler) due(source string, now time.Time, every time.Duration) bool {
	if now.Before(s.nextAt[source]) {
		return false
	}
	s.nextAt[source] = now.Add(every)
	return true
}

// rest schedules source again after usageRetry, for a source absent or
// forbidden.
func (s *usageSampler) rest(source string, now time.Time) {
	s.nextAt[source] = now.Add(usageRetry)
}

// round reads the sources due at now and publishes each pod's usage.
func (s *usageSampler) round(ctx context.Context, pods []usagePod, now time.Time) {
	notes := map[string]string{}
	s.mu.Lock()
	for k, v := range s.notes {
		notes[k] = v
	}
	s.mu.Unlock()
	if s.due(sourcePodMetrics, now, usageEvery) {
		note, forbidden := s.scrapePods(ctx, pods)
		if note != "" {
			notes[sourcePodMetrics] = note
		} else {
			delete(notes, sourcePodMetrics)
		}
		if forbidden {
			s.rest(sourcePodMetrics, now)
		}
	}
	if s.due(sourceMetricsAPI, now, metricsAPIEvery) {
		if m, note := s.readMetricsAPI(ctx); note != "" {
			notes[sourceMetricsAPI] = note
			s.rest(sourceMetricsAPI, now)
			clear(s.metrics)
		} else {
			delete(notes, sourceMetricsAPI)
			s.metrics = m
		}
	}
	if s.due(sourceCadvisor, now, cadvisorEvery) {
		if note := s.readCadvisor(ctx, pods); note != "" {
			notes[sourceCadvisor] = note
			s.rest(sourceCadvisor, now)
		} else {
			delete(notes, sourceCadvisor)
		}
	}
	usage := make(map[string]cluster.Usage, len(pods))
	for _, p := range pods {
		u := s.merge(p)
		if u.Source == "" {
			continue
		}
		probes.JudgeReplica(&u, probes.ReplicaThresholds{})
		usage[p.name] = u
	}
	s.forget(pods)
	s.mu.Lock()
	old := s.notes
	s.usage, s.notes = usage, notes
	s.mu.Unlock()
	for source, note := range notes {
		if old[source] != note && s.onNote != nil {
			s.onNote(note)
		}
	}
}

// merge is a pod's usage from what each source read: CPU and memory from
// its own /metrics when it exposes them (a second's resolution), else
// from the metrics API; throttling from cAdvisor; busy and in flight from
// the demo service's series.
func (s *usageSampler) merge(p usagePod) cluster.Usage {
	u := cluster.Usage{CPULimit: p.cpuLimit}
	var sources []string
	if smp, ok := s.scraped[p.name]; ok {
		used := false
		if smp.CPUKnown {
			u.CPU, u.CPUKnown, used = smp.CPU, true, true
		}
		if smp.RSSKnown {
			u.RSS, used = uint64(smp.RSS), true
		}
		for _, v := range smp.Values {
			switch {
			case v.Missing:
			case v.Name == busyMetric && v.HasRate:
				u.Busy, u.BusyKnown, used = v.Rate, true, true
			case v.Name == inflightMetric:
				u.InFlight, used = int(v.Value), true
			}
		}
		if used {
			sources = append(sources, sourcePodMetrics)
		}
	}
	if m, ok := s.metrics[p.name]; ok {
		used := false
		if !u.CPUKnown {
			u.CPU, u.CPUKnown, used = m.cpu, true, true
		}
		if u.RSS == 0 && m.memory > 0 {
			u.RSS, used = m.memory, true
		}
		if used {
			sources = append(sources, sourceMetricsAPI)
		}
	}
	if c, ok := s.throttling[p.name]; ok && c.known {
		u.Throttled, u.ThrottledKnown, u.NrThrottled = c.share, true, c.throttled
		sources = append(sources, sourceCadvisor)
	}
	u.Source = strings.Join(sources, "+")
	return u
}

// forget drops what is kept of pods that are gone.
func (s *usageSampler) forget(pods []usagePod) {
	live := make(map[string]bool, len(pods))
	for _, p := range pods {
		live[p.name] = true
	}
	for name := range s.scrapers {
		if !live[name] {
			delete(s.scrapers, name)
			delete(s.scraped, name)
		}
	}
	for name := range s.throttling {
		if !live[name] {
			delete(s.throttling, name)
		}
	}
}

// of is pod's last usage, nil when none was measured.
func (s *usageSampler) of(pod string) *cluster.Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.usage[pod]
	if !ok {
		return nil
	}
	u.Reasons = slices.Clone(u.Reasons)
	return &u
}

// noteLines are the notes of the sources that cannot be read, sorted.
func (s *usageSampler) noteLines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.notes))
	for _, n := range s.notes {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// usagePodOf is what the sampler needs of p, with c its version container.
func usagePodOf(p *corev1.Pod, c *corev1.Container) usagePod {
	u := usagePod{name: p.Name, node: p.Spec.NodeName}
	if c != nil {
		u.container = c.Name
		if q, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
			u.cpuLimit = q.AsApproximateFloat64()
		}
	}
	return u
}

// usagePods lists the pods whose usage is sampled: those running, with an
// address, not being deleted.
func (d *Deployment) usagePods() []usagePod {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped || d.selector == nil {
		return nil
	}
	pods, _ := d.pods.Pods(d.o.Namespace).List(d.selector)
	out := make([]usagePod, 0, len(pods))
	for _, p := range pods {
		if p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" || p.DeletionTimestamp != nil {
			continue
		}
		out = append(out, usagePodOf(p, d.container(p.Spec.Containers)))
	}
	slices.SortFunc(out, func(a, b usagePod) int { return strings.Compare(a.name, b.name) })
	return out
}
