package report

import (
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/experiments"
)

// TestStepsTableNeverStarted: a step that never started shows no time
// and no duration ("—"), not a start at 0.0s that never happened; a timed
// one keeps its scheduled time; a step that ran shows both.
func TestStepsTableNeverStarted(t *testing.T) {
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	steps := []experiments.Result{
		{Spec: "2s:scale=3", StartS: 2, DurationS: 1.5, Completed: true, From: t0.Add(2 * time.Second), To: t0.Add(3500 * time.Millisecond)},
		{Spec: "note=x", Name: "after-it", Error: "not reached: the run ended before after scale", Cut: true},
		{Spec: "9s:kill=1", StartS: 9, Error: "not reached: the run ended first", Cut: true},
	}
	var b strings.Builder
	WriteSteps(&b, steps, false)
	out := b.String()
	for _, want := range []string{"at    2.0s  for   1.5s", "after-it                 at      —  for     —", "9s:kill=1                at    9.0s  for     —"} {
		if !strings.Contains(out, want) {
			t.Errorf("steps table lacks %q:\n%s", want, out)
		}
	}
}
