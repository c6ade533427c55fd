package canary

import (
	"strings"
	"testing"

	"github.com/scalelab/scalelab/engine"
)

// boundSample is n requests of version, failed of them failed, their
// latencies spread over ms to ms+1 milliseconds.
func boundSample(version string, n, failed uint64, ms int64) Sample {
	h := engine.NewHistogram()
	for i := range int64(n) {
		_ = h.RecordValue(ms*1000 + i%1000)
	}
	return Sample{Version: version, Requests: n, Failed: failed, Latency: h}
}

// TestBound: an interval during which the generator was saturated is
// inconclusive whatever its figures decided but a fail on errors (the
// canary's failed answers are its own), naming the reasons; one
// without reasons keeps its outcome; Decide counts the bound one as
// inconclusive, never as a pass or a fail.
func TestBound(t *testing.T) {
	cfg := DefaultConfig()
	fast := boundSample("v1", 2000, 0, 10)
	slow := boundSample("v2", 2000, 0, 100)
	failing := boundSample("v2", 2000, 400, 10)
	cpu := []string{"cpu 1.96 of 2 cores"}
	tests := []struct {
		name    string
		can     Sample
		reasons []string
		want    Outcome
		metric  string
		reason  string
	}{
		{name: "pass kept", can: fast, want: Pass},
		{name: "fail kept", can: slow, want: Fail, metric: MetricP99},
		{name: "pass bound", can: fast, reasons: cpu, want: Inconclusive, metric: MetricGenerator, reason: "generator-bound: cpu 1.96 of 2 cores (the figures alone: pass)"},
		{name: "slow bound", can: slow, reasons: cpu, want: Inconclusive, metric: MetricGenerator, reason: "generator-bound: cpu 1.96 of 2 cores (the figures alone: fail on p99)"},
		{name: "errors kept", can: failing, reasons: []string{"cpu 2 of 2 cores", "run delay 310 ms/s"}, want: Fail, metric: MetricErrors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Bound(Judge(cfg, fast, tt.can), tt.reasons)
			if r.Outcome != tt.want || r.Metric != tt.metric || (tt.reason != "" && r.Reason != tt.reason) {
				t.Errorf("%s %q %q, want %s %q %q", r.Outcome, r.Metric, r.Reason, tt.want, tt.metric, tt.reason)
			}
			if r.Canary.Requests != tt.can.Requests {
				t.Errorf("figures lost: canary requests %d, want %d", r.Canary.Requests, tt.can.Requests)
			}
		})
	}
	var ivs []IntervalResult
	for range cfg.Count {
		ivs = append(ivs, Bound(Judge(cfg, fast, slow), cpu))
	}
	d := Decide(cfg, ivs)
	if d.Failed != 0 || d.Passed != 0 || d.Inconclusive != d.Judged || d.Judged == 0 || d.Action == Rollback || d.Action == Promote {
		t.Errorf("decision %s (%d judged, %d inconclusive) on bound intervals, want all inconclusive and neither a rollback nor a promotion", d.Action, d.Judged, d.Inconclusive)
	}
	if !strings.Contains(ivs[0].Reason, "generator-bound") {
		t.Errorf("reason %q", ivs[0].Reason)
	}
}
