package session

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/experiments"
)

// The kinds of the judge's events (FromJudge).
const (
	// ThresholdFailed: a threshold that held (or had not been judged yet)
	// no longer does: its value fails, or it has no data.
	ThresholdFailed = "threshold-failed"
	// ThresholdPassed: a threshold that failed holds again (a windowed one
	// never does: it must hold at every evaluation).
	ThresholdPassed = "threshold-passed"
	// Aborted: an abortOnFail threshold failed after its delayAbortEval,
	// and the judge stopped the load.
	Aborted = "aborted"
)

// Abort is the breach that stopped a run: which abortOnFail threshold,
// what it measured, and when.
type Abort struct {
	// Threshold is the threshold that breached, Status its status then.
	Threshold analysis.Threshold
	Status    analysis.Status
	// At is the breach's offset from the load's start: the end of the tick
	// at whose evaluation it failed.
	At time.Duration
	// Time is when the judge stopped the load.
	Time time.Time
}

// String says it in one line: latency p(99)<200 = p(99)=312ms at 12.3s.
func (a Abort) String() string {
	return fmt.Sprintf("%s = %s at %.1fs", a.Threshold, a.Status.Text, a.At.Seconds())
}

// StepName is the name the judge knows a step's result by: its {step:NAME}
// filters and recoveries name it so. Today a step's name is its spec
// ("10s:kill=1"); a plan's named steps will give their name here.
type StepName func(experiments.Result) string

// StepLabel names a step by its name (a plan's), else its spec: the
// default StepName, the name a {step:NAME} filter is written with.
func StepLabel(r experiments.Result) string { return r.Label() }

// ThresholdSink judges thresholds live: it feeds every tick to an
// analysis.Judge (at the tick's end less the load's start, the first
// tick's start), tells it of the steps as their events come, and
// evaluates at every tick (four times a second) and once more as the run
// finishes (Finish), whose statuses go in the result. When a threshold's
// state changes it emits a FromJudge event (ThresholdFailed,
// ThresholdPassed); when an abortOnFail threshold breaches past its
// delayAbortEval it emits Aborted and stops the load (Control.Stop), at
// the tick that saw the breach. The live statuses are Statuses (the
// thresholds panel reads them); it emits no periodic event.
type ThresholdSink struct {
	judge   *analysis.Judge
	name    StepName
	control Control

	origin  time.Time     // the load's start: the first tick's start
	last    time.Duration // the latest tick's end, from origin
	pending []Event       // step events before the first tick
	ok      []bool        // each threshold's state at the last evaluation
	abort   *Abort

	gen     *GeneratorSink // the generator's seconds, for thresholds on it
	genSeen int            // the seconds of gen already observed

	mu       sync.Mutex // guards statuses: Statuses is read from elsewhere
	statuses []analysis.Status
}

var (
	_ Sink     = (*ThresholdSink)(nil)
	_ Finisher = (*ThresholdSink)(nil)
)

// NewThresholds returns the sink that judges ths, or the problems of their
// options (analysis.NewJudge). Steps are known by name (nil: StepLabel).
func NewThresholds(ths []analysis.Threshold, name StepName) (*ThresholdSink, error) {
	j, err := analysis.NewJudge(ths)
	if err != nil {
		return nil, err
	}
	if name == nil {
		name = StepLabel
	}
	ok := make([]bool, len(ths))
	for i := range ok {
		ok[i] = true // a threshold holds until judged otherwise
	}
	return &ThresholdSink{judge: j, name: name, ok: ok}, nil
}

// Statuses is every threshold's status at the latest evaluation, in the
// thresholds' order (none before the first tick). Safe for concurrent
// use.
func (t *ThresholdSink) Statuses() []analysis.Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.statuses)
}

// WithGenerator feeds the thresholds on the generator
// (generator: saturated == false) the seconds g judged: at each tick those
// judged so far, and at the end the rest. Without it such a threshold has
// no data.
func (t *ThresholdSink) WithGenerator(g *GeneratorSink) *ThresholdSink {
	t.gen = g
	return t
}

// observeGenerator hands the judge the seconds judged since the last call.
func (t *ThresholdSink) observeGenerator() {
	if t.gen == nil {
		return
	}
	for _, sec := range t.gen.Seconds(t.genSeen) {
		t.genSeen++
		t.judge.ObserveGenerator(sec)
	}
}

