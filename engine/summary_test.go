package engine_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	s := window(0, 2)
	s.Requests = 100
	s.Status[200], s.Status[404], s.Status[503] = 80, 10, 5
	s.Errors[engine.ErrRefused], s.Errors[engine.ErrTimeout] = 3, 2
	s.Dropped, s.Late, s.BytesIn, s.BytesOut = 7, 4, 1000, 10
	s.LagMax = 2500 * time.Microsecond
	for i := int64(1); i <= 100; i++ {
		_ = s.Latency.RecordValue(i * 1000) // 1 ms .. 100 ms
		_ = s.Service.RecordValue(i * 100)  // 0.1 ms .. 10 ms
	}
	sum := engine.Summarize(s, 2)
	if sum.Requests != 100 || sum.DurationS != 2 || sum.RPS != 50 {
		t.Errorf("requests %d duration %g rps %g, want 100 2 50", sum.Requests, sum.DurationS, sum.RPS)
	}
	if sum.Status["200"] != 80 || sum.Status["404"] != 10 || sum.Status["503"] != 5 || len(sum.Status) != 3 {
		t.Errorf("status %v", sum.Status)
	}
	if sum.Errors["refused"] != 3 || sum.Errors["timeout"] != 2 || len(sum.Errors) != 2 {
		t.Errorf("errors %v, want refused 3 timeout 2 and no zero classes", sum.Errors)
	}
	if sum.Availability != 0.9 { // 100 - 5 errors - 5 × 503
		t.Errorf("availability %v, want 0.9", sum.Availability)
	}
	if sum.Dropped != 7 || sum.Late != 4 || sum.BytesIn != 1000 || sum.BytesOut != 10 || sum.LagMaxMs != 2.5 {
		t.Errorf("dropped %d late %d bytes %d/%d lag %g", sum.Dropped, sum.Late, sum.BytesIn, sum.BytesOut, sum.LagMaxMs)
	}
	// HdrHistogram keeps three significant digits: within 0.1%.
	lat, svc := sum.LatencyMs, sum.ServiceMs
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"latency p50", lat.P50, 50}, {"latency p90", lat.P90, 90}, {"latency p95", lat.P95, 95},
		{"latency p99", lat.P99, 99}, {"latency p999", lat.P999, 100}, {"latency max", lat.Max, 100},
		{"latency mean", lat.Mean, 50.5}, {"service p50", svc.P50, 5}, {"service max", svc.Max, 10},
	} {
		if !near(c.got, c.want, 0.001) {
			t.Errorf("%s = %g ms, want %g ± 0.1%%", c.name, c.got, c.want)
		}
	}

	empty := engine.Summarize(engine.NewSnapshot(), 0)
	if empty.RPS != 0 || empty.Availability != 0 || empty.LatencyMs != (engine.Percentiles{}) {
		t.Errorf("empty summary %+v, want zeros", empty)
	}
}

// TestSummaryJSONFields checks the field names `scalelab load --json` promises.
func TestSummaryJSONFields(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(engine.Summarize(engine.NewSnapshot(), 1))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"requests", "duration_s", "rps", "status", "errors", "dropped", "late",
		"latency_ms", "service_ms", "availability"} {
		if _, ok := m[k]; !ok {
			t.Errorf("summary JSON has no %q: %s", k, b)
		}
	}
	var lat map[string]float64
	if err := json.Unmarshal(m["latency_ms"], &lat); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"p50", "p90", "p95", "p99", "p999", "max", "mean"} {
		if _, ok := lat[k]; !ok {
			t.Errorf("latency_ms has no %q: %s", k, m["latency_ms"])
		}
	}
	if string(m["status"]) != "{}" || string(m["errors"]) != "{}" {
		t.Errorf("empty status/errors encode as %s/%s, want {} (not null)", m["status"], m["errors"])
	}
}
