// Package canary is the canary judge: pure functions that compare what the
// canary version of a service answered with what the baseline version
// answered over the same interval, under the same load, and decide over a
// series of intervals whether to promote the canary or roll it back.
//
// Each interval (Judge) tests two metrics:
//
//   - the error rate, with a one-sided test of two proportions
//     (ErrorIncrease): does the canary fail more often than the baseline by
//     more than a tolerance (max_increase, absolute)?
//   - the latency, with a one-sided Mann-Whitney U test computed from the
//     two versions' exact latency histograms (MannWhitney: rank sums over
//     buckets), and an effect-size floor: the canary fails only when the
//     test is significant and its p50 or p99 is more than max_ratio times
//     the baseline's and more than dead_band above it, so that a
//     significant but tiny difference passes (Kayenta's approach).
//
// An interval with fewer than min_samples requests in either version is
// inconclusive, never a pass. Decide applies Argo Rollouts' analysis
// semantics over the intervals: count, failure_limit, inconclusive_limit.
//
// The package knows nothing of sessions, plans or the UI: it takes
// engine.VersionStats and returns figures and one-line reasons.
package canary
