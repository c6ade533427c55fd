package ui

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/session"
)

// judgedRecording is 10 s of a recorded run whose latency threshold
// failed at 3 s (the judge's event, with its status as the recorder
// writes it) and whose closing summary's verdict is verdict.
func judgedRecording(t *testing.T, verdict string) *recordings.Recording {
	t.Helper()
	var buf bytes.Buffer
	w, err := recordings.NewWriter(&buf, recordings.Header{Scalelab: "test", Start: t0, Command: "load",
		Target: "http://127.0.0.1:8080/", Model: "open loop, 100 req/s", Window: 10 * time.Second, Tick: 250 * time.Millisecond},
		recordings.FlushEvery(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	th, err := analysis.ParseThreshold("latency", "p(99)<2")
	if err != nil {
		t.Fatal(err)
	}
	st := analysis.Status{Threshold: th, Value: 3.1, Text: "p(99)=3.1ms", FirstFailed: 3 * time.Second}
	data, _ := json.Marshal(report.NewThresholdResult(st))
	q := 250 * time.Millisecond
	for i := range 40 {
		if i == 12 {
			w.Event(recordings.Event{Time: t0.Add(3 * time.Second), Source: recordings.FromJudge, Kind: session.ThresholdFailed,
				Message: "threshold failed: " + st.String(), Label: th.String(), Data: data})
		}
		fm := frame(time.Duration(i)*q, time.Duration(i+1)*q, 25, 3*time.Millisecond, 200, 100)
		w.Frame(recordings.Frame{Snapshot: fm.Snapshot, CPU: fm.CPU, CPUKnown: true, Procs: 2})
	}
	if verdict != "" {
		if err := w.Summary([]byte(`{"verdict":"` + verdict + `"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := recordings.ReadBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestReplayShowsTheVerdict replays a judged recording: the judge's
// failure is in the event log as live, a mark the ] key reaches, and the
// header shows the recorded verdict at the end only.
func TestReplayShowsTheVerdict(t *testing.T) {
	r := NewReplay(ReplayConfig{Recording: judgedRecording(t, "fail"), Renderer: asciiRenderer(), Paused: true})
	r.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	if s := replayView(r); strings.Contains(s, "FAIL") || strings.Contains(s, "failed: 3.1ms") {
		t.Fatalf("at the start, neither the failure nor the verdict:\n%s", s)
	}
	replayKey(r, "]")
	if r.Position() != 3*time.Second {
		t.Fatalf("] went to %s: want the judge's mark at 3s", r.Position())
	}
	s := replayView(r)
	if !strings.Contains(s, "0:03.0 latency p(99)<2 failed: 3.1ms") || !strings.Contains(s, "▲✗ p(99)<2") {
		t.Fatalf("the failure is not in the events and on the axis:\n%s", s)
	}
	if strings.Contains(strings.SplitN(s, "\n", 2)[0], "FAIL") {
		t.Fatal("the verdict shows only at the end")
	}
	replayKey(r, "end")
	if head := strings.SplitN(replayView(r), "\n", 2)[0]; !strings.Contains(head, "FAIL") {
		t.Fatalf("the header at the end lacks the recorded verdict: %q", head)
	}
	replayKey(r, "home")
	if head := strings.SplitN(replayView(r), "\n", 2)[0]; strings.Contains(head, "FAIL") {
		t.Fatalf("back at the start, the verdict goes: %q", head)
	}
	// A recording without a closing summary has no verdict to show.
	r = NewReplay(ReplayConfig{Recording: judgedRecording(t, ""), Renderer: asciiRenderer(), Paused: true})
	r.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	replayKey(r, "end")
	if head := strings.SplitN(replayView(r), "\n", 2)[0]; strings.Contains(head, "FAIL") || strings.Contains(head, "PASS") {
		t.Fatalf("no summary, no verdict: %q", head)
	}
}

func replayView(r *Replay) string { return ansi.Strip(r.View()) }
