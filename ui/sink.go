package ui

import (
	"slices"
	"sync"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/session"
)

// Sink is the UI's part of a session: it hands the ticks, the judge's
// events and, once the load ended, the run's outcome to a Feed and the
// cluster's events to the model's Events channel, never blocking the
// session (events queue until the model reads them), and tells the
// presenter when the session opened, with the engine the keys drive.
type Sink struct {
	// Feed takes the ticks.
	Feed *Feed

	events  chan cluster.Event
	opened  chan session.Info
	mu      sync.Mutex
	queue   []cluster.Event
	wake    chan struct{}
	done    chan struct{}
	opening sync.Once
	closing sync.Once
}

// NewSink returns a sink with a new Feed.
func NewSink() *Sink {
	s := &Sink{Feed: NewFeed(), events: make(chan cluster.Event), opened: make(chan session.Info, 1),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.deliver()
	return s
}

// Opened delivers the session's Info once it opened (the load is about
// to start); it is closed without one when the session ended before.
func (s *Sink) Opened() <-chan session.Info { return s.opened }

// Events is the cluster's events for Config.Events, in order; it closes
// once the session closed (events the model had not read by then are
// dropped: it quit).
func (s *Sink) Events() <-chan cluster.Event { return s.events }

// Open tells the presenter that the session opened.
func (s *Sink) Open(i session.Info) error {
	s.opening.Do(func() {
		s.opened <- i
		close(s.opened)
	})
	return nil
}

// Tick hands the tick to the Feed (which merges it into a frame of its
// own), with the cluster's state the session read at its end.
func (s *Sink) Tick(t session.Tick) {
	s.Feed.push(t.Snapshot, t.CPU, t.CPUKnown, t.Procs, t.State, t.Autoscaler)
}

// Event queues a cluster's event for the model and hands the judge's,
// the steps' and the rollbacks' to the Feed. The operator's events are
// the model's own (a plan's note= step's note shows as its step's line).
func (s *Sink) Event(e session.Event) {
	if st, ok := stepEvent(e); ok {
		s.Feed.step(st)
		return
	}
	if e.Source == session.FromJudge {
		if j, ok := judgeEvent(e); ok {
			s.Feed.judge(j)
		}
		return
	}
	if e.Source == session.FromCanary || e.Source == session.FromAgents {
		s.Feed.judge(canaryEvent(e)) // the event log's, with the frames
		return
	}
	if e.Cluster == nil {
		return
	}
	s.mu.Lock()
	s.queue = append(s.queue, *e.Cluster)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Finish hands the run's outcome to the Feed once the load ended and
// the thresholds' sink (registered before) put its final statuses in res:
// the model shows the end, and the session holds until it quits. The
// judge's events of its final evaluation follow.
func (s *Sink) Finish(res *session.Result) {
	s.Feed.finish(Outcome{Verdict: session.VerdictOf(res), Thresholds: slices.Clone(res.Thresholds)})
}

// Close ends the Feed (if the load's end did not) and the events.
func (s *Sink) Close(*session.Result) error {
	s.opening.Do(func() { close(s.opened) }) // never opened: say so
	s.closing.Do(func() {
		s.Feed.Close()
		close(s.done)
	})
	return nil
}

// deliver hands the queued events to the model in order.
func (s *Sink) deliver() {
	defer close(s.events)
	for {
		s.mu.Lock()
		batch := s.queue
		s.queue = nil
		s.mu.Unlock()
		for _, e := range batch {
			select {
			case s.events <- e:
			case <-s.done:
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-s.wake:
		case <-s.done:
			return
		}
	}
}

var (
	_ session.Sink     = (*Sink)(nil)
	_ session.Finisher = (*Sink)(nil)
)
