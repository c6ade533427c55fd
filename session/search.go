package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
)

// SearchResult is what a capacity search found.
type SearchResult struct {
	// HighestHeld is the highest rate that held every until threshold
	// with the generator keeping up; Found is false when none did (even
	// the first rate failed), HighestHeld then 0.
	HighestHeld float64
	Found       bool
	// StoppedBy says why the search stopped (StoppedByThreshold, ...).
	StoppedBy string
	// Steps are the rates judged, in order; the last is the one that
	// stopped the search unless it stopped by max, duration or a stop (a
	// step cut short is not judged and not in it).
	Steps []SearchStep
}

// SearchSink runs a capacity search (a plan's search): the load starts at
// the search's From (the caller gives the engine that rate and a window
// long enough, SearchWindow); each step lasts from the end of the tick
// that ended the previous one to the first tick that ends Hold or more
// after it. Its ticks past the warm-up (SearchWarmUp) are judged with
// the until thresholds, by a Judge of that step alone. A step held when
// the generator kept up with it (generatorLimit) and every threshold
// held: the rate goes up to the next (experiments.Search.Next) through
// Info.Engine. The first step that did not hold, or a next rate above
// Max, ends the search and stops the load (Control.Stop). In a replay
// (no Engine) the steps are judged the same, on the rates recorded.
type SearchSink struct {
	search    experiments.Search
	until     []analysis.Threshold
	cpuShared bool
	onStep    func(SearchStep)

	eng     Load
	control Control
	window  time.Duration

	origin  time.Time
	last    time.Duration
	rate    float64
	start   time.Duration // the current step's start, from origin
	judge   *analysis.Judge
	agg     *engine.Snapshot
	cpu     float64 // CPU use times seconds over the judged ticks
	cpuSecs float64
	cpuAll  bool // every judged tick's CPU was measured
	spans   []stepMark
	pending []Event
	done    bool
	res     SearchResult
}

// stepMark is a plan step starting or ending, for each step's judge.
type stepMark struct {
	name    string
	at      time.Duration
	started bool
}

var (
	_ Sink     = (*SearchSink)(nil)
	_ Finisher = (*SearchSink)(nil)
)

// SearchOption configures a SearchSink.
type SearchOption func(*SearchSink)

// TargetInProcess says that the target runs in this process (scalelab
// demo's fleet), so that the process's CPU and the sends' lag are not
// the generator's alone and do not judge whether it kept up (dropped
// sends still do).
func TargetInProcess() SearchOption { return func(s *SearchSink) { s.cpuShared = true } }

// OnSearchStep calls f with each step as it is judged, from inside the
// sink's Tick (f must return quickly).
func OnSearchStep(f func(SearchStep)) SearchOption { return func(s *SearchSink) { s.onStep = f } }

// NewSearch returns the sink that runs the search s judged by until (the
// search's until thresholds, parsed; their abortOnFail is ignored: a
// failure ends the search anyway), or what is wrong with them.
func NewSearch(s experiments.Search, until []analysis.Threshold, opts ...SearchOption) (*SearchSink, error) {
	var errs []error
	if s.From <= 0 || s.Step <= 0 || s.Max < s.From {
		errs = append(errs, fmt.Errorf("search: from %g, step %g, max %g: want from above 0, a step above 0 and max at least from", s.From, s.Step, s.Max))
	}
	if s.Hold < MinSearchHold {
		errs = append(errs, fmt.Errorf("search: hold %s: at least %s (a step is judged after its warm-up, over two ticks or more)", s.Hold, MinSearchHold))
	}
	if len(until) == 0 {
		errs = append(errs, errors.New("search: no until thresholds"))
	}
	th := make([]analysis.Threshold, len(until))
	for i, t := range until {
		t.AbortOnFail, t.DelayAbortEval = false, 0
		th[i] = t
	}
	if _, err := analysis.NewJudge(th); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ss := &SearchSink{search: s, until: th, rate: s.From}
	for _, o := range opts {
		o(ss)
	}
	return ss, nil
}

// SearchWindow is the sending window that holds every rate of s, up to
// MaxSearchWindow: each step may end up to a tick past its hold.
func SearchWindow(s experiments.Search) time.Duration {
	step := (s.Hold + Interval - 1) / Interval * Interval
	n := time.Duration(len(s.Rates()))
	if n == 0 || step > MaxSearchWindow/n {
		return MaxSearchWindow
	}
	return min(n*step+Interval, MaxSearchWindow)
}

// warmUp is the part of each step left out: SearchWarmUp, or half the
// hold when that is shorter than two warm-ups.
func (s *SearchSink) warmUp() time.Duration { return min(SearchWarmUp, s.search.Hold/2) }

// Open keeps the engine and the Control; a closed loop is refused (a
// search sets a rate).
func (s *SearchSink) Open(i Info) error {
	if i.Closed {
		return errors.New("search: a capacity search sets an open loop's rate; this load is a closed loop")
	}
	s.eng, s.control, s.window = i.Engine, i.Control, i.Window
	s.newStep(0)
	return nil
}

// newStep starts a step at the offset at.
func (s *SearchSink) newStep(at time.Duration) {
	s.start = at
	s.judge, _ = analysis.NewJudge(s.until) // checked by NewSearch
	for _, m := range s.spans {
		s.mark(m)
	}
	s.agg = engine.NewSnapshot()
	s.cpu, s.cpuSecs, s.cpuAll = 0, 0, true
}

