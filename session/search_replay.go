package session

import (
	"fmt"

	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
)

// Recorded is the search as a recording's header keeps it (format 1.9):
// enough for RecordingSearch to rebuild the sink that judges the steps
// again from the frames.
func (s *SearchSink) Recorded() *recordings.Search {
	return &recordings.Search{FromRPS: s.search.From, Step: s.search.Step, StepPercent: s.search.StepPercent,
		HoldS: s.search.Hold.Seconds(), MaxRPS: s.search.Max, Until: RecordedThresholds(s.until),
		TargetInProcess: s.cpuShared}
}

// RecordingSearch rebuilds the search sink of a recording's header
// (Recorded), nil without one, or says why it cannot be (the checks the
// live run had). In a replay it has no engine: it judges the steps on the
// rates recorded, as the live one did.
func RecordingSearch(recorded *recordings.Search) (*SearchSink, error) {
	if recorded == nil {
		return nil, nil
	}
	until, err := RecordingThresholds(recorded.Until)
	if err != nil {
		return nil, err
	}
	s := experiments.Search{From: recorded.FromRPS, Step: recorded.Step, StepPercent: recorded.StepPercent,
		Hold: fromSeconds(recorded.HoldS), Max: recorded.MaxRPS}
	var opts []SearchOption
	if recorded.TargetInProcess {
		opts = append(opts, TargetInProcess())
	}
	sink, err := NewSearch(s, until, opts...)
	if err != nil {
		return nil, fmt.Errorf("the recording's search: %w", err)
	}
	return sink, nil
}

// rejudgeSearch is the search's sink of a recording that keeps it
// (format 1.9) and is judged again, nil otherwise, and why when it cannot
// be rebuilt.
func rejudgeSearch(h recordings.Header, judged bool) (*SearchSink, string) {
	if h.Search == nil || !judged {
		return nil, ""
	}
	s, err := RecordingSearch(h.Search)
	if err != nil {
		return nil, "the recording's capacity search cannot be judged again: " + err.Error()
	}
	return s, ""
}
