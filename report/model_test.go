package report

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// modelSnapshots are ticks of 250 ms after start at the given target
// rates (open loop) or connections (closed loop).
func modelSnapshots(start time.Time, closed bool, values ...float64) []*engine.Snapshot {
	var out []*engine.Snapshot
	for i, v := range values {
		s := engine.NewSnapshot()
		s.Start = start.Add(time.Duration(i) * 250 * time.Millisecond)
		s.End = s.Start.Add(250 * time.Millisecond)
		if closed {
			s.Concurrency = int(v)
		} else {
			s.TargetRate = v
		}
		out = append(out, s)
	}
	return out
}

// TestModelTrack checks the model at the end and its changes: the open
// loop's rate (a pause as 0 req/s), the closed loop's connections, a stage
// plan left as planned.
func TestModelTrack(t *testing.T) {
	start := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	var text strings.Builder
	open := NewModelTrack("open loop, 500 req/s", false)
	for _, s := range modelSnapshots(start, false, 500, 500, 600, 600, 0, 600) {
		open.Observe(s)
	}
	var r Summary
	open.Apply(&r)
	want := []ModelChange{{0.75, "open loop, 600 req/s"}, {1.25, "open loop, 0 req/s"}, {1.5, "open loop, 600 req/s"}}
	if r.Model != "open loop, 600 req/s" || r.ModelStart != "open loop, 500 req/s" || !slices.Equal(r.ModelChanges, want) {
		t.Errorf("open loop: model %q from %q, changes %+v; want %+v", r.Model, r.ModelStart, r.ModelChanges, want)
	}
	r.writeModelChanges(&text)
	if got := text.String(); got != "  load model    started open loop, 500 req/s; at 0.8s open loop, 600 req/s; at 1.2s open loop, 0 req/s; at 1.5s open loop, 600 req/s\n" {
		t.Errorf("text %q", got)
	}

	closed := NewModelTrack("closed loop, 16 connections", true)
	for _, s := range modelSnapshots(start, true, 16, 20, 25) {
		closed.Observe(s)
	}
	r = Summary{Model: "closed loop, 16 connections"}
	closed.Apply(&r)
	if r.Model != "closed loop, 25 connections" || len(r.ModelChanges) != 2 {
		t.Errorf("closed loop: model %q, changes %+v; want 16 raised to 20 then 25", r.Model, r.ModelChanges)
	}

	stages := NewModelTrack(StagesModel+"1s:100,1s:200", false)
	for _, s := range modelSnapshots(start, false, 25, 50, 75, 100) {
		stages.Observe(s)
	}
	r = Summary{Model: StagesModel + "1s:100,1s:200"}
	stages.Apply(&r)
	if r.Model != StagesModel+"1s:100,1s:200" || r.ModelChanges != nil {
		t.Errorf("stages: model %q, changes %+v; want the plan, unchanged", r.Model, r.ModelChanges)
	}
}
