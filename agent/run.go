package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/session"
	"net/http"
	"sync"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/recordings"
)

// run is one Spec's life on an agent: armed until its start, running its
// engine, then ended (or orphaned). Its state, frames and end are guarded
// by the server's mutex.
type run struct {
	s      *Server
	spec   Spec
	eng    *engine.Engine
	ctx    context.Context // cancelled by stop, the orphan rule and Close
	cancel context.CancelFunc

	// guarded by s.mu
	state    State
	frames   [][]byte      // every tick's encoded snapshot, in order
	probes   [][]byte      // every second's Probe, in JSON, in order
	bytes    int           // their size
	full     bool          // the frames passed MaxFrameBytes: the load stops
	notify   chan struct{} // closed (and replaced) on each frame and at the end
	ended    bool          // the engine returned (or never started): frames is complete
	err      string
	orphaned bool

	// ctl serializes the control requests; paused is the setting Pause
	// replaced (nil: not paused).
	ctl    sync.Mutex
	paused *engine.Paused
	// eps is what the engine balances over (nil: the URL's host).
	eps *engine.Endpoints
	// gen is the agent's own generator probes, judged a second at a time
	// from the ticks (the engine's collecting goroutine's); judged the
	// seconds it sent.
	gen    *session.GeneratorSink
	judged int
}

// setEndpoints replaces the endpoints a balancing run sends to.
func (r *run) setEndpoints(eps []engine.Endpoint) error {
	if r.eps == nil {
		return errConflict{errors.New("the run was armed without endpoints: it sends to its URL's host")}
	}
	r.eps.Set(eps)
	return nil
}

// arm starts spec's run: its engine is built now (its errors are the
// request's) and runs from spec.StartAt. It answers the HTTP code and
// error of a refusal.
func (s *Server) arm(spec Spec) (int, error) {
	r := &run{s: s, spec: spec, state: Armed, notify: make(chan struct{}), eps: spec.Balance()}
	opts := append(spec.Options(), engine.OnSnapshot(r.onSnapshot))
	if r.eps != nil {
		opts = append(opts, engine.Balance(r.eps))
	}
	eng, err := engine.New(spec.Target, opts...)
	if err != nil {
		return http.StatusBadRequest, fmt.Errorf("spec: %w", err)
	}
	r.eng = eng
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return http.StatusServiceUnavailable, errors.New("the agent is closing")
	case s.run != nil && (s.run.state == Armed || s.run.state == Running):
		return http.StatusConflict, fmt.Errorf("run %q is %s already", s.run.spec.RunID, s.run.state)
	}
	r.ctx, r.cancel = context.WithCancel(s.base)
	s.run = r
	s.wg.Add(1)
	go r.execute()
	return http.StatusOK, nil
}

// execute waits for the start, runs the engine under the orphan rule and
// ends the run.
func (r *run) execute() {
	defer r.s.wg.Done()
	defer r.cancel()
	s, spec := r.s, r.spec
	wait := time.NewTimer(time.Until(spec.StartAt))
	select {
	case <-wait.C:
	case <-r.ctx.Done():
		wait.Stop()
		r.end(nil, "stopped before its start")
		return
	}
	s.mu.Lock()
	absent := s.absentLocked(time.Now())
	if absent {
		r.orphaned = true
	} else {
		r.state = Running
	}
	s.mu.Unlock()
	if absent {
		s.log.printf("agent: run %q (agent %d of %d) not started: no controller for %s", spec.RunID, spec.Index, spec.Count, s.opts.OrphanTimeout)
		r.end(nil, "orphaned before its start")
		return
	}
	s.log.printf("agent: run %q (agent %d of %d) started: %s", spec.RunID, spec.Index, spec.Count, spec.Target.URL)
	r.gen = session.NewGenerator(probes.Thresholds{}, probes.Options{})
	_ = r.gen.Open(session.Info{Start: time.Now()})
	defer r.gen.Close(nil)
	engineDone := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		r.watch(engineDone)
	}()
	_, err := r.eng.Run(r.ctx)
	close(engineDone)
	<-watched
	r.end(err, "")
}

// end marks the run ended (orphaned when the orphan rule stopped it),
// wakes its streams and logs how it ended.
func (r *run) end(err error, note string) {
	s := r.s
	s.mu.Lock()
	switch {
	case err != nil:
		r.err = err.Error()
	case r.full:
		r.err = fmt.Sprintf("stopped: its frames passed the agent's %d bytes of frame memory", s.opts.MaxFrameBytes)
	}
	r.state = Ended
	if r.orphaned {
		r.state = Orphaned
	}
	r.ended = true
	frames, state, why := len(r.frames), r.state, r.err
	close(r.notify)
	s.mu.Unlock()
	if why == "" {
		why = note
	}
	if why != "" {
		why = ": " + why
	}
	s.log.printf("agent: run %q (agent %d of %d) %s after %d frames%s", r.spec.RunID, r.spec.Index, r.spec.Count, state, frames, why)
}

