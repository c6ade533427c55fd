package promexport

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/session"
)

// tick is a snapshot with known counts.
func tick(status map[int]uint64, errs map[engine.ErrorClass]uint64, versions map[string]engine.VersionStats,
	inFlight int64, dropped, late uint64, latencyUs ...int64) session.Tick {
	s := engine.NewSnapshot()
	for code, n := range status {
		s.Status[code] = n
		s.Requests += n
	}
	for c, n := range errs {
		s.Errors[c] = n
		s.Requests += n
	}
	if versions != nil {
		s.ByVersion = map[string]*engine.VersionStats{}
		for name, v := range versions {
			s.ByVersion[name] = &v
		}
	}
	s.InFlight, s.Dropped, s.Late = inFlight, dropped, late
	for _, v := range latencyUs {
		_ = s.Latency.RecordValue(v)
		_ = s.Service.RecordValue(v / 2)
	}
	return session.Tick{Snapshot: s}
}

func TestCountersAndGauges(t *testing.T) {
	ths := []analysis.Threshold{mustThreshold(t, "latency", "p(99) < 200"), mustThreshold(t, "errors", "rate < 0.01"),
		mustThreshold(t, "latency", "p(99) < 200")}
	var statuses []analysis.Status
	s := New(Options{Thresholds: ths, Statuses: func() []analysis.Status { return statuses }})
	if err := s.Open(session.Info{Start: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s.Tick(tick(map[int]uint64{200: 90, 204: 5, 302: 1, 404: 2, 503: 3, 100: 1},
		map[engine.ErrorClass]uint64{engine.ErrTimeout: 4, engine.ErrRefused: 1},
		map[string]engine.VersionStats{"v1": {Requests: 100, Failed: 6}, engine.UnknownVersion: {Requests: 7, Failed: 2}},
		12, 3, 8, 100))
	s.Tick(tick(map[int]uint64{200: 10, 500: 2}, map[engine.ErrorClass]uint64{engine.ErrTimeout: 1},
		map[string]engine.VersionStats{"v1": {Requests: 5}, "v2": {Requests: 8, Failed: 3}}, 7, 1, 2, 100))
	// Before any status, every threshold holds; then the second fails.
	want := func(th1, th2, th3 int) string {
		return `
# HELP scalelab_threshold_passing 1 while the threshold holds, 0 while it fails.
# TYPE scalelab_threshold_passing gauge
scalelab_threshold_passing{threshold="latency p(99) < 200"} ` + itoa(th1) + `
scalelab_threshold_passing{threshold="errors rate < 0.01"} ` + itoa(th2) + `
scalelab_threshold_passing{threshold="latency p(99) < 200 (2)"} ` + itoa(th3) + `
`
	}
	if err := testutil.CollectAndCompare(s, strings.NewReader(want(1, 1, 1)), "scalelab_threshold_passing"); err != nil {
		t.Error(err)
	}
	statuses = []analysis.Status{{OK: true}, {OK: false}, {OK: true}}
	if err := testutil.CollectAndCompare(s, strings.NewReader(want(1, 0, 1)), "scalelab_threshold_passing"); err != nil {
		t.Error(err)
	}

	s.Event(stepEvent("started", "kill one", "kill"))
	s.Event(stepEvent("started", "slow", "latency"))
	s.Event(stepEvent("completed", "kill one", "kill"))
	s.Event(stepEvent("completed", "slow", "latency")) // a lasting fault: runs until its effect ends

	expected := `
# HELP scalelab_requests_total Requests answered, by status class (2xx, 3xx, 4xx, 5xx, other).
# TYPE scalelab_requests_total counter
scalelab_requests_total{status_class="2xx"} 105
scalelab_requests_total{status_class="3xx"} 1
scalelab_requests_total{status_class="4xx"} 2
scalelab_requests_total{status_class="5xx"} 5
scalelab_requests_total{status_class="other"} 1
# HELP scalelab_request_errors_total Requests that ended without an answer, by error class.
# TYPE scalelab_request_errors_total counter
` + errorLines(map[engine.ErrorClass]int{engine.ErrTimeout: 5, engine.ErrRefused: 1}) + `
# HELP scalelab_version_requests_total Requests by the version of the service that answered (unknown: without a version).
# TYPE scalelab_version_requests_total counter
scalelab_version_requests_total{version="unknown"} 7
scalelab_version_requests_total{version="v1"} 105
scalelab_version_requests_total{version="v2"} 8
# HELP scalelab_version_failed_requests_total Failed requests (transport errors and 5xx) by version.
# TYPE scalelab_version_failed_requests_total counter
scalelab_version_failed_requests_total{version="unknown"} 2
scalelab_version_failed_requests_total{version="v1"} 6
scalelab_version_failed_requests_total{version="v2"} 3
# HELP scalelab_requests_in_flight Requests outstanding at the latest tick's end.
# TYPE scalelab_requests_in_flight gauge
scalelab_requests_in_flight 7
# HELP scalelab_sends_dropped_total Open-loop sends due that were never made.
# TYPE scalelab_sends_dropped_total counter
scalelab_sends_dropped_total 4
# HELP scalelab_sends_late_total Open-loop sends made over 1 ms behind schedule.
# TYPE scalelab_sends_late_total counter
scalelab_sends_late_total 10
# HELP scalelab_step_info 1 for each step in progress.
# TYPE scalelab_step_info gauge
scalelab_step_info{step="slow"} 1
`
	if err := testutil.CollectAndCompare(s, strings.NewReader(expected),
		"scalelab_requests_total", "scalelab_request_errors_total", "scalelab_version_requests_total",
		"scalelab_version_failed_requests_total", "scalelab_requests_in_flight", "scalelab_sends_dropped_total",
		"scalelab_sends_late_total", "scalelab_step_info"); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(onlyStep(s)); got != 1 {
		t.Errorf("step_info = %v, want 1", got)
	}

	// The fault's effect ends: no step is in progress, no series left.
	s.Event(stepEvent("effect-ended", "slow", "latency"))
	if n := testutil.CollectAndCount(s, "scalelab_step_info"); n != 0 {
		t.Errorf("%d step_info series after every step ended, want 0", n)
	}
	if err := lint(s); err != nil {
		t.Error(err)
	}
}

// onlyStep is the step_info series alone, as a collector.
func onlyStep(s *Sink) prometheus.Collector {
	return collectorFunc(func(ch chan<- prometheus.Metric) {
		all := make(chan prometheus.Metric, 100)
		s.Collect(all)
		close(all)
		for m := range all {
			if m.Desc() == s.desc.step {
				ch <- m
			}
		}
	})
}

type collectorFunc func(chan<- prometheus.Metric)

func (f collectorFunc) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(f, ch) }
func (f collectorFunc) Collect(ch chan<- prometheus.Metric) { f(ch) }

func lint(c prometheus.Collector) error {
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return &lintError{problems}
	}
	return nil
}

