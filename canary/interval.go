package canary

import (
	"fmt"
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/scalelab/scalelab/engine"
)

// Outcome is an interval's outcome.
type Outcome string

// An interval's outcomes.
const (
	// Pass: the canary is no worse than the baseline beyond the tolerances.
	Pass Outcome = "pass"
	// Fail: the canary fails more or is slower, significantly and beyond
	// the tolerances.
	Fail Outcome = "fail"
	// Inconclusive: too few requests in either version to judge.
	Inconclusive Outcome = "inconclusive"
)

// Metrics an interval's outcome can name (IntervalResult.Metric).
const (
	MetricRequests = "requests" // too few: inconclusive
	MetricErrors   = "errors"   // the failure proportion
	MetricP50      = "p50"      // the latency's median
	MetricP99      = "p99"      // the latency's 99th percentile
)

// Sample is what one version answered over an interval.
type Sample struct {
	// Version is the version's name.
	Version string
	// Requests counts its requests, Failed those that failed (transport
	// errors and 5xx answers).
	Requests, Failed uint64
	// Latency is their latency histogram in microseconds, of
	// engine.NewHistogram's geometry; nil before any request with one.
	Latency *hdrhistogram.Histogram
}

// Add adds a version's stats from one snapshot (nil adds nothing). The
// histogram is merged into the sample's own, never shared.
func (s *Sample) Add(vs *engine.VersionStats) {
	if vs == nil {
		return
	}
	s.Requests += vs.Requests
	s.Failed += vs.Failed
	if vs.Latency != nil && vs.Latency.TotalCount() > 0 {
		if s.Latency == nil {
			s.Latency = engine.NewHistogram()
		}
		s.Latency.Merge(vs.Latency)
	}
}

// SampleOf merges what version answered in each of snaps (engine
// snapshots split by version, ByVersion) into a sample.
func SampleOf(version string, snaps []*engine.Snapshot) Sample {
	s := Sample{Version: version}
	for _, snap := range snaps {
		if snap != nil {
			s.Add(snap.ByVersion[version])
		}
	}
	return s
}

// Figures are one version's figures over an interval (or several).
type Figures struct {
	Version  string `json:"version"`
	Requests uint64 `json:"requests"`
	Failed   uint64 `json:"failed"`
	// ErrorRate is Failed over Requests (0 without requests).
	ErrorRate float64 `json:"error_rate"`
	// P50 and P99 are the latency's percentiles in milliseconds (0 without
	// requests).
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
}

// IntervalResult is an interval's outcome with every figure it was judged
// on.
type IntervalResult struct {
	Outcome Outcome `json:"outcome"`
	// Metric names what decided the outcome: MetricRequests when
	// inconclusive, MetricErrors, MetricP50 or MetricP99 when failed;
	// empty when passed.
	Metric string `json:"metric,omitempty"`
	// Reason is the outcome in one line, with its figures.
	Reason string `json:"reason"`
	// Baseline and Canary are the two versions' figures.
	Baseline Figures `json:"baseline"`
	Canary   Figures `json:"canary"`
	// P50Ratio and P99Ratio are the canary's percentile over the
	// baseline's (a percentile of 0 µs counts as 1 µs, the histograms'
	// resolution); 0 when either version has no latency.
	P50Ratio float64 `json:"p50_ratio"`
	P99Ratio float64 `json:"p99_ratio"`
	// Latency is the U test of the canary's latency against the
	// baseline's; Tail the test of their shares slower than the
	// baseline's p99 (TailTest); Errors the test of their failure
	// proportions.
	Latency UTest    `json:"latency"`
	Tail    PropTest `json:"tail"`
	Errors  PropTest `json:"errors"`

	// base and can are the two latency histograms' buckets in use, for
	// Decide's figures over several intervals.
	base, can []cell
}

// cell is a histogram bucket in use: its index in engine.NewHistogram's
// geometry and its count.
type cell struct {
	i int32
	n int64
}

