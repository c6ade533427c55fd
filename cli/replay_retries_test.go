package cli

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/recordings"
)

// retryFields are the summary's retry figures, as JSON, for comparing.
type retryFields struct {
	EffectiveRequests      json.RawMessage `json:"effective_requests"`
	EffectiveFailed        json.RawMessage `json:"effective_failed"`
	EffectiveAvailability  json.RawMessage `json:"effective_availability"`
	RawAvailability        json.RawMessage `json:"raw_availability"`
	Attempts               json.RawMessage `json:"attempts"`
	Amplification          json.RawMessage `json:"amplification"`
	EffectiveLatencyMs     json.RawMessage `json:"effective_latency_ms"`
	Retries                json.RawMessage `json:"retries"`
	RetriesBudgetExhausted json.RawMessage `json:"retries_budget_exhausted"`
}

func decodeRetryFields(t *testing.T, js string) retryFields {
	t.Helper()
	var f retryFields
	if err := json.Unmarshal([]byte(js), &f); err != nil {
		t.Fatalf("summary: %v\n%s", err, js)
	}
	return f
}

// TestReplayKeepsRetries records a demo with --retries 2 (on 5xx) and a replica
// failing 30% of its answers, then replays it: the replayed JSON has the
// live run's retry figures, and so has the summary computed from the
// frames alone (as for a killed session), which the same code computes
// from the recorded retry figures; the text shows raw and effective.
func TestReplayKeepsRetries(t *testing.T) {
	file := filepath.Join(t.TempDir(), "retries.scalelab")
	code, live, errOut := scalelab(t.Context(), "demo", "--headless", "--json", "--duration", "3s", "--rate", "200",
		"--replicas", "3", "--startup-delay", "50ms", "--drain", "300ms", "--latency", "1ms", "--retries", "2", "--retry-on", "5xx",
		"--step", "300ms:errors=1:30%", "--record", file)
	if code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	want := decodeRetryFields(t, live)
	if want.Attempts == nil || string(want.Retries) == "0" || want.EffectiveLatencyMs == nil ||
		string(want.EffectiveAvailability) == string(want.RawAvailability) {
		t.Fatalf("the live run's retry figures: %s\n%s", fieldsText(want), live)
	}

	code, replayedJSON, errOut := scalelab(t.Context(), "replay", file, "--headless", "--json")
	if code != exitOK || errOut != "" {
		t.Fatalf("replay: exit %d, stderr %q", code, errOut)
	}
	if got := decodeRetryFields(t, replayedJSON); !reflect.DeepEqual(got, want) {
		t.Fatalf("replayed retry figures %s, live %s", fieldsText(got), fieldsText(want))
	}

	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if rec.Header.Format != "1.9" {
		t.Fatalf("format %s", rec.Header.Format)
	}
	rec.Summary = nil // as if killed: the summary computed from the frames
	var out, errs lockedBuffer
	if err := replaySummary(t.Context(), streams{out: &out, err: &errs}, file, rec, true, nil); err != nil {
		t.Fatal(err)
	}
	if got := decodeRetryFields(t, out.String()); !reflect.DeepEqual(got, want) {
		t.Fatalf("retry figures from the frames %s, live %s", fieldsText(got), fieldsText(want))
	}
	var textOut lockedBuffer
	if err := replaySummary(t.Context(), streams{out: &textOut, err: &errs}, file, rec, false, nil); err != nil {
		t.Fatal(err)
	}
	text := textOut.String()
	if !strings.Contains(text, "% raw (each attempt)") || !strings.Contains(text, "% effective (each request)") ||
		!strings.Contains(text, "budget exhausted") || !strings.Contains(text, "effective latency") {
		t.Fatalf("text summary from the frames without the retries:\n%s", text)
	}
}

// fieldsText is f as JSON, for a failure's message.
func fieldsText(f retryFields) string {
	b, _ := json.Marshal(f)
	return string(b)
}
