package canary

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// sample is a version's sample of values (µs), failed of them failing.
func sample(t testing.TB, version string, values []int64, failed uint64) Sample {
	return Sample{Version: version, Requests: uint64(len(values)), Failed: failed, Latency: hist(t, values)}
}

// scaled is values times f.
func scaled(values []int64, f float64) []int64 {
	out := make([]int64, len(values))
	for i, v := range values {
		out[i] = int64(float64(v) * f)
	}
	return out
}

func TestJudge(t *testing.T) {
	cfg := DefaultConfig()
	base := span(10_000, 10_999) // 1000 requests, 10..11 ms
	tail := append(span(10_000, 10_979), scaled(span(10_980, 10_999), 4)...)
	for _, tc := range []struct {
		name          string
		base, can     Sample
		outcome       Outcome
		metric        string
		reason        string
		p50r, p99r    float64
		slower, errsP bool // the U test's and the proportions' significance
	}{
		{name: "alike", base: sample(t, "v1", base, 1), can: sample(t, "v2", base, 1), outcome: Pass,
			reason: "v2 p99 11.0 ms vs v1 11.0 ms (1.00×), errors 0.10% vs 0.10%", p50r: 1, p99r: 1},
		{name: "3× slower", base: sample(t, "v1", base, 0), can: sample(t, "v2", scaled(base, 3), 0), outcome: Fail,
			metric: MetricP99, reason: "v2 p99 33.0 ms vs v1 11.0 ms (3.0× > 1.20×, U-test p < 0.001)", p50r: 3, p99r: 3, slower: true},
		// Significant but 5% slower: within max_ratio, a pass that says so.
		{name: "significant but tiny", base: sample(t, "v1", base, 0), can: sample(t, "v2", scaled(base, 1.05), 0), outcome: Pass,
			reason: "v2 p99 11.5 ms vs v1 11.0 ms (1.05× within 1.20×, U-test p < 0.001), errors 0.00% vs 0.00%",
			p50r:   1.05, p99r: 1.05, slower: true},
		// The median 1.5× slower but 0.6 ms: inside the dead band of 1 ms.
		{name: "dead band", base: sample(t, "v1", span(1000, 1399), 0), can: sample(t, "v2", scaled(span(1000, 1399), 1.5), 0),
			outcome: Pass, reason: "v2 p99 2.09 ms vs v1 1.40 ms (1.50× within 1.20×, U-test p < 0.001), errors 0.00% vs 0.00%",
			p50r: 1.5, p99r: 1.5, slower: true},
		// The slowest 2% four times slower: their ranks do not move, so the U
		// test sees nothing (p = 0.494); the tail test sees 2% of v2 above
		// the bucket of v1's p99 against v1's own 0.8%, and fails it.
		{name: "tail only", base: sample(t, "v1", base, 0), can: sample(t, "v2", tail, 0), outcome: Fail, metric: MetricP99,
			reason: "v2 p99 44.0 ms vs v1 11.0 ms (4.0× > 1.20×, tail test p = 0.011)", p50r: 1, p99r: 4},
		// A slow tail of 4 in 300 (1.3% against v1's 0.8%) is no evidence:
		// beyond the floors but not significant, a pass that says so.
		{name: "tail only, few", base: sample(t, "v1", base, 0), can: sample(t, "v2", append(span(10_000, 10_295), 43_000, 43_000, 43_000, 43_100), 0),
			outcome: Pass, reason: "v2 p99 43.0 ms vs v1 11.0 ms (3.9×, tail test p = 0.198), errors 0.00% vs 0.00%", p50r: 0.97, p99r: 3.91},
		{name: "30% errors", base: sample(t, "v1", base, 1), can: sample(t, "v2", base, 300), outcome: Fail, metric: MetricErrors,
			reason: "v2 errors 30.0% vs v1 0.10% (+29.9 pp > 0.5 pp, p < 0.001)", p50r: 1, p99r: 1, errsP: true},
		// Errors checked before latency: both bad, errors named.
		{name: "errors and slow", base: sample(t, "v1", base, 0), can: sample(t, "v2", scaled(base, 3), 500), outcome: Fail,
			metric: MetricErrors, reason: "v2 errors 50.0% vs v1 0.00% (+50 pp > 0.5 pp, p < 0.001)", p50r: 3, p99r: 3,
			slower: true, errsP: true},
		{name: "faster canary", base: sample(t, "v1", base, 0), can: sample(t, "v2", scaled(base, 0.5), 0), outcome: Pass,
			reason: "v2 p99 5.50 ms vs v1 11.0 ms (0.50×), errors 0.00% vs 0.00%", p50r: 0.5, p99r: 0.5},
		// Sparse: never a pass, even with a perfect canary.
		{name: "sparse canary", base: sample(t, "v1", base, 0), can: sample(t, "v2", base[:50], 0), outcome: Inconclusive,
			metric: MetricRequests, reason: "v2 50 requests, v1 1000: fewer than 200 (min_samples)", p50r: 10024.0 / 10499, p99r: 10049.0 / 10989},
		{name: "no canary", base: sample(t, "v1", base, 0), can: Sample{Version: "v2"}, outcome: Inconclusive,
			metric: MetricRequests, reason: "v2 0 requests, v1 1000: fewer than 200 (min_samples)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Judge(cfg, tc.base, tc.can)
			if r.Outcome != tc.outcome || r.Metric != tc.metric || r.Reason != tc.reason {
				t.Errorf("%s %q: %s\nwant %s %q: %s", r.Outcome, r.Metric, r.Reason, tc.outcome, tc.metric, tc.reason)
			}
			if math.Abs(r.P50Ratio-tc.p50r) > 0.01 || math.Abs(r.P99Ratio-tc.p99r) > 0.01 {
				t.Errorf("ratios p50 %g p99 %g, want %g %g", r.P50Ratio, r.P99Ratio, tc.p50r, tc.p99r)
			}
			if (r.Latency.PSlower < cfg.Alpha) != tc.slower || (r.Errors.P < cfg.Alpha) != tc.errsP {
				t.Errorf("significance: latency p %g, errors p %g; want slower %v, errors %v", r.Latency.PSlower, r.Errors.P, tc.slower, tc.errsP)
			}
			if _, err := json.Marshal(r); err != nil {
				t.Errorf("the result does not marshal: %v", err)
			}
			if r.Baseline.Requests != tc.base.Requests || r.Canary.Requests != tc.can.Requests ||
				r.Baseline.Failed != tc.base.Failed || r.Canary.Failed != tc.can.Failed {
				t.Errorf("figures %+v %+v, want the samples' counts", r.Baseline, r.Canary)
			}
		})
	}
}