// Judge judges one interval: the canary's sample against the baseline's.
// It is inconclusive when either has fewer than cfg.MinSamples requests;
// it fails when the canary's failure proportion exceeds the baseline's by
// more than cfg.MaxIncrease at significance cfg.Alpha, or when its latency
// is significantly slower (the one-sided U test) and its p99 (else p50) is
// more than cfg.MaxRatio times the baseline's and more than cfg.DeadBand
// above it; otherwise it passes. Every figure is computed in every case.
// The samples are only read.
func Judge(cfg Config, baseline, canary Sample) IntervalResult {
	var r IntervalResult
	bc, cc := countsOf(baseline.Latency), countsOf(canary.Latency)
	r.base, r.can = cells(bc), cells(cc)
	fill(&r, cfg, side{baseline.Version, baseline.Requests, baseline.Failed, baseline.Latency, bc},
		side{canary.Version, canary.Requests, canary.Failed, canary.Latency, cc})
	r.Outcome, r.Metric, r.Reason = outcome(cfg, &r)
	return r
}

// side is one version's measurements: counts, latency histogram (nil or
// empty without) and its bucket counts in engine geometry (countsOf).
type side struct {
	name             string
	requests, failed uint64
	latency          *hdrhistogram.Histogram
	counts           []int64
}

// cells lists the buckets in use of counts.
func cells(counts []int64) []cell {
	var n int
	for _, c := range counts {
		if c > 0 {
			n++
		}
	}
	out := make([]cell, 0, n)
	for i, c := range counts {
		if c > 0 {
			out = append(out, cell{int32(i), c})
		}
	}
	return out
}

// fill computes r's figures and tests.
func fill(r *IntervalResult, cfg Config, b, c side) {
	r.Errors = ErrorIncrease(b.failed, b.requests, c.failed, c.requests, cfg.MaxIncrease)
	r.Latency = uTest(b.counts, c.counts)
	r.Tail = tailTest(b.counts, c.counts)
	bp, cp := percentiles(b.latency), percentiles(c.latency)
	r.Baseline = Figures{Version: b.name, Requests: b.requests, Failed: b.failed, ErrorRate: r.Errors.BaselineRate,
		P50: ms(bp[0]), P99: ms(bp[1])}
	r.Canary = Figures{Version: c.name, Requests: c.requests, Failed: c.failed, ErrorRate: r.Errors.CanaryRate,
		P50: ms(cp[0]), P99: ms(cp[1])}
	if r.Latency.N1 > 0 && r.Latency.N2 > 0 {
		r.P50Ratio, r.P99Ratio = ratio(cp[0], bp[0]), ratio(cp[1], bp[1])
	}
}

// percentiles is h's p50 and p99 in microseconds (0 when empty), as
// engine.PercentilesOf reads them.
func percentiles(h *hdrhistogram.Histogram) [2]int64 {
	if h == nil || h.TotalCount() == 0 {
		return [2]int64{}
	}
	return [2]int64{h.ValueAtQuantile(50), h.ValueAtQuantile(99)}
}

// ratio is a/b for latencies in microseconds, each at least 1 µs.
func ratio(a, b int64) float64 { return float64(max(a, 1)) / float64(max(b, 1)) }

// ms is a latency in microseconds in milliseconds, to the microsecond.
func ms(us int64) float64 { return float64(us) / 1000 }

// outcome decides an interval from its figures.
func outcome(cfg Config, r *IntervalResult) (Outcome, string, string) {
	b, c := r.Baseline, r.Canary
	if b.Requests < cfg.MinSamples || c.Requests < cfg.MinSamples {
		return Inconclusive, MetricRequests, fmt.Sprintf("%s %d requests, %s %d: fewer than %d (min_samples)",
			c.Version, c.Requests, b.Version, b.Requests, cfg.MinSamples)
	}
	if r.Errors.P < cfg.Alpha && r.Errors.Increase > cfg.MaxIncrease {
		return Fail, MetricErrors, errorsLine(r) + fmt.Sprintf(" (+%s pp > %s pp, %s)",
			pp(r.Errors.Increase), pp(cfg.MaxIncrease), pValue("p", r.Errors.P))
	}
	metric := latencyMetric(cfg, r)
	if test, p := latencyTest(r, metric, cfg.Alpha); metric != "" && p < cfg.Alpha {
		return Fail, metric, latencyLine(r, metric) + fmt.Sprintf(" (%s > %s, %s %s)",
			times(ratioOf(r, metric)), times(cfg.MaxRatio), test, pValue("p", p))
	}
	detail := times(r.P99Ratio)
	switch {
	case metric != "": // beyond the floors, but not significant
		test, p := latencyTest(r, metric, cfg.Alpha)
		detail += fmt.Sprintf(", %s %s", test, pValue("p", p))
	case r.Latency.PSlower < cfg.Alpha: // significant, but within the floors
		detail += fmt.Sprintf(" within %s, U-test %s", times(cfg.MaxRatio), pValue("p", r.Latency.PSlower))
	}
	return Pass, "", fmt.Sprintf("%s (%s), %s", latencyLine(r, MetricP99), detail, errorRates(r))
}

