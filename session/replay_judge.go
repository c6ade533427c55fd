package session

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/recordings"
)

// RecordedThresholds are ths as a recording's header keeps them (format
// 1.5): each one's metric and expression as written and its options, from
// which RecordingThresholds rebuilds it exactly. None is an empty list,
// not nil: a replay then judges the steps alone.
func RecordedThresholds(ths []analysis.Threshold) []recordings.Threshold {
	out := make([]recordings.Threshold, 0, len(ths))
	for _, t := range ths {
		out = append(out, recordings.Threshold{Metric: t.Metric.String(), Expr: t.Source,
			AbortOnFail: t.AbortOnFail, DelayAbortEvalS: t.DelayAbortEval.Seconds(), WindowS: t.Window.Seconds(),
			RecoverS: t.Recover.Seconds(), RecoverAfter: t.RecoverAfter, AllowNoData: t.AllowNoData})
	}
	return out
}

// RecordingThresholds rebuilds the thresholds a recording's header keeps
// (RecordedThresholds), in their order, or says which cannot be (a
// damaged or foreign file): the parser and the checks the live run had.
func RecordingThresholds(recorded []recordings.Threshold) ([]analysis.Threshold, error) {
	out := make([]analysis.Threshold, 0, len(recorded))
	var errs []error
	for i, r := range recorded {
		th, err := analysis.ParseThreshold(r.Metric, r.Expr)
		if err != nil {
			errs = append(errs, fmt.Errorf("threshold %d: %w", i+1, err))
			continue
		}
		th.AbortOnFail, th.AllowNoData, th.RecoverAfter = r.AbortOnFail, r.AllowNoData, r.RecoverAfter
		th.DelayAbortEval, th.Window, th.Recover = fromSeconds(r.DelayAbortEvalS), fromSeconds(r.WindowS), fromSeconds(r.RecoverS)
		for _, e := range th.Validate() {
			errs = append(errs, fmt.Errorf("threshold %d (%s): %w", i+1, th, e))
		}
		out = append(out, th)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// fromSeconds is a duration written in seconds, to the nanosecond it was
// (a float64 of seconds keeps every duration under 104 days to the
// nanosecond once rounded).
func fromSeconds(s float64) time.Duration {
	if s <= 0 || math.IsNaN(s) || s > math.MaxInt64/1e9 {
		return 0
	}
	return time.Duration(math.Round(s * 1e9))
}

// RecordedSteadyState is ss as a recording's header keeps it (format
// 1.8), nil without one.
func RecordedSteadyState(ss *SteadyState) *recordings.SteadyState {
	if ss == nil {
		return nil
	}
	return &recordings.SteadyState{BeforeS: ss.Before.Seconds(), AfterS: ss.After.Seconds(), Thresholds: RecordedThresholds(ss.Thresholds)}
}

// RecordingSteadyState rebuilds the steady state a recording's header
// keeps (RecordedSteadyState), nil without one, or says why it cannot be
// (the checks the live run had).
func RecordingSteadyState(recorded *recordings.SteadyState) (*SteadyState, error) {
	if recorded == nil {
		return nil, nil
	}
	ths, err := RecordingThresholds(recorded.Thresholds)
	if err != nil {
		return nil, err
	}
	ss := &SteadyState{Before: fromSeconds(recorded.BeforeS), After: fromSeconds(recorded.AfterS), Thresholds: ths}
	if err := ss.check(); err != nil {
		return nil, err
	}
	return ss, nil
}
