package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/recordings"
)

// canaryOf is the summary's canary, compacted, and its decision.
func canaryOf(t *testing.T, js string) (string, string) {
	t.Helper()
	var s struct {
		Canary json.RawMessage `json:"canary"`
	}
	if err := json.Unmarshal([]byte(js), &s); err != nil || s.Canary == nil {
		t.Fatalf("summary without a canary (%v):\n%s", err, js)
	}
	var c struct {
		Decision string `json:"decision"`
	}
	_ = json.Unmarshal(s.Canary, &c)
	var b bytes.Buffer
	if err := json.Compact(&b, s.Canary); err != nil {
		t.Fatal(err)
	}
	return b.String(), c.Decision
}

// TestReplayJudgesTheCanaryAgain records a canary demo on the fleet, a
// good one promoted and a bad build rolled back (answers of 20 ms: at
// 1 ms a loaded machine's few milliseconds of scheduling and the new
// replica's first connections made a good v2's p99 1.33× v1's, rolled
// back), and replays it: the
// replayed canary (version, baseline, decision, reason, every interval
// and what was done) is the live run's, both the closing summary's (the
// replay's judge agrees with it: no line on stderr) and the one the
// replay computes from the frames alone, judged again with the recorded
// analysis, the action's end from the recorded events.
// (--canary-generator-bound ignore: a loaded test machine's generator is
// often saturated, and what is tested here is the replay, not the bound.)
func TestReplayJudgesTheCanaryAgain(t *testing.T) {
	for _, c := range []struct {
		name     string
		exit     int
		decision string
		args     []string
	}{
		{"rolled back", 99, "rollback", []string{"--duration", "3s", "--bad-version", "v2"}},
		{"promoted", exitOK, "promote", []string{"--duration", "8s"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "canary.scalelab")
			args := append([]string{"demo", "--headless", "--json", "--rate", "600", "--replicas", "2",
				"--startup-delay", "100ms", "--drain", "300ms", "--latency", "20ms", "--step", "300ms:canary=v2:1",
				"--canary-interval", "1s", "--canary-generator-bound", "ignore", "--record", file}, c.args...)
			code, live, errOut := scalelab(t.Context(), args...)
			if code != c.exit {
				t.Fatalf("demo: exit %d, want %d: %s", code, c.exit, errOut)
			}
			want, decision := canaryOf(t, live)
			if decision != c.decision || !strings.Contains(want, `"acted":true`) {
				t.Fatalf("live canary: %s", want)
			}

			code, out, errOut := scalelab(t.Context(), "replay", file, "--headless", "--json")
			if code != exitOK || errOut != "" {
				t.Fatalf("replay: exit %d, stderr %q", code, errOut)
			}
			if got, _ := canaryOf(t, out); got != want {
				t.Fatalf("replayed canary\n%s\nlive\n%s", got, want)
			}

			rec, err := recordings.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Close()
			if rec.Header.Canary == nil || rec.Header.Canary.IntervalS != 1 {
				t.Fatalf("the header's canary analysis: %+v", rec.Header.Canary)
			}
			kinds := map[string]int{}
			for _, e := range rec.Events {
				if e.Source == recordings.FromCanary {
					kinds[e.Kind]++
				}
			}
			if kinds["canary-interval"] == 0 || kinds["canary-decision"] != 1 || kinds["canary-promoted"]+kinds["canary-rolled-back"] != 1 {
				t.Fatalf("the recorded canary events: %v", kinds)
			}
			rec.Summary = nil // as if killed: the canary judged again from the frames
			var fromFrames, errs lockedBuffer
			if err := replaySummary(t.Context(), streams{out: &fromFrames, err: &errs}, file, rec, true, nil); err != nil {
				t.Fatal(err)
			}
			if got, _ := canaryOf(t, fromFrames.String()); got != want {
				t.Fatalf("canary judged again from the frames\n%s\nlive\n%s", got, want)
			}
			var text lockedBuffer
			if err := replaySummary(t.Context(), streams{out: &text, err: &errs}, file, rec, false, nil); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text.String(), "canary v2 against v1") {
				t.Fatalf("text summary from the frames without the canary:\n%s", text.String())
			}
		})
	}
}

// TestReplayJudgesTheCanaryWithTheGeneratorBound records a canary demo
// judged as by default (an interval during which the generator was
// saturated is inconclusive) and computes the canary from the recording
// alone: whatever the loaded machine made of the live run's intervals,
// the replay's judge, bounding them by the recorded generator readings
// (format 1.7), gives the same analysis; the header says the bound.
func TestReplayJudgesTheCanaryWithTheGeneratorBound(t *testing.T) {
	file := filepath.Join(t.TempDir(), "canary.scalelab")
	_, live, errOut := scalelab(t.Context(), "demo", "--headless", "--json", "--rate", "600", "--replicas", "2",
		"--startup-delay", "100ms", "--drain", "300ms", "--latency", "20ms", "--step", "300ms:canary=v2:1",
		"--canary-interval", "1s", "--duration", "4s", "--record", file)
	want, _ := canaryOf(t, live)
	if !strings.Contains(want, `"intervals"`) {
		t.Fatalf("live canary: %s\n%s", want, errOut)
	}
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if rec.Header.Canary == nil || rec.Header.Canary.GeneratorBound != "inconclusive" {
		t.Fatalf("the header's canary analysis: %+v", rec.Header.Canary)
	}
	rec.Summary = nil // as if killed: judged again from the frames and the readings
	var fromFrames, errs lockedBuffer
	if err := replaySummary(t.Context(), streams{out: &fromFrames, err: &errs}, file, rec, true, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := canaryOf(t, fromFrames.String()); got != want {
		t.Fatalf("canary judged again from the recording\n%s\nlive\n%s", got, want)
	}
	t.Logf("canary: %s", want)
}
