package report

import (
	"fmt"
	"io"

	"github.com/scalelab/scalelab/experiments"
)

// ExitFailed is the exit code of a run whose verdict failed (a step or a
// threshold), as the steps table says.
const ExitFailed = 99

// WriteSteps prints the steps table of the text summary: each step's
// action time and, for a lasting fault, its effect's, then what the load
// measured over the span (the action or the effect, whichever is longer).
// recorded says the steps are a recording's: its verdict is the recorded
// run's (a replay shows, it does not judge).
func WriteSteps(w io.Writer, steps []experiments.Result, recorded bool) {
	if len(steps) == 0 {
		return
	}
	fmt.Fprintf(w, "\n  steps (measured over the action, or a fault's effect until it ended)\n")
	failed := 0
	for _, s := range steps {
		state := "completed"
		switch {
		case s.StepFailed():
			state = "step failed: " + s.Error
			failed++
		case !s.Completed:
			state = "not completed: " + s.Error
		}
		if s.Until != "" {
			state += fmt.Sprintf("; effect %.1fs until %s", s.EffectS, s.Until)
		}
		avail := "no requests"
		if s.Availability != nil {
			avail = fmt.Sprintf("availability %.3f%%", *s.Availability*100)
		}
		at, took := fmt.Sprintf("%6.1fs", s.StartS), fmt.Sprintf("%5.1fs", s.DurationS)
		if s.From.IsZero() && s.Error != "" && !s.Completed {
			// Never started: a triggered step's time is not known, a timed
			// one's is its schedule, and it ran for no time.
			if s.StartS == 0 {
				at = "     —"
			}
			took = "    —"
		}
		fmt.Fprintf(w, "    %-24s at %s  for %s  %6d requests  %4d failed  %4d transport errors  %-21s  %s\n",
			s.Label(), at, took, s.Requests, s.Failed, s.Errors, avail, state)
	}
	if failed > 0 {
		if recorded {
			fmt.Fprintf(w, "\n  %d of %d steps failed: the recorded run's verdict failed (it exited %d)\n", failed, len(steps), ExitFailed)
		} else {
			fmt.Fprintf(w, "\n  %d of %d steps failed: the run's verdict fails (exit code %d)\n", failed, len(steps), ExitFailed)
		}
	}
}
