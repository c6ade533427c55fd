package session

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
)

// The kinds of the steady state's events (FromJudge).
const (
	// SteadyStateMet: the steady state held over the baseline before the
	// method, and the steps may run; or it held over the window after it.
	SteadyStateMet = "steady-state-met"
	// SteadyStateNotMet: the steady state did not hold (before the method:
	// the session stops the load and runs no step).
	SteadyStateNotMet = "steady-state-not-met"
)

// SteadyState is the steady-state hypothesis a session judges (a plan's
// steady_state, after Chaos Toolkit's): its thresholds must hold over the
// baseline [0, Before) from the load's start, judged at Before, before any
// step may run; and over the After that follows the end of the last step
// (its action, or a lasting fault's effect). Either window may be 0: not
// judged.
type SteadyState struct {
	Before, After time.Duration
	// Thresholds are what must hold; their own Window is replaced by the
	// steady state's window.
	Thresholds []analysis.Threshold
}

// Hypothesis is the steady state's judgement over one window.
type Hypothesis struct {
	// OK says the thresholds held over the window (false when it was not
	// judged: Note says why).
	OK bool
	// Statuses are the thresholds' statuses at the window's end, in their
	// order; none when the window was not judged.
	Statuses []analysis.Status
	// From and To bound the window judged, as offsets from the load's
	// start: the ticks it took (To is when it was judged).
	From, To time.Duration
	// Note says why the window was not judged (the run ended inside it, the
	// method never ended), empty when it was.
	Note string
}

// Failed describes the failed thresholds: latency p(99)<100 = 312ms; or
// the note when the window was not judged.
func (h Hypothesis) Failed() string {
	if h.Note != "" {
		return h.Note
	}
	var parts []string
	for _, st := range h.Statuses {
		if !st.OK {
			v := st.Text
			if st.NoData {
				v = "no data"
			} else if _, after, ok := strings.Cut(v, "="); ok {
				v = after
			}
			parts = append(parts, st.Threshold.String()+" = "+v)
		}
	}
	return strings.Join(parts, "; ")
}

// SteadyStateResult is the steady state's judgement: Before and After,
// each nil when its window is 0 (or, After, when the method never ran:
// the steady state was not met before it, or the run was aborted).
type SteadyStateResult struct {
	Before, After *Hypothesis
}

// window is the steady state's judge over one window.
type window struct {
	ths    []analysis.Threshold
	judge  *analysis.Judge
	from   time.Duration // the window's start; ticks from it count
	first  time.Duration // the first tick taken's start (-1: none yet)
	length time.Duration
}

// newWindow is a judge of ths over length from from.
func newWindow(ths []analysis.Threshold, from, length time.Duration) *window {
	j, _ := analysis.NewJudge(ths) // checked by NewSteadyState
	return &window{ths: ths, judge: j, from: from, first: -1, length: length}
}

// windowed is ths judged over the last w (at least analysis.MinWindow).
func windowed(ths []analysis.Threshold, w time.Duration) []analysis.Threshold {
	out := make([]analysis.Threshold, len(ths))
	for i, t := range ths {
		t.Window = max(w, analysis.MinWindow)
		t.AbortOnFail, t.DelayAbortEval = false, 0
		out[i] = t
	}
	return out
}

// steadySink judges the steady state on the session's ticks and events:
// the baseline at Before (it then lets the steps run, or stops the load),
// the window after the method once the last step ended.
type steadySink struct {
	// emit hands an event to the session's sinks, release lets the steps
	// run, stop stops the load: the live session's; a replay's emits
	// through its Control and neither releases nor stops (its frames end
	// where the live load did).
	emit       func(Event)
	release    func()
	stop       func(reason string)
	cfg        SteadyState
	before     []analysis.Threshold // windowed over Before
	after      []analysis.Threshold // windowed over After
	origin     time.Time
	last       time.Duration
	base       *window
	baseResult *Hypothesis
	// running counts the steps started and not ended; post is the window
	// after the method being judged (nil while a step runs), postResult
	// its judgement once it closed (a later step discards it).
	running    map[string]int
	post       *window
	postResult *Hypothesis
	// aborted is set once an abortOnFail threshold stopped the load.
	aborted bool
}

// tolerance is how early a tick's end may be and still close a window:
// ticks end a little before or after their nominal times.
const tolerance = Interval / 2

func newSteadySink(s *Session, cfg SteadyState) *steadySink {
	k := newSteadyJudge(cfg)
	k.emit = func(e Event) { s.fan.emit(e) }
	k.release, k.stop = s.releaseSteps, s.stopLoad
	return k
}

// newSteadyJudge is the steady state's judge without a session: it emits
// through the Control its Open is given, and releases and stops nothing
// (a replay's, SteadyStateReplayed).
func newSteadyJudge(cfg SteadyState) *steadySink {
	k := &steadySink{cfg: cfg, running: map[string]int{}, release: func() {}, stop: func(string) {}}
	if cfg.Before > 0 {
		k.before = windowed(cfg.Thresholds, cfg.Before)
		k.base = newWindow(k.before, 0, cfg.Before)
	}
	if cfg.After > 0 {
		k.after = windowed(cfg.Thresholds, cfg.After)
		k.post = newWindow(k.after, cfg.Before, cfg.After)
	}
	return k
}