// onSnapshot keeps a tick's snapshot, encoded relative to the run's
// start, and wakes the streams (the engine's collecting goroutine).
func (r *run) onSnapshot(snap *engine.Snapshot) {
	b := recordings.AppendSnapshot(nil, snap, r.spec.StartAt)
	probe := r.probe(snap)
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.full {
		return
	}
	if r.bytes+len(b) > s.opts.MaxFrameBytes {
		r.full = true
		r.cancel()
		return
	}
	r.frames = append(r.frames, b)
	r.bytes += len(b)
	if probe != nil {
		r.probes = append(r.probes, probe)
		r.bytes += len(probe)
	}
	close(r.notify)
	r.notify = make(chan struct{})
}

// watch applies the orphan rule until done: once the controller has been
// absent for the orphan timeout, the load stops. It wakes at the deadline
// the last request set, and when a frame stream ends.
func (r *run) watch(done <-chan struct{}) {
	s := r.s
	t := time.NewTimer(s.opts.OrphanTimeout)
	defer t.Stop()
	for {
		now := time.Now()
		s.mu.Lock()
		absent := s.absentLocked(now)
		streaming := s.streams > 0
		deadline := s.lastSeen.Add(s.opts.OrphanTimeout)
		if absent {
			r.orphaned = true
		}
		s.mu.Unlock()
		if absent {
			s.log.printf("agent: run %q (agent %d of %d) orphaned: no controller for %s, stopping the load",
				r.spec.RunID, r.spec.Index, r.spec.Count, s.opts.OrphanTimeout)
			r.cancel()
			return
		}
		var expired <-chan time.Time
		if !streaming {
			t.Reset(deadline.Sub(now))
			expired = t.C
		}
		select {
		case <-done:
			return
		case <-r.ctx.Done():
			return
		case <-expired:
		case <-s.streamEnded:
		}
	}
}

// absentLocked says whether the controller has been away for the orphan
// timeout at now: no frame stream open, no request since. s.mu is held.
func (s *Server) absentLocked(now time.Time) bool {
	return s.streams == 0 && now.Sub(s.lastSeen) >= s.opts.OrphanTimeout
}

// stop ends the load: the engine drains its requests in flight.
func (r *run) stop() { r.cancel() }

// setRate sets the open loop's rate (and ends a pause).
func (r *run) setRate(rate float64) error {
	r.ctl.Lock()
	defer r.ctl.Unlock()
	if err := r.eng.SetRate(rate); err != nil {
		return err
	}
	r.paused = nil
	return nil
}

// setConcurrency sets the closed loop's connections (and ends a pause).
func (r *run) setConcurrency(n int) error {
	r.ctl.Lock()
	defer r.ctl.Unlock()
	if err := r.eng.SetConcurrency(n); err != nil {
		return err
	}
	r.paused = nil
	return nil
}

// pause pauses the load, keeping its setting for resume; pausing a paused
// load does nothing.
func (r *run) pause() error {
	r.ctl.Lock()
	defer r.ctl.Unlock()
	if r.paused != nil {
		return nil
	}
	p, err := r.eng.Pause()
	if err != nil {
		return err
	}
	r.paused = &p
	return nil
}

// resume restores the setting pause kept; resuming a load not paused
// does nothing.
func (r *run) resume() error {
	r.ctl.Lock()
	defer r.ctl.Unlock()
	if r.paused == nil {
		return nil
	}
	if err := r.eng.Resume(*r.paused); err != nil {
		return err
	}
	r.paused = nil
	return nil
}

// probe hands the tick to the agent's generator probes and returns the
// second they judged with it, in JSON, nil when the tick ended none.
func (r *run) probe(snap *engine.Snapshot) []byte {
	if r.gen == nil {
		return nil
	}
	r.gen.Tick(session.Tick{Snapshot: snap})
	secs := r.gen.Seconds(r.judged)
	if len(secs) == 0 {
		return nil
	}
	r.judged += len(secs)
	smp, sat := r.gen.Last()
	sec := secs[len(secs)-1]
	b, _ := json.Marshal(Probe{End: snap.End.Sub(r.spec.StartAt), Span: sec.Span, CPU: smp.CPU.Cores, CPULimit: smp.CPU.Limit,
		RunDelay: smp.RunQueue.DelayPerSecond, Saturated: sat.Saturated, Reasons: sat.Reasons, Kinds: sec.Kinds})
	return b
}
