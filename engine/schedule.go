package engine

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Stage is one step of an open-loop rate plan: the rate ramps linearly from
// the previous stage's rate (0 before the first stage) to Rate over Duration.
type Stage struct {
	Duration time.Duration
	Rate     float64
}

// ParseStages parses a plan such as "10s:100,30s:5000,10s:0" and checks
// it as New does (each duration positive, each rate finite in 0..MaxRate,
// the total within a hundred years), naming the stage that is wrong.
func ParseStages(s string) ([]Stage, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New(`stage "": empty; want DURATION:RATE,... such as 10s:100,30s:5000`)
	}
	var stages []Stage
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		d, r, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("stage %q: want DURATION:RATE, such as 10s:100", part)
		}
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur <= 0 {
			return nil, fmt.Errorf("stage %q: duration must be positive, such as 10s", part)
		}
		rate, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if errors.Is(err, strconv.ErrRange) && math.Abs(rate) <= 1 {
			err = nil // an underflow (1e-400): as good as 0
		}
		switch {
		case errors.Is(err, strconv.ErrRange):
			err = errors.New("must be a finite number") // 1e309 parses as +Inf
		case err != nil:
			err = errors.New("must be a number, such as 100")
		default:
			err = checkRate(rate)
		}
		if err != nil {
			return nil, fmt.Errorf("stage %q: rate %w", part, err)
		}
		stages = append(stages, Stage{Duration: dur, Rate: rate})
	}
	if errs := checkStages(stages); len(errs) > 0 {
		return nil, errs[0] // only the total is left to refuse: one line
	}
	return stages, nil
}

// StagesDuration is the total duration of a stage plan.
func StagesDuration(stages []Stage) time.Duration {
	var total time.Duration
	for _, s := range stages {
		total += s.Duration
	}
	return total
}

// segment is a stretch of the schedule where the rate moves linearly from r0
// to r1 (requests per second) over dur seconds, starting at start seconds,
// with n0 requests due before it.
type segment struct {
	start, dur float64 // seconds; dur is +Inf for an open-ended segment
	r0, r1     float64
	n0         float64
}

// count is the number of requests due from the segment's start to its
// offset tau seconds.
func (s segment) count(tau float64) float64 {
	if tau > s.dur {
		tau = s.dur
	}
	if s.dur == 0 {
		return 0
	}
	if math.IsInf(s.dur, 1) {
		return s.r0 * tau
	}
	return s.r0*tau + (s.r1-s.r0)/s.dur*tau*tau/2
}

// rateAt is the rate at offset tau seconds into the segment.
func (s segment) rateAt(tau float64) float64 {
	if math.IsInf(s.dur, 1) || s.dur == 0 {
		return s.r0
	}
	return s.r0 + (s.r1-s.r0)*tau/s.dur
}

// solve returns the offset into the segment at which c more requests (after
// the segment's start) are due, or false when that does not happen in it.
func (s segment) solve(c float64) (float64, bool) {
	if c <= 0 {
		return 0, true
	}
	if s.dur == 0 {
		return 0, false
	}
	var tau float64
	a := 0.0
	if !math.IsInf(s.dur, 1) {
		a = (s.r1 - s.r0) / s.dur
	}
	if math.Abs(a) < 1e-12 {
		if s.r0 <= 0 {
			return 0, false
		}
		tau = c / s.r0
	} else {
		disc := s.r0*s.r0 + 2*a*c
		if disc < 0 {
			return 0, false
		}
		// Stable form of (-r0 + sqrt(disc)) / a.
		den := s.r0 + math.Sqrt(disc)
		if den <= 0 {
			return 0, false
		}
		tau = 2 * c / den
	}
	if tau > s.dur {
		return 0, false
	}
	return tau, true
}

// schedule maps request numbers to intended send times for the open loop.
// The k-th request (from 0) is due when the cumulative count reaches k+0.5,
// so a constant rate r over d seconds sends round(r*d) requests. It is used
// by one goroutine only.
type schedule struct {
	segs []segment
	cur  int
}

