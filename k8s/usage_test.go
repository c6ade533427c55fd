package k8s

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

// usageAPI stands in for the API server's usage routes (the real control
// plane in k8s/e2e has no metrics-server and no kubelet's cAdvisor): the
// pods' /metrics through the pod proxy, metrics.k8s.io, and cAdvisor
// through the node proxy. Each answers from what the test sets.
type usageAPI struct {
	mu         sync.Mutex
	cpuSeconds float64 // p1's process_cpu_seconds_total
	busy       float64 // p1's request-duration sum
	metricsAPI int     // HTTP status of metrics.k8s.io (200 serves it)
	cadvisor   int     // HTTP status of the node proxy
	periods    int     // p1's CFS periods so far
	throttled  int     // ... and of them throttled
}

func (a *usageAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch r.URL.Path {
	case "/api/v1/namespaces/ns/pods/p1:8080/proxy/metrics":
		fmt.Fprintf(w, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %g\n"+
			"# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 2.5e+07\n"+
			"# TYPE scalelab_target_request_duration_seconds histogram\n"+
			"scalelab_target_request_duration_seconds_bucket{le=\"+Inf\"} 10\n"+
			"scalelab_target_request_duration_seconds_sum %g\nscalelab_target_request_duration_seconds_count 10\n"+
			"# TYPE scalelab_target_inflight_requests gauge\nscalelab_target_inflight_requests 3\n", a.cpuSeconds, a.busy)
	case "/api/v1/namespaces/ns/pods/p2:8080/proxy/metrics":
		status(w, http.StatusServiceUnavailable, "ServiceUnavailable", "no endpoints available for pod p2")
	case "/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods":
		if r.URL.Query().Get("labelSelector") != "app=demo" {
			status(w, http.StatusBadRequest, "BadRequest", "want the pods' selector, got "+r.URL.RawQuery)
			return
		}
		if a.metricsAPI != http.StatusOK {
			status(w, a.metricsAPI, "NotFound", "the server could not find the requested resource")
			return
		}
		fmt.Fprint(w, `{"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","items":[
			{"metadata":{"name":"p1"},"containers":[{"name":"web","usage":{"cpu":"900m","memory":"40Mi"}}]},
			{"metadata":{"name":"p2"},"containers":[{"name":"web","usage":{"cpu":"250m","memory":"30Mi"}},{"name":"side","usage":{"cpu":"50m","memory":"2Mi"}}]}]}`)
	case "/api/v1/nodes/n1/proxy/metrics/cadvisor":
		if a.cadvisor == http.StatusForbidden {
			status(w, a.cadvisor, "Forbidden", `nodes "n1" is forbidden: User "u" cannot get resource "nodes/proxy" in API group "" at the cluster scope`)
			return
		}
		fmt.Fprintf(w, "# TYPE container_cpu_cfs_periods_total counter\n"+
			"container_cpu_cfs_periods_total{container=\"web\",namespace=\"ns\",pod=\"p1\"} %d\n"+
			"container_cpu_cfs_periods_total{container=\"web\",namespace=\"other\",pod=\"p1\"} 999\n"+
			"# TYPE container_cpu_cfs_throttled_periods_total counter\n"+
			"container_cpu_cfs_throttled_periods_total{container=\"web\",namespace=\"ns\",pod=\"p1\"} %d\n"+
			"container_cpu_cfs_throttled_periods_total{container=\"side\",namespace=\"ns\",pod=\"p1\"} 500\n", a.periods, a.throttled)
	default:
		status(w, http.StatusNotFound, "NotFound", "no route "+r.URL.Path)
	}
}

// status answers as the API server does: a Status object.
func status(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":%q,"reason":%q,"code":%d}`, msg, reason, code)
}

// usageTestSampler is a sampler of namespace ns's pods (app=demo, port
// 8080) through a real REST client to api.
func usageTestSampler(t *testing.T, api http.Handler) *usageSampler {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	s := newUsageSampler(cs.CoreV1().RESTClient(), "ns", "app=demo", 8080)
	if s == nil {
		t.Fatal("no sampler with a real REST client")
	}
	return s
}

