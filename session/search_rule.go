package session

import (
	"fmt"
	"time"

	"github.com/scalelab/scalelab/analysis"
)

// The capacity search's timing (docs/plans.md, search).
const (
	// SearchWarmUp is how much of each step's start the search leaves
	// out of its judgement (half the hold when the hold is shorter than
	// two of it): the rate just changed, and the queues settle.
	SearchWarmUp = time.Second
	// MinSearchHold is the shortest hold a search runs: a step is judged
	// over two ticks or more after its warm-up, never one.
	MinSearchHold = time.Second
	// MaxSearchWindow caps a search's sending window: a search with more
	// steps than fit stops by StoppedByDuration.
	MaxSearchWindow = time.Hour
)

// The bounds of the generator keeping up with a step: beyond any of
// them, the step measured the generator, not the service.
const (
	// SearchMaxDropped is the share of a step's sends (answered, failed
	// and dropped) that may be dropped.
	SearchMaxDropped = 0.001
	// SearchMaxLag is the mean scheduling lag of a step's sends (actual
	// minus intended send) beyond which the generator no longer keeps its
	// schedule. Not the late share (sends over 1 ms behind): on a busy
	// 2-core machine 2% to 35% of sends are late at rates the generator
	// sends in full, with no drop, as a target's CPU takes turns with it.
	SearchMaxLag = 5 * time.Millisecond
	// SearchMaxCPU is the process's mean CPU use over the step, as a
	// share of its processors, at which the generator is out of CPU.
	SearchMaxCPU = 0.9
)

// Why a search stopped (SearchResult.StoppedBy). Their spellings are
// kept: the JSON summary has them.
const (
	// StoppedByThreshold: a step failed an until threshold.
	StoppedByThreshold = "threshold"
	// StoppedByGenerator: the generator did not keep up with a step's
	// rate (dropped, late or out of CPU): its limit, not the service's.
	StoppedByGenerator = "generator"
	// StoppedByMax: every rate up to max held.
	StoppedByMax = "max"
	// StoppedByDuration: the sending window (--duration, or the cap)
	// ended before the search did.
	StoppedByDuration = "duration"
	// StoppedByStop: the load was stopped before the search ended (the
	// operator, a plan's stop step, an abortOnFail threshold).
	StoppedByStop = "stopped"
)

// SearchStep is one rate of a capacity search, as held and judged.
type SearchStep struct {
	// Rate is the rate asked for, in requests per second.
	Rate float64
	// Start and End bound the step, from the load's start; Judged is the
	// span judged, its end less the warm-up.
	Start, End, Judged time.Duration
	// Requests, Failed, Dropped and Late count the judged span's
	// requests, as the load's summary does; MeanLag is its sends' mean
	// scheduling lag.
	Requests, Failed, Dropped, Late uint64
	MeanLag                         time.Duration
	// Achieved is the judged span's requests a second.
	Achieved float64
	// P50 and P99 are its latency percentiles (timed from the intended
	// send); NoLatency says it had no request to time.
	P50, P99  time.Duration
	NoLatency bool
	// Availability is (Requests - Failed) / Requests, 0 without requests.
	Availability float64
	// CPU is the process's mean CPU use over the judged span, a share of
	// its processors; CPUKnown is false when it was not measured.
	CPU      float64
	CPUKnown bool
	// Statuses are the until thresholds' statuses over the judged span.
	Statuses []analysis.Status
	// Generator says why the generator did not keep up ("4.2% of sends
	// late"), empty when it did.
	Generator string
	// Held is set when the generator kept up and every threshold held.
	Held bool
}

// Failing is the first until threshold the step failed; ok is false when
// none did.
func (s SearchStep) Failing() (st analysis.Status, ok bool) {
	for _, st := range s.Statuses {
		if !st.OK {
			return st, true
		}
	}
	return analysis.Status{}, false
}

// sends is what the step was due to send: answered, failed and dropped.
func (s SearchStep) sends() uint64 { return s.Requests + s.Dropped }

// generatorLimit says why the generator did not keep up with the step:
// dropped sends or their mean lag beyond their bounds, or its CPU at
// SearchMaxCPU. When cpuShared (the target runs in this process, as the
// demo's fleet) only the drops count: the process's CPU and the sends'
// lag are then the target's doing as much as the generator's (measured:
// a CPU-bound fleet at 150 req/s, 17% of the CPU, put the sends 14 ms
// behind on a loaded machine). Empty when it kept up.
func generatorLimit(s SearchStep, cpuShared bool) string {
	n := float64(s.sends())
	switch {
	case n > 0 && float64(s.Dropped) > SearchMaxDropped*n:
		return fmt.Sprintf("%s of sends dropped", share(float64(s.Dropped)/n))
	case cpuShared:
		return ""
	case s.MeanLag > SearchMaxLag:
		return fmt.Sprintf("sends %s behind schedule on average", s.MeanLag.Round(10*time.Microsecond))
	case s.CPUKnown && s.CPU >= SearchMaxCPU:
		return fmt.Sprintf("CPU at %s of its cores", share(s.CPU))
	}
	return ""
}

func share(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

// searchDecision is the stopping rule: after step s (its Generator and
// Statuses filled), whether it held and what stops the search (empty:
// go on to next, the rate after s's). The generator comes first: a step
// it could not send says nothing of the service, whatever the
// thresholds measured.
func searchDecision(s SearchStep, next, max float64) (held bool, stop string) {
	switch _, failing := s.Failing(); {
	case s.Generator != "":
		return false, StoppedByGenerator
	case failing:
		return false, StoppedByThreshold
	case next > max:
		return true, StoppedByMax
	}
	return true, ""
}
