package cli

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// retrySummary is the part of the JSON summary the retries add.
type retrySummary struct {
	Requests               uint64   `json:"requests"`
	Availability           float64  `json:"availability"`
	EffectiveAvailability  *float64 `json:"effective_availability"`
	RawAvailability        *float64 `json:"raw_availability"`
	Attempts               *uint64  `json:"attempts"`
	Amplification          *float64 `json:"amplification"`
	Retries                *uint64  `json:"retries"`
	RetriesBudgetExhausted *uint64  `json:"retries_budget_exhausted"`
	EffectiveLatencyMs     *struct {
		P50, P90, P99, P999 float64
	} `json:"effective_latency_ms"`
}

// failEvery10th serves 200 but a 503 for every 10th request.
func failEvery10th(t *testing.T) string {
	t.Helper()
	var n atomic.Uint64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestRetryFlagsJSONAndText: load --retries 2 against a target failing
// every 10th attempt reports raw ≈ 90% and effective ≥ 99.5%, 1.1
// attempts per request, in the JSON and side by side in the text; without
// --retries none of the fields is there.
func TestRetryFlagsJSONAndText(t *testing.T) {
	t.Parallel()
	url := failEvery10th(t)
	code, out, errOut := runCLI(t, context.Background(), "load", url, "--rate", "300", "--duration", "1s", "--retries", "2", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s retrySummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if s.EffectiveAvailability == nil || s.RawAvailability == nil || s.Attempts == nil || s.Amplification == nil ||
		s.Retries == nil || s.RetriesBudgetExhausted == nil || s.EffectiveLatencyMs == nil {
		t.Fatalf("retry fields missing:\n%s", out)
	}
	if math.Abs(*s.RawAvailability-0.9) > 0.01 || *s.RawAvailability != s.Availability {
		t.Errorf("raw availability %.4f (availability %.4f), want about 0.9 and the same", *s.RawAvailability, s.Availability)
	}
	if *s.EffectiveAvailability < 0.995 {
		t.Errorf("effective availability %.4f, want at least 0.995", *s.EffectiveAvailability)
	}
	if math.Abs(*s.Amplification-1.11) > 0.03 || *s.Attempts != s.Requests {
		t.Errorf("amplification %.3f over %d attempts (requests %d), want about 1.11", *s.Amplification, *s.Attempts, s.Requests)
	}
	if *s.Retries == 0 || s.EffectiveLatencyMs.P50 <= 0 {
		t.Errorf("retries %d, effective p50 %g: want both above 0", *s.Retries, s.EffectiveLatencyMs.P50)
	}

	code, out, errOut = runCLI(t, context.Background(), "load", url, "--rate", "100", "--duration", "300ms", "--retries", "1",
		"--retry-on", "5xx", "--retry-budget", "50%")
	if code != 0 {
		t.Fatalf("text: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "% raw (each attempt)") || !strings.Contains(out, "% effective (each request)") ||
		!strings.Contains(out, "effective latency") || !strings.Contains(out, "budget exhausted") {
		t.Errorf("text summary without raw and effective side by side:\n%s", out)
	}

	code, out, errOut = runCLI(t, context.Background(), "load", url, "--rate", "100", "--duration", "200ms", "--json")
	if code != 0 {
		t.Fatalf("no retries: exit %d: %s", code, errOut)
	}
	for _, field := range []string{"effective_availability", "raw_availability", "attempts", "amplification", "retries"} {
		if strings.Contains(out, `"`+field+`"`) {
			t.Errorf("without --retries the JSON has %q", field)
		}
	}
}

// TestDemoRetriesSeedsArithmetic: the seeds' arithmetic on the fleet, for
// real: one replica of three answering 30% of its requests 500, so about
// 10% of the attempts fail (raw ≈ 90%), and two retries on 5xx lift the
// requests to at least 99.5% (each fails only when all three attempts
// do: about 0.1%), 1.1 attempts per request.
func TestDemoRetriesSeedsArithmetic(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, context.Background(), "demo", "--headless", "--json", "--replicas", "3", "--rate", "400",
		"--duration", "3s", "--latency", "1ms", "--startup-delay", "50ms", "--drain", "300ms",
		"--step", "0s:errors=1:30%", "--retries", "2", "--retry-on", "5xx")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s retrySummary
	if err := json.Unmarshal([]byte(out), &s); err != nil || s.RawAvailability == nil || s.EffectiveAvailability == nil || s.Amplification == nil {
		t.Fatalf("json (%v) without the retry fields:\n%s", err, out)
	}
	if math.Abs(*s.RawAvailability-0.9) > 0.03 {
		t.Errorf("raw availability %.4f, want about 0.9", *s.RawAvailability)
	}
	if *s.EffectiveAvailability < 0.995 {
		t.Errorf("effective availability %.4f, want at least 0.995", *s.EffectiveAvailability)
	}
	if math.Abs(*s.Amplification-1.1) > 0.04 {
		t.Errorf("amplification %.3f, want about 1.1", *s.Amplification)
	}
	t.Logf("raw %.4f, effective %.4f, amplification %.3f", *s.RawAvailability, *s.EffectiveAvailability, *s.Amplification)
}
