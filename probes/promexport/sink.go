package promexport

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/session"
)

// Options configure a Sink.
type Options struct {
	// Thresholds are the thresholds the run is judged on, in order, and
	// Statuses their live statuses in the same order (a
	// session.ThresholdSink's Statuses; nil: none yet). A threshold holds
	// until its first status says otherwise.
	Thresholds []analysis.Threshold
	Statuses   func() []analysis.Status
	// StepName names a step in scalelab_step_info (nil:
	// session.StepLabel, its plan name or its spec).
	StepName session.StepName
	// Generator is the generator probes' latest sample and judgement (a
	// session.GeneratorSink's Last; nil: no generator series).
	Generator func() (probes.GeneratorSample, probes.Saturation)
}

// Sink is a session sink that keeps the run's running totals and serves
// them as a prometheus.Collector: Collect may be called from any
// goroutine (a scrape) while the session calls the sink's methods.
type Sink struct {
	opts   Options
	labels []string // each threshold's label, unique
	desc   descs

	mu       sync.Mutex
	created  time.Time
	status   [numClasses]uint64
	errors   [engine.NumErrorClasses]uint64
	versions map[string]*versionCount
	named    int // versions counted by name (not unknown, other)
	latency  *hdrhistogram.Histogram
	service  *hdrhistogram.Histogram
	inFlight int64
	dropped  uint64
	late     uint64
	steps    map[string]int // steps in progress: how many of each name
}

type versionCount struct{ requests, failed uint64 }

// The status classes: 2xx..5xx, then other for any code outside them.
const (
	numClasses = 5
	otherClass = 4
)

var classNames = [numClasses]string{"2xx", "3xx", "4xx", "5xx", "other"}

func statusClass(code int) int {
	if code >= 200 && code < 600 {
		return code/100 - 2
	}
	return otherClass
}

var (
	_ session.Sink         = (*Sink)(nil)
	_ prometheus.Collector = (*Sink)(nil)
)

// New returns a sink with every counter at zero.
func New(opts Options) *Sink {
	if opts.StepName == nil {
		opts.StepName = session.StepLabel
	}
	s := &Sink{opts: opts, desc: newDescs(), versions: map[string]*versionCount{},
		latency: engine.NewHistogram(), service: engine.NewHistogram(), steps: map[string]int{}, created: time.Now()}
	seen := map[string]int{}
	for _, th := range opts.Thresholds {
		l := th.String()
		seen[l]++
		if n := seen[l]; n > 1 { // the same expression twice: both are shown
			l += " (" + strconv.Itoa(n) + ")"
		}
		s.labels = append(s.labels, l)
	}
	return s
}

// Open notes the session's start: the series' creation time.
func (s *Sink) Open(i session.Info) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !i.Start.IsZero() {
		s.created = i.Start
	}
	return nil
}

// Tick adds the tick's counts and histograms to the totals. Its cost does
// not grow with the rate: the histograms merge bucket by bucket.
func (s *Sink) Tick(t session.Tick) {
	sn := t.Snapshot
	s.mu.Lock()
	defer s.mu.Unlock()
	for code, n := range sn.Status {
		s.status[statusClass(code)] += n
	}
	for i, n := range sn.Errors {
		s.errors[i] += n
	}
	for name, v := range sn.ByVersion {
		c := s.version(name)
		c.requests += v.Requests
		c.failed += v.Failed
	}
	if sn.Latency != nil {
		s.latency.Merge(sn.Latency)
	}
	if sn.Service != nil {
		s.service.Merge(sn.Service)
	}
	s.inFlight = sn.InFlight
	s.dropped += sn.Dropped
	s.late += sn.Late
}

// version is the running count of the version called name (a valid
// UTF-8 label): at most engine.MaxVersions names are counted one by one
// over the run, as in a snapshot; further ones count under
// engine.OtherVersion.
func (s *Sink) version(name string) *versionCount {
	name = strings.ToValidUTF8(name, "?")
	c := s.versions[name]
	if c != nil {
		return c
	}
	if name != engine.UnknownVersion && name != engine.OtherVersion && s.named >= engine.MaxVersions {
		return s.version(engine.OtherVersion)
	}
	if name != engine.UnknownVersion && name != engine.OtherVersion {
		s.named++
	}
	c = &versionCount{}
	s.versions[name] = c
	return c
}

// Event follows the steps in progress.
func (s *Sink) Event(e session.Event) {
	if e.Source != session.FromStep || e.Step == nil {
		return
	}
	name := s.opts.StepName(*e.Step)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case e.Kind == experiments.StateStarted:
		s.steps[name]++
	case session.StepEnds(e) && s.steps[name] > 0:
		if s.steps[name]--; s.steps[name] == 0 {
			delete(s.steps, name)
		}
	}
}

// Close ends the steps in progress; the totals stay (a last scrape sees
// the whole run).
func (s *Sink) Close(*session.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.steps)
	return nil
}

// descs are the series' descriptions.
type descs struct {
	requests, errors, versionRequests, versionFailed  *prometheus.Desc
	latency, service, inFlight, dropped, late, thresh *prometheus.Desc
	step                                              *prometheus.Desc
	genSaturated, genCPU, genLimit, genRunDelay       *prometheus.Desc
	genThrottled, genRSS                              *prometheus.Desc
}

