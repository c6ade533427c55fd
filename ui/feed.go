package ui

import (
	"runtime"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/internal/procstat"
)

// Frame is what the UI draws from at each engine tick.
type Frame struct {
	// Snapshot is what the engine measured since the previous frame (several
	// ticks merged when the UI fell behind).
	Snapshot *engine.Snapshot
	// CPU is the process's CPU use since the previous frame, as a share of
	// GOMAXPROCS; CPUKnown is false when it was not measured.
	CPU      float64
	CPUKnown bool
	// Procs is GOMAXPROCS, the processors the CPU share is of.
	Procs int
	// State is the cluster's state at the frame's last tick, nil without
	// a cluster (or from Push); Autoscaler its autoscaler's, nil without.
	State      *cluster.State
	Autoscaler *cluster.Autoscaler
	// Judged are the judge's events since the previous frame, in order;
	// Steps the steps' and rollbacks' events.
	Judged []JudgeEvent
	Steps  []StepEvent
	// End is how the session judged the run, in the frame after the load
	// ended (nil before). A frame may carry only Judged, Steps or End: its
	// Snapshot is then nil.
	End *Outcome
}

// Feed carries the engine's snapshots to the UI without ever blocking the
// engine: Push (the engine's OnSnapshot) merges into a pending frame that
// the UI takes when it is ready, so a slow UI sees fewer, wider frames and
// loses nothing.
type Feed struct {
	mu      sync.Mutex
	pending *Frame
	cpu     procstat.Sample
	ready   chan struct{}
	done    chan struct{}
	once    sync.Once
	// cpuTime sums the pending frame's ticks' CPU shares times their
	// seconds, when every one was known (cpuKnown); procs is their
	// GOMAXPROCS.
	cpuTime  float64
	cpuKnown bool
	procs    int
	// judged, steps and end wait for the next frame taken, with or
	// without a snapshot.
	judged []JudgeEvent
	steps  []StepEvent
	end    *Outcome
}

// NewFeed returns an empty feed.
func NewFeed() *Feed {
	return &Feed{
		cpu:   procstat.Take(),
		ready: make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
}

// Push hands a snapshot to the UI; pass it to engine.OnSnapshot. It never
// blocks, and keeps nothing of s (it merges it into a frame of its own);
// the CPU is measured as the UI takes the frame.
func (f *Feed) Push(s *engine.Snapshot) { f.push(s, 0, false, 0, nil, nil) }

// push merges s into the pending frame with the CPU share measured over
// it (when known: a session's tick), so that a frame of several ticks
// has their CPU, weighted by their lengths.
func (f *Feed) push(s *engine.Snapshot, cpu float64, known bool, procs int, st *cluster.State, hpa *cluster.Autoscaler) {
	f.mu.Lock()
	if f.pending == nil {
		f.pending = &Frame{Snapshot: s.Clone()}
		f.cpuTime, f.cpuKnown = 0, known
	} else {
		f.pending.Snapshot.Merge(s)
	}
	if st != nil {
		f.pending.State, f.pending.Autoscaler = st, hpa // the sink's own copies
	}
	if known {
		f.cpuTime += cpu * s.Elapsed().Seconds()
		f.procs = procs
	} else {
		f.cpuKnown = false
	}
	f.mu.Unlock()
	f.wake()
}

// judge hands a judge's event to the UI with the next frame.
func (f *Feed) judge(j JudgeEvent) {
	f.mu.Lock()
	f.judged = append(f.judged, j)
	f.mu.Unlock()
	f.wake()
}

// step hands a step's or a rollback's event to the UI with the next
// frame.
func (f *Feed) step(s StepEvent) {
	f.mu.Lock()
	f.steps = append(f.steps, s)
	f.mu.Unlock()
	f.wake()
}

// finish hands the run's outcome to the UI with the next frame.
func (f *Feed) finish(o Outcome) {
	f.mu.Lock()
	f.end = &o
	f.mu.Unlock()
	f.wake()
}

func (f *Feed) wake() {
	select {
	case f.ready <- struct{}{}:
	default:
	}
}

// Close says that no more snapshots will come: the run ended. Close is
// idempotent.
func (f *Feed) Close() { f.once.Do(func() { close(f.done) }) }

// next waits for the pending frame; it returns false once the feed is
// closed and drained.
func (f *Feed) next() (Frame, bool) {
	for {
		if fr, ok := f.take(); ok {
			return fr, true
		}
		select {
		case <-f.ready:
		case <-f.done:
			return f.take()
		}
	}
}

// take removes the pending frame, measuring the CPU used since the last one.
func (f *Feed) take() (Frame, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pending
	if p == nil {
		if f.judged == nil && f.steps == nil && f.end == nil {
			return Frame{}, false
		}
		fr := Frame{Judged: f.judged, Steps: f.steps, End: f.end}
		f.judged, f.steps, f.end = nil, nil, nil
		return fr, true
	}
	f.pending = nil
	p.Judged, p.Steps, p.End = f.judged, f.steps, f.end
	f.judged, f.steps, f.end = nil, nil, nil
	now := procstat.Take()
	if secs := p.Snapshot.Elapsed().Seconds(); f.cpuKnown && secs > 0 {
		p.CPU, p.CPUKnown, p.Procs = f.cpuTime/secs, true, f.procs
	} else {
		p.CPU, p.CPUKnown, p.Procs = procstat.Usage(f.cpu, now), true, runtime.GOMAXPROCS(0)
	}
	f.cpu = now
	return *p, true
}

// FrameMsg carries one frame to the model.
type FrameMsg Frame

// LoadEndedMsg says that the load run ended and no more frames will come.
type LoadEndedMsg struct{}

// waitFrame is the re-issued command that reads the next frame.
func waitFrame(f *Feed) tea.Cmd {
	return func() tea.Msg {
		fr, ok := f.next()
		if !ok {
			return LoadEndedMsg{}
		}
		return FrameMsg(fr)
	}
}
