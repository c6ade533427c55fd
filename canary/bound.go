package canary

import "strings"

// MetricGenerator names a generator-bound interval's outcome
// (IntervalResult.Metric): the generator, not the versions, set the pace.
const MetricGenerator = "generator"

// Bound makes r inconclusive when the generator was saturated during its
// interval (reasons, the probes' reasons, non-empty): what the versions
// answered then measures the generator, so it is neither a pass nor a
// fail of the canary. The reason says so with the probes' reasons and
// what the figures alone would have decided; the figures stay. Without
// reasons r is returned as it is, and so is a fail on errors: a
// saturated generator slows what it measures, but the canary's failed
// answers are the canary's (the errors' share is judged against the
// baseline's in the same interval, so errors both versions share do not
// fail it).
func Bound(r IntervalResult, reasons []string) IntervalResult {
	if len(reasons) == 0 || (r.Outcome == Fail && r.Metric == MetricErrors) {
		return r
	}
	was := string(r.Outcome)
	if r.Metric != "" {
		was += " on " + r.Metric
	}
	r.Outcome, r.Metric = Inconclusive, MetricGenerator
	r.Reason = "generator-bound: " + strings.Join(reasons, ", ") + " (the figures alone: " + was + ")"
	return r
}