var usageTestPods = []usagePod{
	{name: "p1", node: "n1", container: "web", cpuLimit: 1},
	{name: "p2", node: "n1", container: "web"},
}

// TestUsageSources: each pod's usage merges what each source read (its
// /metrics first, the metrics API where /metrics has nothing, cAdvisor's
// throttling), a pod over its limits is judged saturated with its
// reasons, and the source names say where the figures came from.
func TestUsageSources(t *testing.T) {
	api := &usageAPI{metricsAPI: http.StatusOK, cadvisor: http.StatusOK, cpuSeconds: 10, busy: 1, periods: 100, throttled: 10}
	s := usageTestSampler(t, api)
	t0 := time.Now()
	s.round(context.Background(), usageTestPods, t0)
	time.Sleep(200 * time.Millisecond)
	api.mu.Lock()
	api.cpuSeconds += 0.19 // about 0.95 cores over the 200 ms
	api.busy += 0.1        // 0.5 s answering per second
	api.periods, api.throttled = 200, 60
	api.mu.Unlock()
	s.round(context.Background(), usageTestPods, t0.Add(cadvisorEvery))

	p1, p2 := s.of("p1"), s.of("p2")
	if p1 == nil || p2 == nil {
		t.Fatalf("usage p1 %+v p2 %+v: want both measured", p1, p2)
	}
	if p1.Source != "/metrics+cadvisor" {
		t.Errorf("p1 source %q: want its /metrics and cAdvisor (the metrics API's figures are not used: /metrics has CPU and RSS)", p1.Source)
	}
	if !p1.CPUKnown || p1.CPU < 0.5 || p1.CPU > 1.2 || p1.RSS != 25e6 || !p1.BusyKnown || p1.Busy < 0.2 || p1.Busy > 0.6 || p1.InFlight != 3 {
		t.Errorf("p1 %+v: want CPU about 0.95 from /metrics, RSS 25 MB, busy about 0.5, 3 in flight", p1)
	}
	if !p1.ThrottledKnown || p1.Throttled != 0.5 || p1.NrThrottled != 60 || p1.CPULimit != 1 {
		t.Errorf("p1 %+v: want 50%% of periods throttled (50 of 100, the side container's not counted), 60 in all, limit 1", p1)
	}
	if !p1.Saturated || len(p1.Reasons) == 0 || !strings.Contains(strings.Join(p1.Reasons, "; "), "throttled 50% of periods") {
		t.Errorf("p1 reasons %q: want saturated, throttled 50%% of periods", p1.Reasons)
	}
	if p2.Source != "metrics.k8s.io" || !p2.CPUKnown || p2.CPU != 0.3 || p2.RSS != 32<<20 || p2.ThrottledKnown || p2.Saturated {
		t.Errorf("p2 %+v: want CPU 0.3 and 32 MiB from the metrics API (its /metrics unreadable), no throttling known (no limit), not saturated", p2)
	}
	if notes := s.noteLines(); len(notes) != 0 {
		t.Errorf("notes %q: want none (a pod's /metrics unreadable is not a note while others are read)", notes)
	}
}

