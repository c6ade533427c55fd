package ui

import (
	"strings"
	"time"

	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/recordings"
)

// recordedGenerator is the generator probes' judgement as the recording's
// generator events (1.6) say it stood at the frame being fed (now): after
// a "generator-saturated" event generator-bound with its reasons, after a
// "generator-recovered" one keeping up. Before the first such event (and
// in an older file, which has none) its sample is zero, and the generator
// panel judges from the frames. The sample carries only the event's time:
// a recording keeps no probes' figures, so the saturation panel is not
// shown in a replay.
func recordedGenerator(events []recordings.Event, now func() time.Time) func() (probes.GeneratorSample, probes.Saturation) {
	return func() (probes.GeneratorSample, probes.Saturation) {
		var smp probes.GeneratorSample
		sat := probes.Saturation{Reasons: []string{}}
		t := now()
		for _, e := range events {
			if e.Time.After(t) {
				break
			}
			if e.Source != recordings.FromGenerator {
				continue
			}
			switch e.Kind {
			case "generator-saturated":
				smp.At = e.Time
				sat = probes.Saturation{Saturated: true, Reasons: recordedReasons(e.Message)}
			case "generator-recovered":
				smp.At = e.Time
				sat = probes.Saturation{Reasons: []string{}}
			}
		}
		return smp, sat
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
