package session

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
)

// FromCanary is the canary judge's events (CanarySink): each interval
// judged (CanaryIntervalJudged), the decision (CanaryDecided), and the
// end of the action it took (CanaryPromoted, CanaryRolledBack,
// CanaryActionFailed).
const FromCanary Source = "canary"

// The kinds of the canary judge's events (FromCanary).
const (
	// CanaryIntervalJudged: an interval was judged; the message is its
	// reason (canary.IntervalResult.Reason).
	CanaryIntervalJudged = "canary-interval"
	// CanaryDecided: the intervals decided; the message is the verdict's
	// line (canary.Decision.Reason), and says so when the cluster cannot
	// act on it.
	CanaryDecided = "canary-decision"
	// CanaryPromoted and CanaryRolledBack: the cluster completed the
	// action the decision called for.
	CanaryPromoted   = "canary-promoted"
	CanaryRolledBack = "canary-rolled-back"
	// CanaryActionFailed: the cluster's promotion or rollback failed or
	// did not end within its timeout.
	CanaryActionFailed = "canary-action-failed"
)

// ActionCanary is the Action of a canary step (canary=v2[:25%|:N]).
const ActionCanary = experiments.ActionCanary

// CanaryActionTimeout bounds a promotion or a rollback of the canary by
// default (CanaryActionBound sets another).
const CanaryActionTimeout = 2 * time.Minute

// NoCanaryCapability is CanaryResult.Note when the cluster cannot promote
// or roll back a canary: the sink judged and reported only.
const NoCanaryCapability = "not acted on: the cluster cannot promote or roll back a canary"

// CanaryResult is a canary's analysis and what the run did with it.
type CanaryResult struct {
	// Step is the canary step's label (its plan name, else its spec).
	Step string
	// Version is the canary's version, Baseline the version it was judged
	// against (empty when no other version answered).
	Version, Baseline string
	// Decision is the intervals' decision. A run that ended before they
	// decided is InconclusiveDecision, its reason saying how many were
	// judged.
	Decision canary.Decision
	// Intervals are the intervals judged, in order (the decision took the
	// first Decision.Judged of them: all).
	Intervals []canary.IntervalResult
	// Spans are the intervals' lengths, in order (an interval ends with
	// the first tick that makes it last the analysis's interval): their
	// requests over it are each version's rate.
	Spans []time.Duration
	// Action is what the run did on the decision: promote or rollback (a
	// headless run's reading of an inconclusive one, canary.Config.Headless);
	// Undecided when the canary's step failed before any decision.
	Action canary.Action
	// Acted is set when the cluster completed Action. Note says why not
	// otherwise: NoCanaryCapability, or the action's error (ActionFailed
	// set).
	Acted        bool
	ActionFailed bool
	Note         string
	// EndedBy is the scripted step (promote, rollback) that ended the
	// canary before the judge decided: the plan's decision, not the
	// judge's; the step's own result says how it went.
	EndedBy string
	// Awaiting is set while the operator is asked to confirm the action
	// (CanaryConfirm); Confirmed once they answered (Action is then
	// theirs).
	Awaiting, Confirmed bool
}

// Passed reports whether the canary passes the run: promoted, and its
// promotion did not fail. A rolled-back canary (also an inconclusive one
// a headless run rolls back) fails the run.
// A canary a scripted step ended before the judge decided passes: the
// plan decided it.
func (c *CanaryResult) Passed() bool {
	return c.EndedBy != "" || (c.Action == canary.Promote && !c.ActionFailed)
}

