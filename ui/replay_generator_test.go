package ui

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/session"
)

// TestReplayShowsTheRecordedGeneratorJudgement: a replay's generator panel
// says the probes' judgement the recording's generator events give at
// each position (generator-bound with the recorded reasons between the
// saturated and the recovered events, keeping up after), not its own
// reading of the frames; and no saturation panel (no figures recorded).
func TestReplayShowsTheRecordedGeneratorJudgement(t *testing.T) {
	rec := replayFile(t)
	rec.Events = append(rec.Events,
		recordings.Event{Time: t0.Add(10 * time.Second), Source: recordings.FromGenerator, Kind: "generator-saturated",
			Message: "the generator sets the pace: cpu 1.96 of 2 cores, 120 sends late", Label: "generator-bound"},
		recordings.Event{Time: t0.Add(30 * time.Second), Source: recordings.FromGenerator, Kind: "generator-recovered",
			Message: "the generator keeps up again", Label: "generator keeps up"})
	r := NewReplay(ReplayConfig{Recording: rec, File: "x.scalelab", Renderer: asciiRenderer(), Paused: true})
	r.Update(tea.WindowSizeMsg{Width: 160, Height: 40})
	for _, c := range []struct {
		at         time.Duration
		want, lack string
	}{
		{5 * time.Second, "keeps up", "generator-bound"},
		{15 * time.Second, "⚠ generator-bound: cpu 1.96 of", "keeps up"},
		{35 * time.Second, "✓ the generator keeps up", "generator-bound: cpu"},
	} {
		r.Seek(c.at)
		v := strings.Join(strings.Fields(r.View()), " ")
		if !strings.Contains(v, c.want) || strings.Contains(v, c.lack) || strings.Contains(v, "Saturation") {
			t.Errorf("at %s: want %q, not %q nor a saturation panel:\n%s", c.at, c.want, c.lack, r.View())
		}
	}
}

// TestReplayShowsTheRecordedReadings: a 1.7 recording keeps each second's
// generator reading; its replay shows the saturation panel with the
// figures recorded at each position and the generator panel's judgement
// from them, and the connections its frames opened (connects per second
// and their p99, as live).
func TestReplayShowsTheRecordedReadings(t *testing.T) {
	var buf bytes.Buffer
	w, err := recordings.NewWriter(&buf, recordings.Header{Scalelab: "test", Start: t0, Command: "load",
		Target: "http://127.0.0.1:8080/", Model: "open loop, 100 req/s", Window: time.Minute, Tick: time.Second},
		recordings.FlushEvery(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		from, to := time.Duration(i)*time.Second, time.Duration(i+1)*time.Second
		fm := frame(from, to, 100, 2*time.Millisecond, 200, 100)
		fm.Snapshot.ConnectionsOpened = 100 // --no-keepalive: one a request
		fm.Snapshot.Connect = engine.NewHistogram()
		for j := range 100 {
			_ = fm.Snapshot.Connect.RecordValue(int64(100 + j*4)) // up to 496 µs
		}
		w.Frame(recordings.Frame{Snapshot: fm.Snapshot, CPU: fm.CPU, CPUKnown: true, Procs: 2})
		r := session.GeneratorReading{End: to, Span: time.Second, Sent: 100, Reasons: []string{}, Sample: probes.GeneratorSample{
			At: t0.Add(to), Interval: time.Second,
			Memory: probes.Memory{Available: true, RSS: int64(40+i) << 20, Heap: 8 << 20}}}
		if i >= 10 {
			r.Saturated, r.Reasons = true, []string{"run delay 300 ms/s"}
			r.Findings = []probes.Finding{{Kind: probes.KindRunDelay, Figure: 300}}
		}
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		w.Event(recordings.Event{Time: t0.Add(to), Source: recordings.FromGenerator, Kind: session.GeneratorSampled,
			Message: "generator …", Data: data})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := recordings.ReadBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	r := NewReplay(ReplayConfig{Recording: rec, File: "x.scalelab", Renderer: asciiRenderer(), Paused: true})
	r.Update(tea.WindowSizeMsg{Width: 160, Height: 40})
	for _, c := range []struct {
		at   time.Duration
		want []string
	}{
		{5 * time.Second, []string{"Saturation", "rss 44 MiB heap 8 MiB", "keeps up", "connects 100/s p99 492µs", "no events yet"}},
		{15 * time.Second, []string{"Saturation", "rss 54 MiB", "⚠ generator-bound: run delay 300 ms/s", "connects 100/s p99 492µs", "no events yet"}},
	} {
		r.Seek(c.at)
		v := strings.Join(strings.Fields(r.View()), " ")
		for _, want := range c.want {
			if !strings.Contains(v, want) {
				t.Errorf("at %s: no %q in the replay:\n%s", c.at, want, r.View())
			}
		}
	}
}
