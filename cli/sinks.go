package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/session"
	"github.com/spf13/cobra"
)

// recordSink records a session: it opens the recording as the session
// opens (the target and the cluster are known then), records each tick
// and event, and writes the summary the command prints as it closes.
type recordSink struct {
	flags  *recordFlags
	cmd    *cobra.Command
	errOut io.Writer
	// info describes the session for the header.
	info func(session.Info) recordInfo
	// opened (optional) is told of the recording once it is open.
	opened func(*recorder)
	rec    *recorder
}

func (r *recordSink) Open(i session.Info) error {
	rec, err := r.flags.start(r.cmd, r.errOut, r.info(i))
	r.rec = rec
	if err == nil && r.opened != nil {
		r.opened(rec)
	}
	return err
}

func (r *recordSink) Tick(t session.Tick) {
	if r.rec == nil {
		return
	}
	r.rec.frame(recordings.Frame{Snapshot: t.Snapshot, CPU: t.CPU, CPUKnown: t.CPUKnown, Procs: t.Procs, State: t.State})
}

func (r *recordSink) Event(e session.Event) {
	if r.rec == nil {
		return
	}
	switch {
	case e.Source == session.FromSession: // the recording's frames and summary say it
	case e.Source == session.FromRollback:
		r.rec.rollback(e)
	case e.Cluster != nil:
		r.rec.event(recordings.ClusterEvent(*e.Cluster))
	case e.Step != nil:
		r.rec.step(e)
	case e.Source == session.FromJudge:
		r.rec.judge(e)
	case e.Source == session.FromCanary:
		r.rec.canary(e)
	case e.Source == session.FromGenerator:
		r.rec.generator(e)
	case e.Source == session.FromScrape:
		r.rec.scrape(e)
	case e.Source == session.FromAgents:
		r.rec.event(recordings.Event{Time: e.Time, Source: recordings.FromAgents, Kind: e.Kind, Message: e.Message, Label: e.Title})
	default:
		r.rec.operator(e)
	}
}

func (r *recordSink) Close(res *session.Result) error {
	if res == nil {
		r.rec.close()
		return nil
	}
	if res.Summary == nil {
		r.rec.close()
		return nil
	}
	r.rec.finish(res.Summary)
	return nil
}

// liveSink is the headless live line: what the load measured, a line a
// second.
type liveSink struct{ every *report.Secondly }

func newLiveSink(w io.Writer) *liveSink {
	return &liveSink{every: report.NewSecondly(report.NewLiveLine(w).Print)}
}

func (l *liveSink) Open(session.Info) error     { return nil }
func (l *liveSink) Tick(t session.Tick)         { l.every.Add(t.Snapshot) }
func (l *liveSink) Event(session.Event)         {}
func (l *liveSink) Close(*session.Result) error { return nil }

// modelSink follows the load model through the ticks (an operator's
// changes of the rate or the connections), for the summary.
type modelSink struct {
	model string
	track *report.ModelTrack
}

func (m *modelSink) Open(i session.Info) error {
	m.track = report.NewModelTrack(m.model, i.Closed)
	return nil
}
func (m *modelSink) Tick(t session.Tick)         { m.track.Observe(t.Snapshot) }
func (m *modelSink) CountsOnly()                 {}
func (m *modelSink) Event(session.Event)         {}
func (m *modelSink) Close(*session.Result) error { return nil }

// eventsSink prints the cluster's events and the steps' progress on
// stderr as they happen (headless), each with its time in seconds: from
// the cluster's start until the load starts, then from the load's start.
type eventsSink struct {
	w      io.Writer
	origin time.Time
	loaded bool
}

func newEventsSink(w io.Writer) *eventsSink { return &eventsSink{w: w, origin: time.Now()} }

func (p *eventsSink) Open(session.Info) error { return nil }
func (p *eventsSink) CountsOnly()             {}

func (p *eventsSink) Tick(t session.Tick) {
	if !p.loaded {
		p.origin, p.loaded = t.Snapshot.Start, true
	}
}

func (p *eventsSink) Event(e session.Event) {
	at := e.Time.Sub(p.origin).Seconds()
	switch {
	case e.Cluster != nil:
		fmt.Fprintf(p.w, "%6.1fs  event  %s\n", at, e.Message)
	case e.Step != nil:
		report.StepLine(p.w, at, *e.Step)
	case e.Source == session.FromRollback,
		e.Source == session.FromJudge && (e.Kind == session.SteadyStateMet || e.Kind == session.SteadyStateNotMet):
		fmt.Fprintf(p.w, "%6.1fs  %s\n", at, e.Message)
	case e.Source == session.FromCanary:
		fmt.Fprintf(p.w, "%6.1fs  %s\n", at, canaryLine(e))
	case e.Source == session.FromGenerator && e.Kind != session.GeneratorSampled, // the changes, not each second
		e.Source == session.FromAgents:
		fmt.Fprintf(p.w, "%6.1fs  %s\n", at, e.Message)
	}
}

func (p *eventsSink) Close(*session.Result) error { return nil }

// openedSink calls a function as the session opens (what runs, printed
// before the load).
type openedSink func(session.Info)

func (o openedSink) Open(i session.Info) error   { o(i); return nil }
func (o openedSink) Tick(session.Tick)           {}
func (o openedSink) CountsOnly()                 {}
func (o openedSink) Event(session.Event)         {}
func (o openedSink) Close(*session.Result) error { return nil }
