package promexport

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// NativeSchema is the native histograms' schema: buckets grow by a factor
// of 2^(1/8) ≈ 1.09, what client_golang picks for a
// NativeHistogramBucketFactor of 1.1.
const NativeSchema = 3

// ZeroThreshold is the native histograms' zero bucket's width:
// client_golang's default (only a 0 µs request lands there).
const ZeroThreshold = prometheus.DefNativeHistogramZeroThreshold

// Buckets are the classic buckets' upper bounds in seconds, for latency
// and service time alike: 0.5 ms to a minute.
var Buckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// nativeBounds are the fractions (in [0.5, 1)) that split a power of two
// into the schema's buckets, as client_golang's table has them.
var nativeBounds = func() []float64 {
	b := make([]float64, 1<<NativeSchema)
	for j := range b {
		b[j] = math.Exp2(float64(j)/float64(len(b))) / 2
	}
	return b
}()

// nativeKey is the index of the native bucket holding v > 0 (seconds):
// bucket i holds (2^((i-1)/8), 2^(i/8)], as client_golang's Observe
// computes it.
func nativeKey(v float64) int {
	frac, exp := math.Frexp(v)
	return sort.SearchFloat64s(nativeBounds, frac) + (exp-1)*len(nativeBounds)
}

// hdrHistogram is the Prometheus histogram of h, an HDR histogram of
// microseconds, in seconds: classic buckets (Buckets) and a native
// histogram (NativeSchema) in one metric, as a client_golang histogram
// with both Buckets and NativeHistogramBucketFactor exposes them. It is
// built from h's buckets at once, not by observing each request: each HDR
// bucket's count goes whole into the classic and the native bucket of its
// highest equivalent value (the value the HDR percentiles report), so a
// request is never counted faster than it was; the classic buckets are
// exact below 2.048 ms (where the HDR resolution is 1 µs) and within its
// 0.1% elsewhere. The sum is the sum of those values (HDR keeps no exact
// sum). created is the series' creation time (the session's start).
func hdrHistogram(desc *prometheus.Desc, h *hdrhistogram.Histogram, created time.Time) (prometheus.Metric, error) {
	perBucket := make([]uint64, len(Buckets))
	native := map[int]int64{}
	var zero, count uint64
	var sum float64
	if h != nil && h.TotalCount() > 0 {
		for _, bar := range h.Distribution() {
			if bar.Count <= 0 {
				continue
			}
			v, n := float64(bar.To)/1e6, uint64(bar.Count)
			count += n
			sum += v * float64(n)
			if i := sort.SearchFloat64s(Buckets, v); i < len(Buckets) {
				perBucket[i] += n
			}
			if v <= ZeroThreshold {
				zero += n
			} else {
				native[nativeKey(v)] += int64(n)
			}
		}
	}
	cumulative := make(map[float64]uint64, len(Buckets))
	var acc uint64
	for i, b := range Buckets {
		acc += perBucket[i]
		cumulative[b] = acc
	}
	classic, err := prometheus.NewConstHistogramWithCreatedTimestamp(desc, count, sum, cumulative, created)
	if err != nil {
		return nil, fmt.Errorf("classic histogram: %w", err)
	}
	nat, err := prometheus.NewConstNativeHistogram(desc, count, sum, native, nil, zero, NativeSchema, ZeroThreshold, created)
	if err != nil {
		return nil, fmt.Errorf("native histogram: %w", err)
	}
	return dualHistogram{native: nat, classic: classic}, nil
}

// dualHistogram is one histogram metric with both classic buckets and
// native ones: client_golang has const metrics of each kind, not of both,
// so it writes the native one and adds the classic one's buckets.
type dualHistogram struct{ native, classic prometheus.Metric }

func (d dualHistogram) Desc() *prometheus.Desc { return d.native.Desc() }

func (d dualHistogram) Write(m *dto.Metric) error {
	if err := d.native.Write(m); err != nil {
		return err
	}
	var c dto.Metric
	if err := d.classic.Write(&c); err != nil {
		return err
	}
	m.Histogram.Bucket = c.Histogram.Bucket
	return nil
}