// TestJudgeFigures: the figures are the histograms' percentiles in ms,
// the error rates, U and both p-values, as the functions compute them.
func TestJudgeFigures(t *testing.T) {
	b, c := sample(t, "v1", span(1000, 1999), 10), sample(t, "v2", span(1500, 2499), 40)
	r := Judge(DefaultConfig(), b, c)
	want := MannWhitney(b.Latency, c.Latency)
	if r.Latency != want {
		t.Errorf("U test %+v, want %+v", r.Latency, want)
	}
	if pe := ErrorIncrease(10, 1000, 40, 1000, 0.005); r.Errors != pe {
		t.Errorf("errors %+v, want %+v", r.Errors, pe)
	}
	p := engine.PercentilesOf(b.Latency)
	if r.Baseline.P50 != p.P50 || r.Baseline.P99 != p.P99 || r.Baseline.ErrorRate != 0.01 || r.Canary.ErrorRate != 0.04 {
		t.Errorf("baseline %+v canary %+v; want p50 %g p99 %g, rates 1%% and 4%%", r.Baseline, r.Canary, p.P50, p.P99)
	}
	if r.Canary.Version != "v2" || r.Baseline.Version != "v1" {
		t.Errorf("versions %q, %q", r.Canary.Version, r.Baseline.Version)
	}
}

// TestSampleOf merges a version's stats from snapshots, histograms
// copied, never shared; other versions and nil entries are skipped.
func TestSampleOf(t *testing.T) {
	cfg := scenario{rps: 100, lat: func(int) int64 { return 2000 }}
	snaps := cfg.ticks(t, 0, 3, "v1")
	snaps = append(snaps, nil, engine.NewSnapshot())
	s := SampleOf("v1", snaps)
	if s.Version != "v1" || s.Requests != 300 || s.Latency.TotalCount() != 300 {
		t.Fatalf("sample %+v (latency %d), want v1 with 300 requests", s, s.Latency.TotalCount())
	}
	if s.Latency == snaps[0].ByVersion["v1"].Latency {
		t.Fatal("the sample shares a snapshot's histogram")
	}
	if none := SampleOf("v9", snaps); none.Requests != 0 || none.Latency != nil {
		t.Fatalf("a version absent: %+v", none)
	}
}

