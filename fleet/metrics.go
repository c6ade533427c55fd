package fleet

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// replicaMetrics are one replica's Prometheus metrics, in a registry of its
// own. Labels are bounded: status codes the replica itself sets, and two
// not-ready reasons.
type replicaMetrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	notReady *prometheus.CounterVec
	duration prometheus.Histogram
	inflight prometheus.Gauge
	ready    prometheus.Gauge
	handler  fasthttp.RequestHandler
	// The series the hot path counts, resolved once.
	ok, failed, starting, draining prometheus.Counter
}

func newReplicaMetrics(name, version string, process bool) *replicaMetrics {
	m := &replicaMetrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scalelab_target_requests_total",
			Help: "Requests answered, by status code.",
		}, []string{"code"}),
		notReady: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scalelab_target_requests_not_ready_total",
			Help: "Requests answered while the replica was not ready, by reason (starting, draining).",
		}, []string{"reason"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "scalelab_target_request_duration_seconds",
			Help:    "Time to answer a request, in seconds.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "scalelab_target_inflight_requests",
			Help: "Requests being answered.",
		}),
		ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "scalelab_target_ready",
			Help: "1 while the replica passes its readiness check, else 0.",
		}),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "scalelab_target_info",
		Help:        "The replica's name and version.",
		ConstLabels: prometheus.Labels{"replica": name, "version": version},
	})
	info.Set(1)
	m.ok, m.failed = m.requests.WithLabelValues("200"), m.requests.WithLabelValues("500")
	m.starting, m.draining = m.notReady.WithLabelValues("starting"), m.notReady.WithLabelValues("draining")
	m.reg.MustRegister(m.requests, m.notReady, m.duration, m.inflight, m.ready, info,
		prometheus.NewGoCollector())
	if process {
		m.reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m.handler = fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return m
}
