package cli

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
)

// TestReplayMeasuresStepsAsLive records a demo with a fault healed later,
// a fault still in effect at the end and a scale, then measures the steps
// from the recording as replay does for a killed session: each step's
// figures are the live ones (one computation over the same snapshots);
// and with the step's last updates cut, as when the session was killed,
// the step is measured up to the recording's end instead of counting
// nothing.
func TestReplayMeasuresStepsAsLive(t *testing.T) {
	file := filepath.Join(t.TempDir(), "demo.scalelab")
	code, live, errOut := scalelab(t.Context(), "demo", "--headless", "--json", "--duration", "3s", "--rate", "100",
		"--replicas", "2", "--startup-delay", "50ms", "--drain", "300ms", "--latency", "1ms",
		"--step", "500ms:errors=replica-1:100%", "--step", "1500ms:heal", "--step", "2s:latency=replica-2:1ms",
		"--step", "1s:scale=3", "--record", file)
	if code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	var sum report.WithSteps
	if err := json.Unmarshal([]byte(live), &sum); err != nil || len(sum.Steps) != 4 {
		t.Fatalf("live summary %v: %s", err, live)
	}
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	replayedSteps := func() []experiments.Result {
		res, err := replayed(t.Context(), rec)
		if err != nil || res.Partial != "" {
			t.Fatal(err, res.Partial)
		}
		return res.Steps
	}
	steps := replayedSteps()
	byName := map[string]experiments.Result{}
	for _, s := range sum.Steps {
		byName[s.Spec] = s
	}
	for _, r := range steps {
		l := byName[r.Spec]
		if r.Requests != l.Requests || r.Failed != l.Failed || r.Errors != l.Errors || r.Until != l.Until && r.Until != "the recording ended" {
			t.Errorf("step %s:\n replayed %+v\n live     %+v", r.Spec, r, l)
		}
	}
	faultStep := byName["500ms:errors=replica-1:100%"]
	if faultStep.Until != "healed" || faultStep.EffectS < 0.8 || faultStep.Availability == nil || *faultStep.Availability > 0.7 || faultStep.Failed == 0 {
		t.Errorf("the errors fault: %+v, want about half failed over its 1 s effect, until healed", faultStep)
	}
	if s := byName["2s:latency=replica-2:1ms"]; s.Until != "the run ended" || s.Requests == 0 {
		t.Errorf("the latency fault in effect at the end: %+v", s)
	}
	checkHealHasNoAvailability(t, live, steps, file)

	// Killed: the scale's end and the errors fault's heal never recorded.
	var kept []recordings.Event
	for _, e := range rec.Events {
		if e.Source == recordings.FromStep && e.Kind != "started" &&
			(strings.Contains(e.Message, "1s:scale=3") || strings.Contains(e.Message, "500ms:errors")) {
			continue
		}
		kept = append(kept, e)
	}
	rec.Events = kept
	for _, r := range replayedSteps() {
		switch r.Spec {
		case "1s:scale=3", "500ms:errors=replica-1:100%":
			if r.Requests < 150 || r.Availability == nil || *r.Availability == 0 || !strings.Contains(r.Error, "the recording ended while it ran") {
				t.Errorf("step %s cut by the end of the recording: %+v, want it measured up to the end", r.Spec, r)
			}
		}
	}
}

// checkHealHasNoAvailability checks that the heal, a step no request ended
// in (at 100 req/s, a 250 ms tick holds 25; the heal's few milliseconds
// get under half a request of it, measured at 200 req/s the 5 ms a loaded
// machine took counted 1), has no availability rather than 0 (an outage): null in the live JSON
// summary and in the steps replay measures, "no requests" in the replayed
// text summary.
func checkHealHasNoAvailability(t *testing.T, live string, replayed []experiments.Result, file string) {
	t.Helper()
	var raw struct {
		Steps []map[string]json.RawMessage `json:"steps"`
	}
	if err := json.Unmarshal([]byte(live), &raw); err != nil {
		t.Fatal(err)
	}
	for _, s := range raw.Steps {
		if string(s["spec"]) == `"1500ms:heal"` && (string(s["requests"]) != "0" || string(s["availability"]) != "null") {
			t.Errorf("live heal: requests %s, availability %s: want 0 and null", s["requests"], s["availability"])
		}
	}
	for _, r := range replayed {
		if r.Spec == "1500ms:heal" && (r.Requests != 0 || r.Availability != nil) {
			t.Errorf("replayed heal: %+v, want no requests and no availability", r)
		}
	}
	code, out, errOut := scalelab(t.Context(), "replay", "--headless", file)
	if code != exitOK {
		t.Fatalf("replay: exit %d: %s", code, errOut)
	}
	if row := lineOf(out, "1500ms:heal"); !strings.Contains(row, "no requests") || strings.Contains(row, "availability") {
		t.Errorf("replayed heal row %q: want no requests, no availability", row)
	}
	if row := lineOf(out, "1s:scale=3"); !regexp.MustCompile(`availability \d+\.\d{3}%`).MatchString(row) {
		t.Errorf("replayed scale row %q: want its availability", row)
	}
}