func (s *SearchSink) mark(m stepMark) {
	if m.started {
		s.judge.StepStarted(m.name, m.at)
	} else {
		s.judge.StepEnded(m.name, m.at)
	}
}

// Tick judges the tick as part of the current step, and ends the step
// once it was held for Hold.
func (s *SearchSink) Tick(k Tick) {
	if s.done {
		return
	}
	snap := k.Snapshot
	if s.origin.IsZero() {
		s.origin = snap.Start
		for _, e := range s.pending {
			s.Event(e)
		}
		s.pending = nil
	}
	s.last = snap.End.Sub(s.origin)
	if s.last > s.start+s.warmUp() {
		s.judge.Observe(s.last, snap)
		s.agg.Merge(snap)
		secs := snap.Elapsed().Seconds()
		s.cpuSecs += secs
		s.cpu += k.CPU * secs
		s.cpuAll = s.cpuAll && k.CPUKnown
	}
	if s.last >= s.start+s.search.Hold {
		s.endStep()
	}
}

// endStep judges the step that just ended and goes on or stops.
func (s *SearchSink) endStep() {
	st := s.measured()
	st.Generator = generatorLimit(st, s.cpuShared)
	next := s.search.Next(s.rate)
	held, stop := searchDecision(st, next, s.search.Max)
	st.Held = held
	if held {
		s.res.HighestHeld, s.res.Found = st.Rate, true
	}
	s.res.Steps = append(s.res.Steps, st)
	if s.onStep != nil {
		s.onStep(st)
	}
	if stop == "" && s.eng != nil {
		if err := s.eng.SetRate(next); err != nil {
			stop = StoppedByStop
			s.control.Stop(fmt.Sprintf("capacity search: %v", err))
		}
	}
	if stop != "" {
		s.done, s.res.StoppedBy = true, stop
		s.control.Stop("capacity search: " + stopReason(st, stop))
		return
	}
	s.rate = next
	s.newStep(s.last)
}

// stopReason says why the search stopped after st, in a few words.
func stopReason(st SearchStep, stop string) string {
	switch stop {
	case StoppedByGenerator:
		return fmt.Sprintf("%g req/s: the generator did not keep up (%s)", st.Rate, st.Generator)
	case StoppedByThreshold:
		f, _ := st.Failing()
		return fmt.Sprintf("%g req/s failed %s (%s)", st.Rate, f.Threshold, f.Text)
	case StoppedByMax:
		return fmt.Sprintf("%g req/s held, the highest rate up to max", st.Rate)
	}
	return stop
}

// measured is the current step as measured over its judged span.
func (s *SearchSink) measured() SearchStep {
	a := s.agg
	st := SearchStep{Rate: s.rate, Start: s.start, End: s.last, Judged: s.last - s.start - s.warmUp(),
		Requests: a.Requests, Failed: a.Failed(), Dropped: a.Dropped, Late: a.Late,
		Statuses: s.judge.Evaluate(s.last)}
	if secs := s.cpuSecs; secs > 0 {
		st.Achieved = float64(a.Requests) / secs
		st.CPU, st.CPUKnown = s.cpu/secs, s.cpuAll
	}
	if a.Requests > 0 {
		st.MeanLag = a.LagSum / time.Duration(a.Requests)
		st.Availability = float64(a.Requests-st.Failed) / float64(a.Requests)
	}
	if a.Latency == nil || a.Latency.TotalCount() == 0 {
		st.NoLatency = true
	} else {
		st.P50 = time.Duration(a.Latency.ValueAtQuantile(50)) * time.Microsecond
		st.P99 = time.Duration(a.Latency.ValueAtQuantile(99)) * time.Microsecond
	}
	return st
}

// Event tells each step's judge of the plan's steps starting and ending
// (for until thresholds with a {step:NAME} filter).
func (s *SearchSink) Event(e Event) {
	if e.Step == nil {
		return
	}
	if s.origin.IsZero() {
		s.pending = append(s.pending, e)
		return
	}
	m := stepMark{name: e.Step.Label(), at: max(e.Time.Sub(s.origin), 0)}
	switch e.Kind {
	case "started":
		m.started = true
	case "completed", "failed", "effect-ended":
		if e.Kind == "completed" && lasting(*e.Step) {
			return
		}
	default:
		return
	}
	s.spans = append(s.spans, m)
	if s.judge != nil {
		s.mark(m)
	}
}

// Finish ends a search the load's end cut short: by the window when
// its last tick reached the window's end and nothing stopped the load
// (StoppedByDuration), else by the stop (the step in progress is not
// judged), and puts the search's result in res.Search.
func (s *SearchSink) Finish(res *Result) {
	if !s.done {
		s.done = true
		s.res.StoppedBy = StoppedByStop
		if res.Stopped == "" && s.window > 0 && s.last >= s.window-Interval {
			s.res.StoppedBy = StoppedByDuration
		}
	}
	r := s.res
	res.Search = &r
}

// Close does nothing.
func (s *SearchSink) Close(*Result) error { return nil }

// Result is the search's result: final once the session finished.
func (s *SearchSink) Result() SearchResult { return s.res }
