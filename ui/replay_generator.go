package ui

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/session"
)

// recordedProbe is the generator probes' sample and judgement from a
// recorded event on.
type recordedProbe struct {
	at  time.Time
	smp probes.GeneratorSample
	sat probes.Saturation
}

// recordedGenerator is the generator probes' sample and judgement as the
// recording's generator events say they stood at the frame being fed
// (now). A 1.7 recording keeps each second's reading
// ("generator-sampled", with the sample): the saturation panel shows the
// latest, as the live one did. An older one keeps only the judgement's
// changes: after a "generator-saturated" event generator-bound with its
// reasons, after a "generator-recovered" one keeping up, and its sample
// carries only the event's time (no figures: no saturation panel).
// Before the first such event (and in a file of none) the sample is
// zero, and the generator panel judges from the frames.
func recordedGenerator(events []recordings.Event, now func() time.Time) func() (probes.GeneratorSample, probes.Saturation) {
	var readings, changes []recordedProbe
	for _, e := range events {
		if e.Source != recordings.FromGenerator {
			continue
		}
		switch e.Kind {
		case session.GeneratorSampled:
			var r session.GeneratorReading
			if json.Unmarshal(e.Data, &r) == nil && !r.Sample.At.IsZero() {
				readings = append(readings, recordedProbe{at: e.Time, smp: r.Sample, sat: r.Saturation()})
			}
		case session.GeneratorSaturated:
			changes = append(changes, recordedProbe{at: e.Time, smp: probes.GeneratorSample{At: e.Time},
				sat: probes.Saturation{Saturated: true, Reasons: recordedReasons(e.Message)}})
		case session.GeneratorRecovered:
			changes = append(changes, recordedProbe{at: e.Time, smp: probes.GeneratorSample{At: e.Time},
				sat: probes.Saturation{Reasons: []string{}}})
		}
	}
	probed := changes
	if len(readings) > 0 { // each carries its judgement: the changes add nothing
		probed = readings
	}
	return func() (probes.GeneratorSample, probes.Saturation) {
		t := now()
		n := sort.Search(len(probed), func(i int) bool { return probed[i].at.After(t) })
		if n == 0 {
			return probes.GeneratorSample{}, probes.Saturation{Reasons: []string{}}
		}
		return probed[n-1].smp, probed[n-1].sat
	}
}

// recordedReasons are the reasons of a generator-saturated event's
// message ("the generator sets the pace: cpu 1.96 of 2 cores, 120 sends
// late").
func recordedReasons(msg string) []string {
	_, list, ok := strings.Cut(msg, ": ")
	if !ok || list == "" {
		return []string{msg}
	}
	return strings.Split(list, ", ")
}