// CanarySink judges a held canary live: when a canary step starts
// (ActionCanary; its version from the spec, canary=v2...), it adds each
// tick's requests of every version to the current interval, the first
// starting with the first tick the canary answers in (at the latest one
// interval after the step started); every cfg.Interval it judges the
// canary against the baseline (the version other than the canary's and
// unknown that answered the most requests in the first interval judged,
// kept from then on), emits CanaryIntervalJudged, and once canary.Decide
// decides, emits CanaryDecided and acts: it promotes or rolls back
// through the cluster's canary capability, in its own goroutine bounded
// by a timeout, and an inconclusive decision is read as a headless run
// reads it (cfg.Headless). Without the capability (a cluster that lacks
// it, a replay) it judges and reports but cannot act, and says so. Finish
// waits for the action (within its timeout) and puts the analysis in
// Result.Canary. It judges the first canary step of a run, with that
// step's own analysis when CanaryStepConfig gave one; a run ending before
// the decision is inconclusive, acted on the same way.
type CanarySink struct {
	gen   *GeneratorSink // nil: the generator is not looked at
	cfg   canary.Config
	bound time.Duration
	// steps are the analyses of particular canary steps, by label
	// (CanaryStepConfig): the step judged takes its own when it has one.
	steps map[string]canary.Config

	control Control
	cl      cluster.Canary
	cluster cluster.Cluster // the session's, for Start
	confirm CanaryConfirmer // nil: act at once (headless)

	replayed bool // a replay's: the recorded events say how the action ended

	mu      sync.Mutex // guards res, read by Result from elsewhere
	res     *CanaryResult
	at      time.Time // the last tick's end or event's time: its events' time
	started time.Time // the canary step's start
	active  bool      // between the step's start and the decision
	begun   bool      // the first interval has begun
	from    time.Time // the current interval's start
	cur     map[string]*canary.Sample
	acting  chan struct{} // closed when the action ended; nil without one
	// asking cancels the operator's question (Finish: the run ended
	// unanswered); nil when none is asked.
	asking context.CancelFunc
	// preempted is the plan's promote or rollback step that acted while
	// the operator was asked (its action the answer).
	preempted string
	// finishing is set once Finish decides: no question then.
	finishing bool
}

var (
	_ Sink     = (*CanarySink)(nil)
	_ Finisher = (*CanarySink)(nil)
)

// CanaryOption configures a CanarySink.
type CanaryOption func(*CanarySink)

// CanaryActionBound bounds each promotion or rollback by d (0:
// CanaryActionTimeout).
func CanaryActionBound(d time.Duration) CanaryOption {
	return func(s *CanarySink) {
		if d > 0 {
			s.bound = d
		}
	}
}

// CanaryStepConfig judges the canary step labelled label (its plan
// name, else its spec, as experiments.Result.Label) with cfg instead of
// NewCanary's: a plan step's own analysis block.
func CanaryStepConfig(label string, cfg canary.Config) CanaryOption {
	return func(s *CanarySink) {
		if s.steps == nil {
			s.steps = map[string]canary.Config{}
		}
		s.steps[label] = cfg
	}
}

// CanaryGenerator makes the intervals during which g judged the generator
// saturated inconclusive (canary.Bound), never a pass or a fail: their
// figures measure the generator. The probes judge after the canary's
// sink at a tick, so a second ending with an interval's last tick is not
// seen by that interval.
func CanaryGenerator(g *GeneratorSink) CanaryOption { return func(s *CanarySink) { s.gen = g } }

// CanaryReplayed makes the sink a replay's: it judges the recorded frames
// and decides as the live one did, never acts (nor says it cannot), and
// takes how the live action ended from the recorded events
// (CanaryPromoted, CanaryRolledBack, CanaryActionFailed) it is handed.
func CanaryReplayed() CanaryOption { return func(s *CanarySink) { s.replayed = true } }

// NewCanary returns the sink that judges a run's canary step with cfg
// (canary.Config.Validate's problems are the caller's to check first).
func NewCanary(cfg canary.Config, opts ...CanaryOption) *CanarySink {
	s := &CanarySink{cfg: cfg, bound: CanaryActionTimeout}
	for _, o := range opts {
		o(s)
	}
	return s
}

// CanaryVersion is the version a canary step's spec starts
// ("10s:canary=v2:25%": v2), empty when the spec has no canary=.
func CanaryVersion(spec string) string {
	i := strings.LastIndex(spec, ActionCanary+"=")
	if i < 0 {
		return ""
	}
	v, _, _ := strings.Cut(spec[i+len(ActionCanary)+1:], ":")
	return strings.TrimSpace(v)
}

// Config is the analysis the sink judges with.
func (s *CanarySink) Config() canary.Config { return s.cfg }

// Open keeps the session's Control and the cluster's canary capability,
// if it has one.
func (s *CanarySink) Open(i Info) error {
	s.control = i.Control
	s.cluster = i.Cluster
	s.cl, _ = i.Cluster.(cluster.Canary)
	return nil
}

// Result is the canary's analysis so far (a copy), nil before a canary
// step started. Safe for concurrent use.
func (s *CanarySink) Result() *CanaryResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.res == nil {
		return nil
	}
	r := *s.res
	r.Intervals, r.Spans = slices.Clone(r.Intervals), slices.Clone(r.Spans)
	return &r
}