// check returns the problems of the steady state's thresholds.
func (c *SteadyState) check() error {
	if c.Before < 0 || c.After < 0 || (c.Before == 0 && c.After == 0) {
		return fmt.Errorf("session: steady state: before %s, after %s: want a window above 0", c.Before, c.After)
	}
	if len(c.Thresholds) == 0 {
		return fmt.Errorf("session: steady state: no thresholds")
	}
	if _, err := analysis.NewJudge(windowed(c.Thresholds, max(c.Before, c.After))); err != nil {
		return fmt.Errorf("session: steady state: %w", err)
	}
	return nil
}

// Open takes the session's Control to emit through when the sink has no
// session (a replay's).
func (k *steadySink) Open(i Info) error {
	if k.emit == nil {
		k.emit = i.Control.Emit
	}
	return nil
}

// Tick feeds the windows being judged and closes those due.
func (k *steadySink) Tick(t Tick) {
	sn := t.Snapshot
	if k.origin.IsZero() {
		k.origin = sn.Start
	}
	end, start := sn.End.Sub(k.origin), sn.Start.Sub(k.origin)
	k.last = end
	if w := k.base; w != nil && k.baseResult == nil {
		w.take(start, end, sn)
		if end >= w.length-tolerance {
			k.judgeBase(w, end)
		}
	}
	if k.baseResult != nil && !k.baseResult.OK {
		return
	}
	if w := k.post; w != nil && k.postResult == nil && len(k.running) == 0 && (k.base == nil || k.baseResult != nil) {
		if start >= w.from {
			w.take(start, end, sn)
		}
		if w.first >= 0 && end-w.first >= w.length-tolerance {
			st := w.judge.Evaluate(end)
			h := &Hypothesis{OK: allOK(st), Statuses: st, From: w.first, To: end}
			k.postResult = h
		}
	}
}

// take feeds the tick over (start, end] to the window's judge.
func (w *window) take(start, end time.Duration, s *engine.Snapshot) {
	if w.first < 0 {
		w.first = max(start, 0)
	}
	w.judge.Observe(end, s)
}

// judgeBase judges the baseline at end: met, the steps run; not met, the
// load stops.
func (k *steadySink) judgeBase(w *window, end time.Duration) {
	st := w.judge.Evaluate(end)
	h := &Hypothesis{OK: allOK(st), Statuses: st, From: max(w.first, 0), To: end}
	k.baseResult = h
	at := k.origin.Add(end)
	if h.OK {
		if k.post != nil && len(k.running) == 0 {
			k.post.from = end // the method starts here
		}
		k.emit(Event{Time: at, Source: FromJudge, Kind: SteadyStateMet, Title: "steady state met",
			Message: fmt.Sprintf("steady state met before the method (%.1fs baseline): the steps run", end.Seconds())})
		k.release()
		return
	}
	msg := "steady state not met before the method: " + h.Failed()
	k.emit(Event{Time: at, Source: FromJudge, Kind: SteadyStateNotMet, Title: "steady state not met", Message: msg})
	k.stop(msg)
}

// Event follows the steps: the window after the method starts when the
// last of those started ended.
func (k *steadySink) Event(e Event) {
	if e.Source == FromJudge && e.Kind == Aborted {
		k.aborted = true
	}
	if e.Step == nil || e.Source != FromStep {
		return
	}
	name := e.Step.Label()
	at := time.Duration(0)
	if !k.origin.IsZero() {
		at = max(e.Time.Sub(k.origin), 0)
	}
	switch e.Kind {
	case "started":
		k.running[name]++
		k.postResult = nil
	case "completed", "failed", "effect-ended":
		if e.Kind == "completed" && lasting(*e.Step) {
			return
		}
		if k.running[name] > 0 {
			k.running[name]--
			if k.running[name] == 0 {
				delete(k.running, name)
			}
		}
		if len(k.running) == 0 && k.after != nil {
			k.post = newWindow(k.after, at, k.cfg.After)
		}
	}
}

// Finish judges what is left and puts the steady state in the result.
func (k *steadySink) Finish(res *Result) {
	out := &SteadyStateResult{}
	if k.base != nil {
		if k.baseResult == nil {
			k.baseResult = &Hypothesis{From: 0, To: k.last,
				Note: fmt.Sprintf("the run ended %.1fs into the %s baseline, before it was judged", k.last.Seconds(), k.cfg.Before)}
			if k.aborted {
				k.baseResult.Note = "the run was aborted before the baseline was judged"
			}
		}
		out.Before = k.baseResult
	}
	if k.post != nil && (k.baseResult == nil || k.baseResult.OK) && !k.aborted {
		h := k.postResult
		switch {
		case h != nil:
		case len(k.running) > 0:
			h = &Hypothesis{From: k.last, To: k.last, Note: "the method had not ended when the run ended (" + k.runningNames() + ")"}
		default:
			w := k.post
			got := max(k.last-w.from, 0)
			h = &Hypothesis{From: w.from, To: k.last,
				Note: fmt.Sprintf("the run ended %.1fs into the %s window after the method", got.Seconds(), k.cfg.After)}
		}
		out.After = h
	}
	res.SteadyState = out
}

func (k *steadySink) Close(*Result) error { return nil }

// runningNames lists the steps still running or lasting, for a note.
func (k *steadySink) runningNames() string {
	var names []string
	for n := range k.running {
		names = append(names, n)
	}
	slices.Sort(names)
	return "still running or lasting: " + strings.Join(names, ", ")
}

func allOK(st []analysis.Status) bool {
	for _, s := range st {
		if !s.OK {
			return false
		}
	}
	return true
}
