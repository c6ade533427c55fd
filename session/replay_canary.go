package session

import (
	"fmt"

	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/recordings"
)

// RecordedCanary is a canary analysis as a recording's header keeps it
// (format 1.6), from which RecordingCanary rebuilds it exactly.
func RecordedCanary(c canary.Config) *recordings.CanaryAnalysis {
	return &recordings.CanaryAnalysis{IntervalS: c.Interval.Seconds(), Count: c.Count, MinSamples: c.MinSamples,
		MaxIncrease: c.MaxIncrease, MaxRatio: c.MaxRatio, DeadBandS: c.DeadBand.Seconds(), Alpha: c.Alpha,
		FailureLimit: c.FailureLimit, InconclusiveLimit: c.InconclusiveLimit, OnInconclusive: c.OnInconclusive}
}

// RecordingCanary rebuilds the canary analysis a recording's header keeps
// (RecordedCanary), or says why it cannot be (a damaged or foreign file):
// the checks the live run had.
func RecordingCanary(a *recordings.CanaryAnalysis) (canary.Config, error) {
	c := canary.Config{Interval: fromSeconds(a.IntervalS), Count: a.Count, MinSamples: a.MinSamples,
		MaxIncrease: a.MaxIncrease, MaxRatio: a.MaxRatio, DeadBand: fromSeconds(a.DeadBandS), Alpha: a.Alpha,
		FailureLimit: a.FailureLimit, InconclusiveLimit: a.InconclusiveLimit, OnInconclusive: a.OnInconclusive}
	if err := c.Validate(); err != nil {
		return canary.Config{}, fmt.Errorf("the recording's canary analysis: %w", err)
	}
	return c, nil
}

// rejudgeCanary is the replay's canary judge, first among sinks, when the
// recording keeps its canary analysis (judged); sinks alone otherwise, and
// why when the analysis cannot be rebuilt. When the live judge counted
// the intervals the generator was saturated in as inconclusive, so does
// this one, from gen (the recorded readings).
func rejudgeCanary(h recordings.Header, sinks []Sink, gen *GeneratorSink) (all []Sink, judged bool, why string) {
	if h.Canary == nil {
		return sinks, false, ""
	}
	cfg, err := RecordingCanary(h.Canary)
	if err != nil {
		return sinks, false, "the recording's canary cannot be judged again: " + err.Error()
	}
	opts := []CanaryOption{CanaryReplayed()}
	if h.Canary.GeneratorBound == "inconclusive" {
		opts = append(opts, CanaryGenerator(gen))
	}
	return append([]Sink{NewCanary(cfg, opts...)}, sinks...), true, ""
}

// judgedAgain reports a recorded canary event the replay's canary judge
// emits itself: an interval's and the decision's (the action's end is
// the live run's, replayed as recorded).
func judgedAgain(e recordings.Event) bool {
	return e.Source == recordings.FromCanary && (e.Kind == CanaryIntervalJudged || e.Kind == CanaryDecided)
}
