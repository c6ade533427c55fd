package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// StagesModel begins the words of a stage plan's load model.
const StagesModel = "open loop, stages "

// ModelChange is a change of the load model during the run: the model
// became Model in the tick that ended AtS seconds after the start (within
// a tick, 250 ms under the UI, of the operator's key).
type ModelChange struct {
	AtS   float64 `json:"at_s"`
	Model string  `json:"model"`
}

// ModelTrack follows the load model through the run's snapshots: a change
// of the open loop's target rate (a pause shows as 0 req/s) or of the
// closed loop's connections is a change of the model. A stage plan's
// model is its plan, whose ramps change the rate by design: it is not
// followed. Live and in the replay of a recording, the same snapshots give
// the same changes.
type ModelTrack struct {
	// mu guards the rest: the engine may still report while a quit
	// that did not wait for it makes the summary.
	mu           sync.Mutex
	start, model string
	closed       bool
	origin       time.Time
	last         float64
	seen         bool
	changes      []ModelChange
}

// NewModelTrack follows a run that started with model (in words), closed
// for the closed loop.
func NewModelTrack(model string, closed bool) *ModelTrack {
	return &ModelTrack{start: model, model: model, closed: closed}
}

// Observe takes one snapshot.
func (t *ModelTrack) Observe(s *engine.Snapshot) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if strings.HasPrefix(t.start, StagesModel) {
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
	t.model = OpenModel(v)
	if t.closed {
		t.model = ClosedModel(int(v))
	}
	at := math.Round(s.End.Sub(t.origin).Seconds()*1000) / 1000
	t.changes = append(t.changes, ModelChange{AtS: at, Model: t.model})
}

// Apply puts the model at the end, and how it changed, in r.
func (t *ModelTrack) Apply(r *Summary) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.changes) == 0 {
		return
	}
	r.ModelStart, r.Model, r.ModelChanges = t.start, t.model, slices.Clone(t.changes)
}

// writeModelChanges prints how the load model changed, nothing when it
// did not.
func (r Summary) writeModelChanges(w io.Writer) {
	if len(r.ModelChanges) == 0 {
		return
	}
	parts := []string{"started " + r.ModelStart}
	for _, c := range r.ModelChanges {
		parts = append(parts, fmt.Sprintf("at %.1fs %s", c.AtS, c.Model))
	}
	fmt.Fprintf(w, "  load model    %s\n", strings.Join(parts, "; "))
}

// OpenModel is the open loop at r req/s in words ("open loop, 500
// req/s").
func OpenModel(r float64) string { return fmt.Sprintf("open loop, %g req/s", r) }

// ClosedModel is the closed loop with n connections in words ("closed
// loop, 16 connections").
func ClosedModel(n int) string { return fmt.Sprintf("closed loop, %d connections", n) }
