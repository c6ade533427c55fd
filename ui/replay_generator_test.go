package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/recordings"
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
