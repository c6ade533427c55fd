package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/probes/scrape"
	"github.com/scalelab/scalelab/recordings"
)

// ReplayConfig is what Replay plays.
type ReplayConfig struct {
	// Recording is the opened recording (its damage, found as it was
	// opened, is in its Problems and HeaderDamage).
	Recording *recordings.Recording
	// Sinks consume the replayed session, in this order, as they would a
	// live one.
	Sinks []Sink
	// Summarize makes the summary of a recording that has none (its
	// session was killed) from the replay's result, once, before the
	// sinks close; a recording's own closing summary is the result's
	// Summary as it is.
	Summarize func(*Result) any
}

// Replay plays a recorded session through the sinks, as fast as they take
// it: each opened with an Info rebuilt from the header (Engine and Cluster
// nil), then every frame that can be read as a Tick (its snapshot, CPU and
// cluster state) and every event as an Event (the domain kinds as
// recorded; a 1.0–1.3 step event's kind from its result, as StepState
// names it), each list in recorded order, an event before the first frame
// ending after it (as the UI's player feeds them); after the last frame
// the session's LoadEnded event (not recorded: the frames end there), and
// the events recorded after it. The sinks then close with the result:
// Load is the frames merged over their window (cut to the header's
// window), Steps the steps as their last recorded update left them,
// measured from the frames as the live runner measured them (a step not
// ended when the recording did is cut there, one not reached says so),
// Start and End the first frame's start and the last one's end, Summary
// the recording's closing summary (json.RawMessage) or, without one,
// Summarize's. Partial says what of the readable recording could not be
// replayed (a frame that does not decode: the rest replays) and the
// sinks' errors on Close; a stopped ctx ends the replay at the next
// frame, its result the frames until then, Partial saying so.
//
// A recording that keeps its thresholds as data (format 1.5) is judged
// again: a ThresholdSink built from them (steps known by their specs, as
// the live run's judge knew them) comes first, as in the live session;
// its events (FromJudge) reach the other sinks through the fan-out, in
// place of the recorded ones, and the result has the final Thresholds,
// Aborted and the Verdict (the steps' included) before Summarize is
// called: the live run's, from the same frames. Its Control.Stop does
// nothing (the frames end where the live load did). A recording of an
// older format, or whose thresholds cannot be rebuilt (Partial says why),
// is not judged: its recorded judge's events replay as they are and the
// result has no verdict.
//
// A recording that keeps its plan's steady state (format 1.8) has it
// judged again by the live session's steady-state judge, first: its
// events replace the recorded ones, the result has its SteadyState, the
// steps it held are not run, and the verdict counts it.
//
// A recording that keeps its plan's capacity search (format 1.9) has
// its steps judged again by the live session's search sink, on the rates
// recorded: the result has its Search.
//
// A recording that keeps its canary analysis (format 1.6) has its canary
// judged again the same way: a CanarySink of that analysis (CanaryReplayed)
// comes first, judges the frames as the live one did and emits the
// intervals and the decision in place of the recorded ones; how the
// live run's promotion or rollback ended is the recorded events' (they
// replay as recorded, and the sink takes them). The result's Canary is
// then the live run's analysis, and its verdict counts it.
//
// The terminal UI's player does not replay through Replay: it seeks
// (back to the start, forward by minutes), which a stream of ticks
// cannot; it reads the recording's frames itself, and its closing
// summary is Replay's.
func Replay(ctx context.Context, cfg ReplayConfig) (*Result, error) {
	rec := cfg.Recording
	if rec == nil {
		return nil, errors.New("replay: no recording")
	}
	for i, s := range cfg.Sinks {
		if s == nil {
			return nil, fmt.Errorf("replay: sink %d is nil", i)
		}
	}
	h := rec.Header
	interval := h.Tick
	if interval <= 0 {
		interval = Interval
	}
	// The recorded generator readings, first: the judges look at them.
	gen := NewGeneratorReplay()
	sinks, judged, why := rejudge(h, cfg.Sinks, gen)
	sinks, canaryJudged, whyCanary := rejudgeCanary(h, sinks, gen)
	steady, whySteady := rejudgeSteady(h, judged)
	if steady != nil {
		sinks = append([]Sink{steady}, sinks...) // first, as in the live session
	}
	why = joinNotes(why, whySteady)
	if search, whySearch := rejudgeSearch(h, judged); search != nil {
		sinks = append(sinks, search)
	} else {
		why = joinNotes(why, whySearch)
	}
	sinks = append([]Sink{gen}, sinks...)
	if whyCanary != "" {
		why = joinNotes(why, whyCanary)
	}
	fan := newFanout(sinks)
	info := Info{Command: h.Command, Target: engine.Target{URL: h.Target}, Closed: h.Closed, Window: h.Window,
		Interval: interval, Start: h.Start, Control: Control{fan: fan}}
	for _, sink := range sinks {
		if err := sink.Open(info); err != nil {
			fan.close(nil)
			return nil, err
		}
	}
	fan.opened(nil) // the recorded ticks carry their state
	res := &Result{Command: h.Command, Target: info.Target, Start: rec.Origin(), Partial: why}
	events := replayEvents(rec.Events, judged, canaryJudged)
	next := 0
	var ticks []experiments.Tick
	var unread []string
	var frame recordings.Frame // decoded into frame after frame: the sinks get copies
	var packed engine.Packed
	for i := range rec.Len() {
		if err := ctx.Err(); err != nil {
			unread = append(unread, fmt.Sprintf("the replay was stopped after %d of %d frames", i, rec.Len()))
			break
		}
		end := rec.FrameEnd(i)
		for ; next < len(events) && !events[next].Time.After(end); next++ {
			fan.event(events[next])
		}
		if err := rec.FrameInto(i, recordings.Full, &frame, &packed); err != nil {
			unread = append(unread, err.Error())
			continue
		}
		f := frame
		fan.recorded(Tick{Snapshot: f.Snapshot, CPU: f.CPU, CPUKnown: f.CPUKnown, Procs: f.Procs, State: f.State}, &packed)
		t := experiments.TickOf(f.Snapshot)
		ticks = append(ticks, t)
		if t.End.After(res.End) {
			res.End = t.End
		}
	}
	lastEnd := res.End // zero when no frame was read
	if res.End.IsZero() {
		res.End = res.Start
	}
	fan.event(Event{Time: res.End, Source: FromSession, Kind: LoadEnded, Message: "the load ended"})
	for ; next < len(events); next++ {
		fan.event(events[next])
	}
	total := fan.merged()
	window := total.Elapsed()
	if h.Window > 0 && window > h.Window {
		window = h.Window
	}
	res.Load = &engine.Result{Total: total, Window: window}
	res.Steps = recordedSteps(rec, ticks, lastEnd)
	res.Rollbacks = recordedRollbacks(events)
	res.Generator = gen.Result() // nil when the recording keeps no readings (before 1.7)
	for _, u := range unread {
		res.Partial = joinNotes(res.Partial, u)
	}
	if judged || canaryJudged {
		fan.finish(res)
		if ss := res.SteadyState; ss != nil && ss.Before != nil && !ss.Before.OK {
			notRun(res.Steps) // the baseline held them, as live
		}
		res.Verdict = VerdictOf(res)
	}
	switch {
	case rec.Summary != nil:
		res.Summary = rec.Summary
	case cfg.Summarize != nil:
		res.Summary = cfg.Summarize(res)
	}
	if errs := fan.close(res); len(errs) > 0 {
		res.Partial = joinNotes(res.Partial, errors.Join(errs...).Error())
	}
	return res, nil
}