type lintError struct{ p []promlint.Problem }

func (l *lintError) Error() string {
	var b strings.Builder
	for _, p := range l.p {
		b.WriteString(p.Metric + ": " + p.Text + "; ")
	}
	return "lint: " + b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

// errorLines are the error counter's lines: every class, those in n with
// their count, the others at 0.
func errorLines(n map[engine.ErrorClass]int) string {
	var lines []string
	for _, c := range engine.ErrorClasses() {
		lines = append(lines, `scalelab_request_errors_total{error_class="`+c.String()+`"} `+itoa(n[c]))
	}
	return strings.Join(lines, "\n")
}

func stepEvent(kind, name, action string) session.Event {
	return session.Event{Time: time.Now(), Source: session.FromStep, Kind: kind,
		Step: &experiments.Result{Name: name, Action: action}}
}

func mustThreshold(t *testing.T, metric, expr string) analysis.Threshold {
	t.Helper()
	th, err := analysis.ParseThreshold(metric, expr)
	if err != nil {
		t.Fatalf("threshold %s %s: %v", metric, expr, err)
	}
	return th
}

// TestVersionsBounded: over a run, at most engine.MaxVersions versions
// are counted by name; the requests of further ones count under other.
func TestVersionsBounded(t *testing.T) {
	s := New(Options{})
	for i := range engine.MaxVersions + 4 {
		s.Tick(tick(map[int]uint64{200: 1}, nil, map[string]engine.VersionStats{"v" + itoa(i): {Requests: 1},
			engine.UnknownVersion: {Requests: 2}}, 0, 0, 0))
	}
	if n := testutil.CollectAndCount(s, "scalelab_version_requests_total"); n != engine.MaxVersions+2 {
		t.Errorf("%d version series, want %d named, unknown and other", n, engine.MaxVersions)
	}
	for name, n := range map[string]float64{engine.OtherVersion: 4, engine.UnknownVersion: 2 * float64(engine.MaxVersions+4), "v0": 1} {
		got := versionRequests(t, s, name)
		if got != n {
			t.Errorf("version %s: %v requests, want %v", name, got, n)
		}
	}
}

// versionRequests is the version's requests counter.
func versionRequests(t *testing.T, s *Sink, name string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "scalelab_version_requests_total" {
			continue
		}
		for _, m := range mf.Metric {
			if m.Label[0].GetValue() == name {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

// TestHistogramsMatchClientGolang: the latency and service-time series,
// built from the HDR buckets at scrape time, are what a client_golang
// histogram with the same classic buckets and a native bucket factor of
// 1.1 shows after observing each request at its HDR value (the highest
// value equivalent to it): same classic buckets, same native schema, zero
// bucket, spans and deltas, same count, the same sum to rounding.
func TestHistogramsMatchClientGolang(t *testing.T) {
	values := []int64{0, 100, 100, 100, 1500, 1500, 2000, 20000, 20001, 250000, 3000000, 59000000, 3599000000}
	s := New(Options{})
	half := len(values) / 2
	s.Tick(tick(map[int]uint64{200: uint64(half)}, nil, nil, 0, 0, 0, values[:half]...))
	s.Tick(tick(map[int]uint64{200: uint64(len(values) - half)}, nil, nil, 0, 0, 0, values[half:]...))

	for _, c := range []struct {
		name   string
		divide int64
	}{{"scalelab_request_latency_seconds", 1}, {"scalelab_request_service_time_seconds", 2}} {
		ref := prometheus.NewHistogram(prometheus.HistogramOpts{Name: c.name, Buckets: Buckets,
			NativeHistogramBucketFactor: 1.1, NativeHistogramMaxBucketNumber: 0})
		for _, v := range values {
			ref.Observe(float64(hdrValue(v/c.divide)) / 1e6)
		}
		var want dto.Metric
		if err := ref.Write(&want); err != nil {
			t.Fatal(err)
		}
		got := metricNamed(t, s, c.name)
		wh, gh := want.GetHistogram(), got.GetHistogram()
		if gh.GetSampleCount() != uint64(len(values)) || gh.GetSampleCount() != wh.GetSampleCount() {
			t.Errorf("%s: count %d, want %d", c.name, gh.GetSampleCount(), len(values))
		}
		if d := math.Abs(gh.GetSampleSum() - wh.GetSampleSum()); d > 1e-9*wh.GetSampleSum() {
			t.Errorf("%s: sum %v, want %v", c.name, gh.GetSampleSum(), wh.GetSampleSum())
		}
		if len(gh.Bucket) != len(Buckets) {
			t.Fatalf("%s: %d classic buckets, want %d", c.name, len(gh.Bucket), len(Buckets))
		}
		for i, b := range gh.Bucket {
			if b.GetUpperBound() != wh.Bucket[i].GetUpperBound() || b.GetCumulativeCount() != wh.Bucket[i].GetCumulativeCount() {
				t.Errorf("%s: bucket le=%v: %d, want le=%v: %d", c.name, b.GetUpperBound(), b.GetCumulativeCount(),
					wh.Bucket[i].GetUpperBound(), wh.Bucket[i].GetCumulativeCount())
			}
		}
		if gh.GetSchema() != wh.GetSchema() || gh.GetZeroThreshold() != wh.GetZeroThreshold() || gh.GetZeroCount() != wh.GetZeroCount() {
			t.Errorf("%s: schema %d zero %v/%d, want %d %v/%d", c.name, gh.GetSchema(), gh.GetZeroThreshold(), gh.GetZeroCount(),
				wh.GetSchema(), wh.GetZeroThreshold(), wh.GetZeroCount())
		}
		if spans(gh.PositiveSpan) != spans(wh.PositiveSpan) || !equalInts(gh.PositiveDelta, wh.PositiveDelta) {
			t.Errorf("%s: native buckets %s %v, want %s %v", c.name, spans(gh.PositiveSpan), gh.PositiveDelta,
				spans(wh.PositiveSpan), wh.PositiveDelta)
		}
	}
	// The explicit figures of the classic buckets: 0 and the three 100 µs
	// under 0.5 ms, 1.5 ms twice and 2 ms under 2.5 ms, 20 ms (as
	// 20.015 ms) under 25 ms, 250 ms, 3 s, 59 s, and 3599 s only in +Inf.
	got := metricNamed(t, s, "scalelab_request_latency_seconds").GetHistogram()
	wantCum := map[float64]uint64{0.0005: 4, 0.001: 4, 0.0025: 7, 0.005: 7, 0.01: 7, 0.025: 9, 0.05: 9, 0.1: 9,
		0.25: 9, 0.5: 10, 1: 10, 2.5: 10, 5: 11, 10: 11, 30: 11, 60: 12}
	for _, b := range got.Bucket {
		if b.GetCumulativeCount() != wantCum[b.GetUpperBound()] {
			t.Errorf("latency le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), wantCum[b.GetUpperBound()])
		}
	}
	if err := lint(s); err != nil {
		t.Error(err)
	}
}

// hdrValue is the value the engine's HDR histogram reports for a request
// of v µs: the highest equivalent to it.
func hdrValue(v int64) int64 {
	h := engine.NewHistogram()
	_ = h.RecordValue(v)
	return h.ValueAtQuantile(100)
}

func metricNamed(t *testing.T, c prometheus.Collector, name string) *dto.Metric {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.Metric) == 1 {
			return mf.Metric[0]
		}
	}
	t.Fatalf("no single series %s", name)
	return nil
}

func spans(ss []*dto.BucketSpan) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString("[" + itoa(int(s.GetOffset())) + "+" + itoa(int(s.GetLength())) + "]")
	}
	return b.String()
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkTickAndScrape is a tick of a million requests spread over the
// latency range, then a scrape: the tick's cost is its histograms'
// merge, whatever the rate.
func BenchmarkTickAndScrape(b *testing.B) {
	k := tick(map[int]uint64{200: 1_000_000}, nil, nil, 0, 0, 0)
	for i := range int64(1_000_000) {
		_ = k.Snapshot.Latency.RecordValue(50 + i%2_000_000)
		_ = k.Snapshot.Service.RecordValue(40 + i%1_000_000)
	}
	s := New(Options{})
	b.Run("tick", func(b *testing.B) {
		for b.Loop() {
			s.Tick(k)
		}
	})
	b.Run("scrape", func(b *testing.B) {
		for b.Loop() {
			if _, err := testutil.GatherAndCount(gatherer(s)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func gatherer(c prometheus.Collector) prometheus.Gatherer {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	return reg
}
