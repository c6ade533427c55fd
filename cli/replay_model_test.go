package cli

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
)

// TestReplayModelChanges: the replay of a killed session's recording
// computes the load model's changes from its frames as the live session
// did.
func TestReplayModelChanges(t *testing.T) {
	start := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	want := []report.ModelChange{{AtS: 0.75, Model: "open loop, 600 req/s"}, {AtS: 1.25, Model: "open loop, 0 req/s"}, {AtS: 1.5, Model: "open loop, 600 req/s"}}
	file := filepath.Join(t.TempDir(), "model.scalelab")
	w, err := recordings.Create(file, recordings.Header{Command: "run", Target: "http://127.0.0.1:9/",
		Model: "open loop, 500 req/s", Start: start, Tick: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range []float64{500, 500, 600, 600, 0, 600} {
		s := engine.NewSnapshot()
		s.Start = start.Add(time.Duration(i) * 250 * time.Millisecond)
		s.End = s.Start.Add(250 * time.Millisecond)
		s.TargetRate = v
		w.Frame(recordings.Frame{Snapshot: s})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	res, err := replayed(t.Context(), rec)
	if err != nil || res.Partial != "" {
		t.Fatal(err, res.Partial)
	}
	if got := res.Summary.(report.Summary); got.Model != "open loop, 600 req/s" || !slices.Equal(got.ModelChanges, want) {
		t.Errorf("replay: model %q, changes %+v; want %+v", got.Model, got.ModelChanges, want)
	}
}