// scenario makes one version's ticks: rps requests a second, a fraction
// failed of them failing (500s), latency lat(i) µs for the i-th request.
type scenario struct {
	rps    int
	failed float64
	lat    func(i int) int64
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// ticks makes n one-second snapshots from second from, split by version
// as the engine splits them (ByVersion, with Latency recorded by
// RecordValue), each holding this scenario's requests under version.
func (sc scenario) ticks(t testing.TB, from, n int, version string) []*engine.Snapshot {
	t.Helper()
	var out []*engine.Snapshot
	for k := range n {
		s := engine.NewSnapshot()
		at := time.Duration(from+k) * time.Second
		s.Start, s.End = t0.Add(at), t0.Add(at+time.Second)
		vs := s.VersionEntry(version)
		vs.Latency = engine.NewHistogram()
		failed := int(math.Round(float64(sc.rps) * sc.failed))
		for i := range sc.rps {
			us := sc.lat((from+k)*sc.rps + i)
			if err := vs.Latency.RecordValue(us); err != nil {
				t.Fatal(err)
			}
			_ = s.Latency.RecordValue(us)
			if i < failed {
				s.Status[500]++
				vs.Failed++
			} else {
				s.Status[200]++
			}
		}
		vs.Requests = uint64(sc.rps)
		s.Requests = uint64(sc.rps)
		out = append(out, s)
	}
	return out
}

// merged is the per-second snapshots of two versions merged tick by tick,
// as one engine measuring both.
func merged(a, b []*engine.Snapshot) []*engine.Snapshot {
	out := make([]*engine.Snapshot, len(a))
	for i := range a {
		s := engine.NewSnapshot()
		s.Merge(a[i])
		s.Merge(b[i])
		out[i] = s
	}
	return out
}

// TestCanariesFromSnapshots judges real engine snapshots, interval by
// interval, and decides: a good canary is promoted, a slow one and an
// erroring one rolled back naming the metric, a sparse one inconclusive.
func TestCanariesFromSnapshots(t *testing.T) {
	cfg := DefaultConfig() // 6 intervals of 10 s
	// The baseline: 100 req/s, 10..14 ms and 1% at 40 ms, 1% failing.
	shape := func(i int) int64 {
		us := 10_000 + int64(i*7919%4000)
		if i%100 == 0 {
			us = 40_000
		}
		return us
	}
	other := func(i int) int64 { return shape(i + 12345) } // the same distribution, other draws
	baseline := scenario{rps: 100, failed: 0.01, lat: shape}
	for _, tc := range []struct {
		name     string
		canary   scenario
		action   Action
		judged   int
		outcomes []Outcome
		reason   string
	}{
		{"good", scenario{rps: 100, failed: 0.01, lat: other}, Promote, 6,
			[]Outcome{Pass, Pass, Pass, Pass, Pass, Pass},
			"v2 p99 14.0 ms vs v1 14.0 ms (1.00×), errors 1.00% vs 1.00% over 6 intervals: promote"},
		{"slow: 3× p99", scenario{rps: 100, failed: 0.01, lat: func(i int) int64 { return 3 * other(i) }}, Rollback, 1,
			[]Outcome{Fail}, "v2 p99 42.0 ms vs v1 14.0 ms (3.0×, U-test p < 0.001, in 1 of 1 interval): roll back"},
		{"erroring: 30% 500s", scenario{rps: 100, failed: 0.3, lat: other}, Rollback, 1,
			[]Outcome{Fail}, "v2 errors 30.0% vs v1 1.00% (+29 pp, p < 0.001, in 1 of 1 interval): roll back"},
		{"sparse: 5 req/s", scenario{rps: 5, lat: other}, InconclusiveDecision, 2,
			[]Outcome{Inconclusive, Inconclusive},
			"v2 50 requests, v1 1000: fewer than 200 (min_samples) in 2 of 2 intervals (inconclusive_limit 1): inconclusive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var results []IntervalResult
			var d Decision
			for iv := 0; iv < cfg.Count && d.Action == Undecided; iv++ {
				from := iv * 10
				snaps := merged(baseline.ticks(t, from, 10, "v1"), tc.canary.ticks(t, from, 10, "v2"))
				results = append(results, Judge(cfg, SampleOf("v1", snaps), SampleOf("v2", snaps)))
				d = Decide(cfg, results)
			}
			var got []Outcome
			for _, r := range results {
				got = append(got, r.Outcome)
			}
			if d.Action != tc.action || d.Judged != tc.judged || strings.Join(outcomes(got), ",") != strings.Join(outcomes(tc.outcomes), ",") {
				t.Errorf("%s after %d intervals %v, want %s after %d %v", d.Action, d.Judged, got, tc.action, tc.judged, tc.outcomes)
			}
			if d.Reason != tc.reason {
				t.Errorf("reason %q\nwant   %q", d.Reason, tc.reason)
			}
			if cfg.Headless(d) == Promote && tc.action != Promote {
				t.Errorf("a headless run promotes a %s canary", tc.action)
			}
		})
	}
}

// outcomes spells outcomes as strings.
func outcomes(os []Outcome) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = string(o)
	}
	return out
}