// Event starts the analysis with the first canary step, and ends it
// undecided when that step fails.
func (s *CanarySink) Event(e Event) {
	if s.replayed && e.Source == FromCanary {
		s.recordedAction(e)
		return
	}
	if e.Step == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = e.Time
	if a := e.Step.Action; (a == "promote" || a == "rollback") && e.Kind == experiments.StateStarted && s.asking != nil {
		// The plan acts while the operator is asked: its step's action is
		// the answer, the question is withdrawn and the sink does not act.
		s.preempted = e.Step.Label()
		s.res.Action = canary.Rollback
		if a == "promote" {
			s.res.Action = canary.Promote
		}
		s.asking()
		return
	}
	if a := e.Step.Action; (a == "promote" || a == "rollback") && e.Kind == experiments.StateStarted && s.active {
		// The plan ends the canary itself: the judge stops, undecided.
		s.active = false
		s.res.Decision = canary.Decide(s.cfg, s.res.Intervals)
		s.res.EndedBy = e.Step.Label()
		s.res.Decision.Reason = fmt.Sprintf("step %s ended the canary after %s judged, before the judge decided", s.res.EndedBy,
			plural(len(s.res.Intervals), "interval"))
		s.res.Note = "ended by the plan's step " + s.res.EndedBy
		s.emitLocked(CanaryDecided, s.res.Decision.Reason, "canary ended by "+a)
		return
	}
	if e.Step.Action != ActionCanary {
		return
	}
	switch {
	case e.Kind == experiments.StateStarted && s.res == nil:
		if cfg, ok := s.steps[e.Step.Label()]; ok {
			s.cfg = cfg
		}
		s.res = &CanaryResult{Step: e.Step.Label(), Version: CanaryVersion(e.Step.Spec)}
		s.started, s.active = e.Time, true
		s.cur = map[string]*canary.Sample{}
	case e.Kind == experiments.StateFailed && s.active && s.res.Step == e.Step.Label():
		// The canary never held: nothing to judge, nothing to end.
		s.active = false
		s.res.Decision = canary.Decide(s.cfg, s.res.Intervals)
		s.res.Decision.Action = canary.InconclusiveDecision
		s.res.Decision.Reason = fmt.Sprintf("step %s failed after %s: inconclusive", s.res.Step,
			plural(len(s.res.Intervals), "interval"))
		s.res.Note = "not acted on: the canary's step failed"
		s.emitLocked(CanaryDecided, s.res.Decision.Reason, "canary inconclusive")
	}
}

// Tick adds the tick's requests to the current interval and judges it
// once it lasted cfg.Interval.
func (s *CanarySink) Tick(k Tick) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		return
	}
	snap := k.Snapshot
	s.at = snap.End
	if !s.begun {
		if vs := snap.ByVersion[s.res.Version]; (vs == nil || vs.Requests == 0) && snap.Start.Sub(s.started) < s.cfg.Interval {
			return
		}
		s.begun, s.from = true, snap.Start
	}
	for name, vs := range snap.ByVersion {
		if name == engine.UnknownVersion || vs == nil || vs.Requests == 0 {
			continue
		}
		smp := s.cur[name]
		if smp == nil {
			smp = &canary.Sample{Version: name}
			s.cur[name] = smp
		}
		smp.Add(vs)
	}
	if snap.End.Sub(s.from) < s.cfg.Interval {
		return
	}
	s.judgeLocked(snap.End.Sub(s.from), s.from, snap.End)
	s.from = snap.End
	clear(s.cur)
	if d := canary.Decide(s.cfg, s.res.Intervals); d.Action != canary.Undecided {
		s.decideLocked(d)
	}
}

// judgeLocked judges the current interval, which lasted span, and emits
// its outcome.
func (s *CanarySink) judgeLocked(span time.Duration, from, to time.Time) {
	if s.res.Baseline == "" {
		s.res.Baseline = s.baselineLocked()
	}
	base := canary.Sample{Version: s.res.Baseline}
	if s.res.Baseline == "" {
		base.Version = "baseline" // no other version answered: judged against nothing
	} else if smp := s.cur[s.res.Baseline]; smp != nil {
		base = *smp
	}
	can := canary.Sample{Version: s.res.Version}
	if smp := s.cur[s.res.Version]; smp != nil {
		can = *smp
	}
	r := canary.Judge(s.cfg, base, can)
	if s.gen != nil {
		r = canary.Bound(r, s.gen.BoundBetween(from, to))
	}
	s.res.Intervals = append(s.res.Intervals, r)
	s.res.Spans = append(s.res.Spans, span)
	s.emitLocked(CanaryIntervalJudged, r.Reason,
		fmt.Sprintf("canary %d/%d %s", len(s.res.Intervals), s.cfg.Count, r.Outcome))
}