// rejudge is the replay's sinks: a ThresholdSink of the header's
// thresholds first, then sinks, when the recording keeps its thresholds
// as data (judged); else sinks alone, and why when the thresholds could
// not be rebuilt.
func rejudge(h recordings.Header, sinks []Sink, gen *GeneratorSink) (all []Sink, judged bool, why string) {
	if h.Thresholds == nil {
		return sinks, false, ""
	}
	ths, err := RecordingThresholds(h.Thresholds)
	var judge *ThresholdSink
	if err == nil {
		judge, err = NewThresholds(ths, nil) // by label, as the live run's judge names steps
	}
	if err != nil {
		return sinks, false, "the recording's thresholds cannot be judged again: " + err.Error()
	}
	judge.WithGenerator(gen)
	return append([]Sink{judge}, sinks...), true, ""
}

// rejudgeSteady is the steady state's judge of a recording that keeps
// it (format 1.8) and is judged again (judged: its judge's recorded
// events are replaced), nil otherwise, and why when it cannot be rebuilt.
func rejudgeSteady(h recordings.Header, judged bool) (*steadySink, string) {
	if h.SteadyState == nil || !judged {
		return nil, ""
	}
	ss, err := RecordingSteadyState(h.SteadyState)
	if err != nil {
		return nil, "the recording's steady state cannot be judged again: " + err.Error()
	}
	return newSteadyJudge(*ss), ""
}

// replayEvents are the recorded events as the session's; without the
// judge's when the replay judges again (its judge emits them), and
// without the canary judge's intervals and decision when it judges the
// canary again (canary).
func replayEvents(recorded []recordings.Event, judged, canary bool) []Event {
	out := make([]Event, 0, len(recorded))
	for _, e := range recorded {
		if judged && e.Source == recordings.FromJudge || canary && judgedAgain(e) {
			continue
		}
		ev := Event{Time: e.Time, Source: Source(e.Source), Kind: e.Kind, Message: e.Message}
		switch e.Source {
		case recordings.FromCluster:
			c, _ := e.Cluster()
			ev.Cluster = &c
		case recordings.FromOperator, recordings.FromCanary:
			ev.Title = e.Label
		case recordings.FromGenerator:
			ev.Title = e.Label
			var r GeneratorReading
			if e.Kind == GeneratorSampled && json.Unmarshal(e.Data, &r) == nil {
				ev.Generator = &r
			}
		case recordings.FromScrape:
			var r scrape.Reading
			if json.Unmarshal(e.Data, &r) == nil {
				ev.Scrape = &r
			}
		case recordings.FromRollback:
			ev.Title = e.Label
			var r RollbackResult
			if json.Unmarshal(e.Data, &r) == nil {
				ev.Rollback = &r
			}
		case recordings.FromStep:
			var r experiments.Result
			if json.Unmarshal(e.Data, &r) == nil {
				ev.Step = &r
				if ev.Kind == "" {
					ev.Kind, _ = StepState(r)
				}
			}
		}
		out = append(out, ev)
	}
	return out
}
