package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/ui"
)

// stagesModel begins the words of a stage plan's load model.
const stagesModel = "open loop, stages "

// modelChange is a change of the load model during the run: the model
// became Model in the tick that ended AtS seconds after the start (within
// a tick, 250 ms under the UI, of the operator's key).
type modelChange struct {
	AtS   float64 `json:"at_s"`
	Model string  `json:"model"`
}

// modelTrack follows the load model through the run's snapshots: a change
// of the open loop's target rate (a pause shows as 0 req/s) or of the
// closed loop's connections is a change of the model. A stage plan's
// model is its plan, whose ramps change the rate by design: it is not
// followed. Live and in the replay of a recording, the same snapshots give
// the same changes.
type modelTrack struct {
	// mu guards the rest: the engine may still report while a quit
	// that did not wait for it makes the summary.
	mu           sync.Mutex
	start, model string
	closed       bool
	origin       time.Time
	last         float64
	seen         bool
	changes      []modelChange
}

// newModelTrack follows a run that started with model (in words), closed
// for the closed loop.
func newModelTrack(model string, closed bool) *modelTrack {
	return &modelTrack{start: model, model: model, closed: closed}
}

// observe takes one snapshot.
func (t *modelTrack) observe(s *engine.Snapshot) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if strings.HasPrefix(t.start, stagesModel) {
		return
	}
	v := s.TargetRate
	if t.closed {
		v = float64(s.Concurrency)
	}
	if !t.seen {
		t.origin, t.last, t.seen = s.Start, v, true
		return
	}
	if v == t.last {
		return
	}
	t.last = v
	t.model = ui.OpenModel(v)
	if t.closed {
		t.model = ui.ClosedModel(int(v))
	}
	at := math.Round(s.End.Sub(t.origin).Seconds()*1000) / 1000
	t.changes = append(t.changes, modelChange{AtS: at, Model: t.model})
}

// apply puts the model at the end, and how it changed, in r.
func (t *modelTrack) apply(r *report) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.changes) == 0 {
		return
	}
	r.ModelStart, r.Model, r.ModelChanges = t.start, t.model, slices.Clone(t.changes)
}

// writeModelChanges prints how the load model changed, nothing when it
// did not.
func (r report) writeModelChanges(w io.Writer) {
	if len(r.ModelChanges) == 0 {
		return
	}
	parts := []string{"started " + r.ModelStart}
	for _, c := range r.ModelChanges {
		parts = append(parts, fmt.Sprintf("at %.1fs %s", c.AtS, c.Model))
	}
	fmt.Fprintf(w, "  load model    %s\n", strings.Join(parts, "; "))
}