// baselineLocked is the version besides the canary's that answered the
// most requests in the current interval (by name on a tie), empty when
// none did.
func (s *CanarySink) baselineLocked() string {
	var best string
	var most uint64
	for name, smp := range s.cur {
		if name == s.res.Version || smp.Requests == 0 {
			continue
		}
		if smp.Requests > most || (smp.Requests == most && name < best) {
			best, most = name, smp.Requests
		}
	}
	return best
}

// decideLocked records d, emits it and acts on it.
func (s *CanarySink) decideLocked(d canary.Decision) {
	s.active = false
	s.res.Decision = d
	s.res.Action = s.cfg.Headless(d)
	msg := d.Reason
	if s.cl == nil && !s.replayed {
		s.res.Note = NoCanaryCapability
		msg += " (" + NoCanaryCapability + ")"
	}
	s.emitLocked(CanaryDecided, msg, "canary "+string(d.Action))
	if s.cl == nil {
		return
	}
	s.acting = make(chan struct{})
	if s.confirm != nil && !s.finishing {
		ctx, cancel := context.WithCancel(context.Background())
		s.asking, s.res.Awaiting = cancel, true
		q := CanaryQuestion{Version: s.res.Version, Baseline: s.res.Baseline, Decision: d, Proposed: s.res.Action}
		go s.askAndAct(ctx, q, s.acting)
		return
	}
	go s.act(s.res.Action, s.acting)
}

// act runs the cluster's promotion or rollback (action) within the
// sink's bound, records its end and emits it, then closes ended.
func (s *CanarySink) act(action canary.Action, ended chan struct{}) {
	defer close(ended)
	act, done, verb := s.cl.AbortCanary, CanaryRolledBack, action.Verb()
	if action == canary.Promote {
		act, done = s.cl.PromoteCanary, CanaryPromoted
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.bound)
	defer cancel()
	start := time.Now()
	err := act(ctx)
	took := time.Since(start).Round(time.Millisecond)
	// Emitted unlocked: from outside a delivery, Emit delivers at once,
	// to this sink too.
	s.mu.Lock()
	kind, msg, title := done, fmt.Sprintf("canary %s: %s in %s", s.res.Version, action.Done(), took), "canary "+action.Done()
	if err != nil {
		s.res.ActionFailed = true
		s.res.Note = fmt.Sprintf("%s %s: %v", verb, s.res.Version, err)
		kind, msg, title = CanaryActionFailed, "canary: "+s.res.Note, "canary "+verb+" failed"
	} else {
		s.res.Acted = true
	}
	s.mu.Unlock()
	s.control.Emit(Event{Source: FromCanary, Kind: kind, Message: msg, Title: title})
}

// emitLocked emits a FromCanary event from inside the sink's calls
// (Control.Emit queues it until the call returned, so s.mu may be held),
// at the time of the tick or event it judged (a replay's as the live
// one's).
func (s *CanarySink) emitLocked(kind, msg, title string) {
	s.control.Emit(Event{Time: s.at, Source: FromCanary, Kind: kind, Message: msg, Title: title})
}

// recordedAction takes how the live run's action ended from its recorded
// event (a replay's sink).
func (s *CanarySink) recordedAction(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.res == nil {
		return
	}
	switch e.Kind {
	case CanaryPromoted, CanaryRolledBack:
		s.res.Acted = true
	case CanaryActionFailed:
		s.res.ActionFailed = true
		s.res.Note = strings.TrimPrefix(e.Message, "canary: ")
	}
}

// Finish decides a canary the run ended before its intervals did
// (inconclusive, acted on as a headless run does), waits for the action
// within its bound, and puts the analysis in the result.
func (s *CanarySink) Finish(res *Result) {
	s.mu.Lock()
	s.finishing = true
	if s.asking != nil {
		s.asking() // unanswered when the run ended: the headless action
	}
	if s.active {
		d := canary.Decide(s.cfg, s.res.Intervals)
		d.Action = canary.InconclusiveDecision
		d.Reason = fmt.Sprintf("the run ended after %s of %d: inconclusive", plural(len(s.res.Intervals), "interval"), s.cfg.Count)
		s.decideLocked(d)
	}
	if r := s.res; s.replayed && r != nil && r.Action != canary.Undecided && !r.Acted && !r.ActionFailed && r.Note == "" {
		r.Note = "not known: the recording ended before the " + string(r.Action) + " did"
	}
	acting := s.acting
	s.mu.Unlock()
	if acting != nil {
		<-acting // act is bounded by s.bound
	}
	res.Canary = s.Result()
}

// Close does nothing: Finish made the result's analysis.
func (s *CanarySink) Close(*Result) error { return nil }

// plural writes "1 interval", "6 intervals".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