// latencyTest is the test that judges metric's slowdown and its
// p-value: the U test for the median (and the whole distribution); for
// p99 the U test too when significant at alpha, else the tail test when
// more significant (a slow tail moves few ranks: the U test misses it).
func latencyTest(r *IntervalResult, metric string, alpha float64) (string, float64) {
	if metric == MetricP99 && r.Latency.PSlower >= alpha && r.Tail.P < r.Latency.PSlower {
		return "tail test", r.Tail.P
	}
	return "U-test", r.Latency.PSlower
}

// tailTest is the one-sided test that a larger share of the canary's
// requests is slower than the baseline's p99 than of the baseline's own
// (about 1%): both counted above the bucket that holds the baseline's
// p99, in the histograms' common geometry, and compared as two
// proportions (ErrorIncrease, no tolerance). A canary whose slowest
// requests got slower, its median unchanged, fails it; P is 1 without
// requests on either side.
func tailTest(base, can []int64) PropTest {
	var nb, nc int64
	for _, n := range base {
		nb += n
	}
	for _, n := range can {
		nc += n
	}
	if nb == 0 || nc == 0 {
		return PropTest{P: 1}
	}
	rank := int64(math.Ceil(0.99 * float64(nb)))
	k, seen := 0, int64(0)
	for i, n := range base {
		if seen += n; seen >= rank {
			k = i
			break
		}
	}
	var be, ce int64
	for i := k + 1; i < len(base); i++ {
		be += base[i]
	}
	for i := k + 1; i < len(can); i++ {
		ce += can[i]
	}
	return ErrorIncrease(uint64(be), uint64(nb), uint64(ce), uint64(nc), 0)
}

// latencyMetric is the percentile whose ratio and difference exceed the
// configuration's floors, p99 first; empty when neither does.
func latencyMetric(cfg Config, r *IntervalResult) string {
	band := float64(cfg.DeadBand) / float64(time.Millisecond)
	if r.P99Ratio > cfg.MaxRatio && r.Canary.P99-r.Baseline.P99 > band {
		return MetricP99
	}
	if r.P50Ratio > cfg.MaxRatio && r.Canary.P50-r.Baseline.P50 > band {
		return MetricP50
	}
	return ""
}

// ratioOf is r's ratio of metric (MetricP50 or MetricP99).
func ratioOf(r *IntervalResult, metric string) float64 {
	if metric == MetricP50 {
		return r.P50Ratio
	}
	return r.P99Ratio
}

// latencyLine is "v2 p99 38.2 ms vs v1 12.1 ms" for metric.
func latencyLine(r *IntervalResult, metric string) string {
	c, b := r.Canary.P99, r.Baseline.P99
	if metric == MetricP50 {
		c, b = r.Canary.P50, r.Baseline.P50
	}
	return fmt.Sprintf("%s %s %s ms vs %s %s ms", r.Canary.Version, metric, millis(c), r.Baseline.Version, millis(b))
}

// errorsLine is "v2 errors 30.1% vs v1 0.10%".
func errorsLine(r *IntervalResult) string {
	return fmt.Sprintf("%s errors %s vs %s %s", r.Canary.Version, percent(r.Canary.ErrorRate),
		r.Baseline.Version, percent(r.Baseline.ErrorRate))
}

// errorRates is "errors 0.10% vs 0.12%", canary first.
func errorRates(r *IntervalResult) string {
	return fmt.Sprintf("errors %s vs %s", percent(r.Canary.ErrorRate), percent(r.Baseline.ErrorRate))
}
