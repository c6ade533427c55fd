package analysis

// Verdict is a run's outcome as plans judge it. Its spellings are kept:
// the JSON summary, the JUnit output and outside checks rely on them.
type Verdict string

// The verdicts.
const (
	// VerdictPass: every threshold held and every step ran.
	VerdictPass Verdict = "pass"
	// VerdictFail: a threshold failed (or had no data, not allowed) or a
	// step could not run.
	VerdictFail Verdict = "fail"
	// VerdictAborted: a threshold with abortOnFail stopped the run.
	VerdictAborted Verdict = "aborted"
	// VerdictSteadyStateNotMet: the steady state did not hold before the
	// first step, so no step ran (the caller judges the steady state's
	// thresholds with their own Judge and gives this verdict itself).
	VerdictSteadyStateNotMet Verdict = "steady-state-not-met"
)

// VerdictOf combines the thresholds' final statuses and the number of
// steps that could not run into a verdict: aborted when a status asked to
// abort, fail when a threshold is not OK or a step failed, pass
// otherwise.
func VerdictOf(statuses []Status, failedSteps int) Verdict {
	v := VerdictPass
	if failedSteps > 0 {
		v = VerdictFail
	}
	for _, s := range statuses {
		if s.Abort {
			return VerdictAborted
		}
		if !s.OK {
			v = VerdictFail
		}
	}
	return v
}
