package cli

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/session"
)

// probeFields are a summary's figures of the generator probes and the
// connections.
type probeFields struct {
	Requests          uint64             `json:"requests"`
	ConnectionsOpened uint64             `json:"connections_opened"`
	ConnectMs         map[string]float64 `json:"connect_ms"`
	Generator         json.RawMessage    `json:"generator"`
}

// TestReplayKeepsProbesAndConnects records a demo without keep-alive,
// then computes its summary from the recording alone (as for a killed
// session): the connections opened, their connect_ms percentiles and the
// generator's judgement are the live run's, from the frames' connection
// figures and the recorded readings (format 1.7); every second of the
// load has its reading in the recording.
func TestReplayKeepsProbesAndConnects(t *testing.T) {
	file := filepath.Join(t.TempDir(), "probes.scalelab")
	code, live, errOut := scalelab(t.Context(), "demo", "--headless", "--json", "--duration", "3s", "--rate", "100",
		"--replicas", "2", "--startup-delay", "50ms", "--drain", "300ms", "--latency", "1ms", "--no-keepalive", "--record", file)
	if code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	var want probeFields
	if err := json.Unmarshal([]byte(live), &want); err != nil {
		t.Fatalf("summary: %v\n%s", err, live)
	}
	if want.ConnectionsOpened < 200 || want.ConnectMs["p99"] <= 0 || len(want.Generator) == 0 {
		t.Fatalf("the live run's figures %+v: want a connection a request, connect_ms and the generator\n%s", want, live)
	}
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	readings := 0
	for _, e := range rec.Events {
		if e.Source == recordings.FromGenerator && e.Kind == session.GeneratorSampled {
			var r session.GeneratorReading
			if err := json.Unmarshal(e.Data, &r); err != nil || r.Sample.At.IsZero() || r.Span <= 0 {
				t.Fatalf("reading %s: %v", e.Data, err)
			}
			readings++
		}
	}
	if readings < 2 || readings > 4 {
		t.Errorf("%d readings recorded for a 3 s load: want one a second", readings)
	}
	rec.Summary = nil // as if killed: the summary computed from the recording
	var out, errs lockedBuffer
	if err := replaySummary(t.Context(), streams{out: &out, err: &errs}, file, rec, true, nil); err != nil {
		t.Fatal(err)
	}
	var got probeFields
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("summary from the recording: %v\n%s", err, out.String())
	}
	var wantGen, gotGen any
	_ = json.Unmarshal(want.Generator, &wantGen)
	_ = json.Unmarshal(got.Generator, &gotGen)
	if got.Requests != want.Requests || got.ConnectionsOpened != want.ConnectionsOpened ||
		!reflect.DeepEqual(got.ConnectMs, want.ConnectMs) || !reflect.DeepEqual(gotGen, wantGen) {
		t.Fatalf("from the recording %+v (generator %s), live %+v (generator %s)", got, got.Generator, want, want.Generator)
	}
}