func newDescs() descs {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("scalelab_"+name, help, labels, nil)
	}
	return descs{
		requests:        d("requests_total", "Requests answered, by status class (2xx, 3xx, 4xx, 5xx, other).", "status_class"),
		errors:          d("request_errors_total", "Requests that ended without an answer, by error class.", "error_class"),
		versionRequests: d("version_requests_total", "Requests by the version of the service that answered (unknown: without a version).", "version"),
		versionFailed:   d("version_failed_requests_total", "Failed requests (transport errors and 5xx) by version.", "version"),
		latency:         d("request_latency_seconds", "Request latency, timed from the intended send (open loop)."),
		service:         d("request_service_time_seconds", "Request service time, timed from the actual send."),
		inFlight:        d("requests_in_flight", "Requests outstanding at the latest tick's end."),
		dropped:         d("sends_dropped_total", "Open-loop sends due that were never made."),
		late:            d("sends_late_total", "Open-loop sends made over 1 ms behind schedule."),
		thresh:          d("threshold_passing", "1 while the threshold holds, 0 while it fails.", "threshold"),
		step:            d("step_info", "1 for each step in progress.", "step"),
		genSaturated:    d("generator_saturated", "1 while the generator sets the pace (generator-bound), else 0."),
		genCPU:          d("generator_cpu_cores", "The generator's CPU use over the last second, in cores."),
		genLimit:        d("generator_cpu_limit_cores", "The cores the generator may use (GOMAXPROCS, CPUs, cgroup quota)."),
		genRunDelay:     d("generator_run_delay_ratio", "Seconds the generator's threads waited for a CPU per second."),
		genThrottled:    d("generator_throttled_ratio", "Share of the cgroup's CPU periods throttled over the last second."),
		genRSS:          d("generator_resident_memory_bytes", "The generator's resident memory."),
	}
}

// Describe sends every series' description.
func (s *Sink) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{s.desc.requests, s.desc.errors, s.desc.versionRequests, s.desc.versionFailed,
		s.desc.latency, s.desc.service, s.desc.inFlight, s.desc.dropped, s.desc.late, s.desc.thresh, s.desc.step} {
		ch <- d
	}
	if s.opts.Generator != nil {
		for _, d := range []*prometheus.Desc{s.desc.genSaturated, s.desc.genCPU, s.desc.genLimit, s.desc.genRunDelay,
			s.desc.genThrottled, s.desc.genRSS} {
			ch <- d
		}
	}
}

// Collect sends the totals as they are now. The histograms are built from
// the running HDR histograms (hdrHistogram).
func (s *Sink) Collect(ch chan<- prometheus.Metric) {
	var statuses []analysis.Status
	if s.opts.Statuses != nil {
		statuses = s.opts.Statuses() // before the lock: the judge has its own
	}
	if s.opts.Generator != nil {
		s.collectGenerator(ch)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for i, n := range s.status {
		if i != otherClass || n > 0 {
			counter(s.desc.requests, n, classNames[i])
		}
	}
	for _, c := range engine.ErrorClasses() {
		counter(s.desc.errors, s.errors[c], c.String())
	}
	for name, v := range s.versions {
		counter(s.desc.versionRequests, v.requests, name)
		counter(s.desc.versionFailed, v.failed, name)
	}
	for _, h := range []struct {
		d *prometheus.Desc
		h *hdrhistogram.Histogram
	}{{s.desc.latency, s.latency}, {s.desc.service, s.service}} {
		m, err := hdrHistogram(h.d, h.h, s.created)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(h.d, err)
			continue
		}
		ch <- m
	}
	gauge(s.desc.inFlight, float64(s.inFlight))
	counter(s.desc.dropped, s.dropped)
	counter(s.desc.late, s.late)
	for i, l := range s.labels {
		ok := 1.0
		if i < len(statuses) && !statuses[i].OK {
			ok = 0
		}
		gauge(s.desc.thresh, ok, l)
	}
	for name := range s.steps {
		gauge(s.desc.step, 1, strings.ToValidUTF8(name, "?"))
	}
}

// collectGenerator sends the generator probes' series, once they sampled
// a second.
func (s *Sink) collectGenerator(ch chan<- prometheus.Metric) {
	smp, sat := s.opts.Generator()
	if smp.At.IsZero() {
		return
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	saturated := 0.0
	if sat.Saturated {
		saturated = 1
	}
	gauge(s.desc.genSaturated, saturated)
	if smp.CPU.Available {
		gauge(s.desc.genCPU, smp.CPU.Cores)
		gauge(s.desc.genLimit, smp.CPU.Limit)
	}
	if smp.RunQueue.Available {
		gauge(s.desc.genRunDelay, smp.RunQueue.DelayPerSecond/1000)
	}
	if smp.Cgroup.Available && smp.Cgroup.Periods > 0 {
		gauge(s.desc.genThrottled, smp.Cgroup.ThrottledShare)
	}
	if smp.Memory.Available && smp.Memory.RSS > 0 {
		gauge(s.desc.genRSS, float64(smp.Memory.RSS))
	}
}
