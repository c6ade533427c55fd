package session

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
)

// recordedSteps are the session's steps as their last recorded update left
// them, measured from the recording's frames (ticks) as the live runner
// measured them from the same snapshots (experiments.Measure); a step
// still running, a fault still in effect, or a step not reached when the
// recording ended (at end) is marked so and measured up to that end.
func recordedSteps(rec *recordings.Recording, ticks []experiments.Tick, end time.Time) []experiments.Result {
	last := map[string]experiments.Result{}
	for _, e := range rec.Events {
		var r experiments.Result
		if e.Source != recordings.FromStep || json.Unmarshal(e.Data, &r) != nil {
			continue
		}
		last[r.Label()] = r
	}
	for spec, r := range last {
		last[spec] = r.CutAt(end, "the recording ended").Measured(ticks)
	}
	specs := rec.Header.Steps // 1.4: as data
	if v := rec.Header.Config["step"]; specs == nil && v != "" {
		specs = strings.Split(v, "; ") // older files: the --step flags' text
	}
	parsed, err := experiments.ParseSteps(specs) // in time order, as the runner had them
	if rec.HeaderDamage != "" || err != nil {
		// The steps' specs were lost with the settings, or are a plan's
		// (after: and when: steps, load actions): those the events tell,
		// in time order.
		steps := make([]experiments.Result, 0, len(last))
		for _, r := range last {
			steps = append(steps, r)
		}
		sort.Slice(steps, func(i, j int) bool {
			return steps[i].StartS < steps[j].StartS || steps[i].StartS == steps[j].StartS && steps[i].Spec < steps[j].Spec
		})
		return steps
	}
	bySpec := map[string]experiments.Result{} // a plan's at: steps are named, and keyed so
	for _, r := range last {
		bySpec[r.Spec] = r
	}
	steps := []experiments.Result{}
	for _, s := range parsed {
		r, ok := bySpec[s.Spec]
		if !ok {
			r = experiments.Result{Spec: s.Spec, Action: s.Action, StartS: s.At.Seconds(),
				Error: "not reached: the recording ended before " + s.At.String(), Cut: true}
		}
		steps = append(steps, r)
	}
	return steps
}