// TestUsageNotes: a source absent or forbidden is one note naming what is
// missing and why, the others still read; it is tried again after
// usageRetry and its note goes once it answers.
func TestUsageNotes(t *testing.T) {
	api := &usageAPI{metricsAPI: http.StatusNotFound, cadvisor: http.StatusForbidden, cpuSeconds: 1}
	s := usageTestSampler(t, api)
	t0 := time.Now()
	s.round(context.Background(), usageTestPods, t0)
	notes := strings.Join(s.noteLines(), "\n")
	for _, want := range []string{
		"metrics.k8s.io not served (no metrics-server)",
		"cAdvisor throttling not read: forbidden: needs get on nodes/proxy (a ClusterRole: deploy/rbac-node-metrics.yaml)",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes:\n%s\nwant a line with %q", notes, want)
		}
	}
	if n := len(s.noteLines()); n != 2 {
		t.Errorf("%d notes: want 2, one per source", n)
	}
	if u := s.of("p1"); u == nil || u.Source != "/metrics" || u.RSS != 25e6 {
		t.Errorf("p1 %+v: want its /metrics read without the other sources", u)
	}
	api.mu.Lock()
	api.metricsAPI, api.cadvisor = http.StatusOK, http.StatusOK
	api.mu.Unlock()
	s.round(context.Background(), usageTestPods, t0.Add(usageRetry/2))
	if n := len(s.noteLines()); n != 2 {
		t.Errorf("%d notes before the retry: want 2 (resting sources are not asked)", n)
	}
	s.round(context.Background(), usageTestPods, t0.Add(usageRetry))
	if notes := s.noteLines(); len(notes) != 0 {
		t.Errorf("notes after the retry %q: want none", notes)
	}
	if u := s.of("p2"); u == nil || u.Source != "metrics.k8s.io" {
		t.Errorf("p2 %+v: want the metrics API's figures once it is served", u)
	}
}

// TestUsageForbiddenPodProxy: without get on pods/proxy the pods' /metrics
// are one note naming the permission.
func TestUsageForbiddenPodProxy(t *testing.T) {
	s := usageTestSampler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status(w, http.StatusForbidden, "Forbidden", `pods "p1" is forbidden: User "u" cannot get resource "pods/proxy" in API group "" in the namespace "ns"`)
	}))
	s.round(context.Background(), usageTestPods[:1], time.Now())
	notes := strings.Join(s.noteLines(), "\n")
	if !strings.Contains(notes, "pods' /metrics not read: forbidden: needs get on pods/proxy in namespace ns") {
		t.Errorf("notes:\n%s\nwant the pod proxy's permission named", notes)
	}
	if u := s.of("p1"); u != nil {
		t.Errorf("p1 %+v: want no usage (nothing could be read)", u)
	}
}

// TestUsageFakeClient: a fake clientset has no REST transport, so there
// is no sampler (and no requests the fake would record).
func TestUsageFakeClient(t *testing.T) {
	if s := newUsageSampler(fake.NewClientset().CoreV1().RESTClient(), "ns", "app=demo", 8080); s != nil {
		t.Errorf("sampler %v with a fake clientset: want none", s)
	}
}

// TestUsageManyPods: with more pods than maxPodScrapes one round reads
// maxPodScrapes of them, the next round the following ones.
func TestUsageManyPods(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]int{}
	s := usageTestSampler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pod, ok := strings.CutPrefix(r.URL.Path, "/api/v1/namespaces/ns/pods/"); ok {
			mu.Lock()
			asked[strings.TrimSuffix(pod, ":8080/proxy/metrics")]++
			mu.Unlock()
			fmt.Fprint(w, "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 1e+06\n")
			return
		}
		status(w, http.StatusNotFound, "NotFound", "no route")
	}))
	var pods []usagePod
	for i := range maxPodScrapes + 5 {
		pods = append(pods, usagePod{name: fmt.Sprintf("p%02d", i)})
	}
	t0 := time.Now()
	s.round(context.Background(), pods, t0)
	if len(asked) != maxPodScrapes {
		t.Fatalf("%d pods read in one round: want %d", len(asked), maxPodScrapes)
	}
	s.round(context.Background(), pods, t0.Add(usageEvery))
	if len(asked) != len(pods) {
		t.Errorf("%d pods read in two rounds: want all %d", len(asked), len(pods))
	}
	measured := 0
	for _, p := range pods {
		if u := s.of(p.name); u != nil && u.RSS == 1e6 {
			measured++
		}
	}
	if measured != len(pods) {
		t.Errorf("%d pods with usage after two rounds: want %d (a pod not read this round keeps its last sample)", measured, len(pods))
	}
}