// newSchedule builds a schedule from stages, or a constant rate when stages
// is empty.
func newSchedule(rate float64, stages []Stage) *schedule {
	sc := &schedule{}
	if len(stages) == 0 {
		sc.segs = []segment{{start: 0, dur: math.Inf(1), r0: rate, r1: rate}}
		return sc
	}
	prev, start, n := 0.0, 0.0, 0.0
	for _, st := range stages {
		seg := segment{start: start, dur: st.Duration.Seconds(), r0: prev, r1: st.Rate, n0: n}
		sc.segs = append(sc.segs, seg)
		n += seg.count(seg.dur)
		start += seg.dur
		prev = st.Rate
	}
	// Past the plan the rate holds at the last stage's; the run window ends
	// there anyway.
	sc.segs = append(sc.segs, segment{start: start, dur: math.Inf(1), r0: prev, r1: prev, n0: n})
	return sc
}

// at returns the intended send time of request k in seconds from the start,
// or +Inf when it is never due. Calls must have non-decreasing k.
func (sc *schedule) at(k uint64) float64 {
	t, cur := sc.find(k, sc.cur)
	sc.cur = cur
	return t
}

// find returns the intended send time of request k, searching the
// segments from the one at index from, and the index of the segment
// where it is due (or the last one).
func (sc *schedule) find(k uint64, from int) (float64, int) {
	target := float64(k) + 0.5
	for i := from; i < len(sc.segs); i++ {
		s := sc.segs[i]
		if tau, ok := s.solve(target - s.n0); ok {
			return s.start + tau, i
		}
	}
	return math.Inf(1), len(sc.segs) - 1
}

// countAt is the cumulative count of requests due by t seconds from the
// start (the k-th is due when it reaches k+0.5).
func (sc *schedule) countAt(t float64) float64 {
	for i := len(sc.segs) - 1; i >= 0; i-- {
		if s := sc.segs[i]; t >= s.start {
			return s.n0 + s.count(t-s.start)
		}
	}
	return 0
}

// dueBefore is the number of requests due before offset w: the first
// request number whose intended send (as an offset, see toOffset) is at w
// or later. It is worked out from the count, not by walking the requests
// (at the largest rate over a long window they are billions), and leaves
// the cursor of at alone.
func (sc *schedule) dueBefore(w time.Duration) uint64 {
	if w <= 0 {
		return 0
	}
	var k uint64
	if n := math.Ceil(sc.countAt(w.Seconds()) - 0.5); n > 0 {
		k = uint64(n)
	}
	// The count and the offsets are rounded: step to the exact boundary,
	// a request or two away.
	for k > 0 && toOffset(sc.timeOf(k-1)) >= w {
		k--
	}
	for toOffset(sc.timeOf(k)) < w {
		k++
	}
	return k
}

// timeOf is the intended send time of request k, as at, for any k.
func (sc *schedule) timeOf(k uint64) float64 {
	t, _ := sc.find(k, 0)
	return t
}

// rateAt returns the scheduled rate at t seconds from the start.
func (sc *schedule) rateAt(t float64) float64 {
	for i := len(sc.segs) - 1; i >= 0; i-- {
		if s := sc.segs[i]; t >= s.start {
			return s.rateAt(t - s.start)
		}
	}
	return 0
}

// setRate replaces the plan from t seconds on by a constant rate, keeping the
// cumulative count continuous so no request is skipped or doubled.
func (sc *schedule) setRate(t, rate float64) {
	i := len(sc.segs) - 1
	for i > 0 && sc.segs[i].start > t {
		i--
	}
	s := sc.segs[i]
	tau := math.Max(t-s.start, 0)
	n := s.n0 + s.count(tau)
	s.r1 = s.rateAt(tau)
	s.dur = tau
	sc.segs = append(sc.segs[:i], s, segment{start: t, dur: math.Inf(1), r0: rate, r1: rate, n0: n})
	if sc.cur > i {
		sc.cur = i
	}
}