// Open keeps the session's Control.
func (t *ThresholdSink) Open(i Info) error {
	t.control = i.Control
	return nil
}

// Tick judges the tick and evaluates.
func (t *ThresholdSink) Tick(k Tick) {
	s := k.Snapshot
	if t.origin.IsZero() {
		t.origin = s.Start
		for _, e := range t.pending {
			t.step(e)
		}
		t.pending = nil
	}
	t.last = s.End.Sub(t.origin)
	t.judge.Observe(t.last, s)
	t.observeGenerator()
	t.evaluate(t.last)
}

// Event tells the judge of the steps starting and ending.
func (t *ThresholdSink) Event(e Event) {
	if e.Step == nil {
		return
	}
	if t.origin.IsZero() {
		t.pending = append(t.pending, e)
		return
	}
	t.step(e)
}

func (t *ThresholdSink) step(e Event) {
	at := max(e.Time.Sub(t.origin), 0)
	name := t.name(*e.Step)
	switch e.Kind {
	case experiments.StateStarted:
		t.judge.StepStarted(name, at)
	case experiments.StateCompleted, experiments.StateFailed, experiments.StateCut, experiments.StateEffectEnded:
		// A lasting fault's action completes, then its effect ends: the
		// step ends with the later (the judge closes the open span once).
		if e.Kind == experiments.StateCompleted && lasting(*e.Step) {
			return
		}
		t.judge.StepEnded(name, at)
	}
}

// StepEnds reports whether e, a step's event (FromStep), ends its step:
// a failed or cut action, a lasting fault's effect ending, or the action
// completing for a step whose effect does not outlast it (as the judge
// closes a step's span). A started step runs until one does.
func StepEnds(e Event) bool {
	if e.Step == nil {
		return false
	}
	switch e.Kind {
	case experiments.StateFailed, experiments.StateCut, experiments.StateEffectEnded:
		return true
	case experiments.StateCompleted:
		return !lasting(*e.Step)
	}
	return false
}

// lasting reports a step whose effect outlasts its action (the faults
// hang, latency, errors and bad-version), so that it ends with its effect
// (its effect-ended event), not its action.
func lasting(r experiments.Result) bool {
	switch r.Action {
	case "hang", "latency", "errors", "bad-version":
		return true
	}
	return false
}

// Finish evaluates once more at the latest tick's end and puts the final
// statuses, and the abort if any, in the result.
func (t *ThresholdSink) Finish(res *Result) {
	t.observeGenerator()
	if !t.origin.IsZero() {
		t.evaluate(t.last)
	} else {
		t.evaluate(0)
	}
	res.Thresholds = t.Statuses()
	if t.abort != nil {
		a := *t.abort
		res.Aborted = &a
	}
}

// Close does nothing: Finish made the result's statuses.
func (t *ThresholdSink) Close(*Result) error { return nil }

// evaluate judges every threshold at now, emits the changes of state and
// stops the load on the first breach of an abortOnFail threshold.
func (t *ThresholdSink) evaluate(now time.Duration) {
	st := t.judge.Evaluate(now)
	t.mu.Lock()
	t.statuses = st
	t.mu.Unlock()
	at := t.origin.Add(now)
	for i := range st {
		s := st[i]
		if s.OK != t.ok[i] {
			t.ok[i] = s.OK
			kind, msg := ThresholdPassed, "threshold passed: "+s.String()
			if !s.OK {
				kind, msg = ThresholdFailed, "threshold failed: "+s.String()
			}
			t.control.Emit(Event{Time: at, Source: FromJudge, Kind: kind, Message: msg, Title: s.Threshold.String(), Threshold: &s})
		}
		if s.Abort && t.abort == nil {
			t.abort = &Abort{Threshold: s.Threshold, Status: s, At: now, Time: time.Now()}
			msg := "aborted: " + t.abort.String() + " (abortOnFail)"
			t.control.Emit(Event{Time: at, Source: FromJudge, Kind: Aborted, Message: msg, Title: "aborted", Threshold: &s})
			t.control.Stop(msg)
		}
	}
}
