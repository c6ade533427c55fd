package session

import (
	"runtime"
	"slices"
	"sync"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/internal/procstat"
)

// fanout hands the session's ticks and events to every sink in one order:
// one call at a time, each sink its own copy of the tick's snapshot.
// Events that come before the sinks are open (a cluster's first events)
// wait, and go out first once they are.
type fanout struct {
	mu      sync.Mutex
	sinks   []Sink
	copies  []engine.Snapshot // one per sink, reused tick after tick
	counts  []bool            // per sink: it is CountsOnly
	cluster cluster.Cluster   // read at each tick; nil without one
	packed  engine.Packed     // the tick's histograms, packed once for its merge and copies
	cpu     procstat.Sample
	remote  bool // the load runs elsewhere: this process's CPU is not the generator's
	open    bool
	closed  bool
	pending []Event
	// qmu guards queue and inside: the events a sink emitted (Control)
	// while the fan-out delivers, handed out after the call in progress.
	qmu    sync.Mutex
	queue  []Event
	inside bool
	// total is every tick merged: the result when the load cannot be
	// waited for.
	total *engine.Snapshot
}

func newFanout(sinks []Sink) *fanout {
	f := &fanout{sinks: sinks, copies: make([]engine.Snapshot, len(sinks)), counts: make([]bool, len(sinks)),
		total: engine.NewSnapshot()}
	for i, s := range sinks {
		_, f.counts[i] = s.(CountsOnly)
	}
	return f
}

// opened lets the events through, those that waited first.
func (f *fanout) opened(c cluster.Cluster) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open, f.cluster, f.cpu = true, c, procstat.Take()
	f.begin()
	for _, e := range f.pending {
		f.eventLocked(e)
	}
	f.pending = nil
	f.drainLocked()
}

// begin marks a delivery in progress: the events sinks emit from now on
// are queued for drainLocked. f.mu is held.
func (f *fanout) begin() {
	f.qmu.Lock()
	f.inside = true
	f.qmu.Unlock()
}

// drainLocked hands out the events sinks emitted during the delivery, and
// those they emit meanwhile, in order, then ends the delivery. f.mu is
// held.
func (f *fanout) drainLocked() {
	for {
		f.qmu.Lock()
		q := f.queue
		f.queue = nil
		if len(q) == 0 {
			f.inside = false
			f.qmu.Unlock()
			return
		}
		f.qmu.Unlock()
		if f.closed {
			continue
		}
		for _, e := range q {
			f.eventLocked(e)
		}
	}
}

// emit is a sink's event (Control.Emit). It never waits for a delivery
// in progress, which may be waiting for the goroutine that emits (a
// sink's Finish awaiting the action it started): queued when one is in
// progress (the sink emits from inside its call, or another goroutine
// emits meanwhile), else handed out at once, or, when the lock is taken
// by a delivery that has drained its queue already, by a goroutine of
// its own as soon as that delivery ends.
func (f *fanout) emit(e Event) {
	f.qmu.Lock()
	if f.inside {
		f.queue = append(f.queue, e)
		f.qmu.Unlock()
		return
	}
	f.qmu.Unlock()
	if f.mu.TryLock() {
		defer f.mu.Unlock()
		f.eventHeld(e)
		return
	}
	f.qmu.Lock()
	f.queue = append(f.queue, e)
	later := !f.inside
	f.qmu.Unlock()
	if later {
		go f.flush()
	}
}

// flush hands out the queued events (see emit).
func (f *fanout) flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	if !f.open {
		f.qmu.Lock()
		f.pending = append(f.pending, f.queue...)
		f.queue = nil
		f.qmu.Unlock()
		return
	}
	f.begin()
	f.drainLocked()
}

// tick hands s, which the engine gave up, to every sink.
func (f *fanout) tick(s *engine.Snapshot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	t := Tick{Snapshot: s}
	if !f.remote {
		now := procstat.Take()
		t.CPU, t.CPUKnown, t.Procs = procstat.Usage(f.cpu, now), true, runtime.GOMAXPROCS(0)
		f.cpu = now
	}
	if f.cluster != nil {
		v := f.cluster.State()
		t.State = &v
		if a, ok := f.cluster.(cluster.Autoscaled); ok {
			if hpa, ok := a.Autoscaler(); ok {
				t.Autoscaler = &hpa
			}
		}
	}
	f.packed.Pack(s)
	f.tickLocked(t, &f.packed)
}

// recorded hands t, a tick made elsewhere (a replayed frame), to every
// sink; p holds its histograms packed (engine.Packed), or is empty.
func (f *fanout) recorded(t Tick, p *engine.Packed) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.tickLocked(t, p)
	}
}

// tickLocked merges t's snapshot into the total and hands t to every
// sink, each with its own copy of the snapshot and the state, the
// histograms taken from p (see engine.Snapshot.MergePacked), none for a
// CountsOnly sink; f.mu is held.
func (f *fanout) tickLocked(t Tick, p *engine.Packed) {
	f.begin()
	defer f.drainLocked()
	f.total.MergePacked(t.Snapshot, p)
	for i, sink := range f.sinks {
		if f.counts[i] {
			f.copies[i].CopyCounts(t.Snapshot)
		} else {
			f.copies[i].CopyFromPacked(t.Snapshot, p)
		}
		own := t
		own.Snapshot = &f.copies[i]
		if t.State != nil {
			st := *t.State
			st.Replicas = slices.Clone(t.State.Replicas)
			own.State = &st
		}
		if t.Autoscaler != nil {
			a := *t.Autoscaler
			a.Metrics = slices.Clone(t.Autoscaler.Metrics)
			own.Autoscaler = &a
		}
		sink.Tick(own)
	}
}

// event hands e to every sink, or keeps it until they are open.
func (f *fanout) event(e Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.eventHeld(e)
}

// eventHeld is event with f.mu held.
func (f *fanout) eventHeld(e Event) {
	if f.closed {
		return
	}
	if !f.open {
		f.pending = append(f.pending, e)
		return
	}
	f.begin()
	f.eventLocked(e)
	f.drainLocked()
}

func (f *fanout) eventLocked(e Event) {
	for _, sink := range f.sinks {
		own := e
		if e.Cluster != nil {
			c := *e.Cluster
			own.Cluster = &c
		}
		if e.Step != nil {
			r := *e.Step
			own.Step = &r
		}
		if e.Threshold != nil {
			st := *e.Threshold
			own.Threshold = &st
		}
		if e.Rollback != nil {
			r := *e.Rollback
			own.Rollback = &r
		}
		if e.Scrape != nil {
			r := e.Scrape.Clone()
			own.Scrape = &r
		}
		if e.Generator != nil {
			r := e.Generator.Clone()
			own.Generator = &r
		}
		sink.Event(own)
	}
}

// finish lets the sinks that add to the result (Finisher) do so, in
// order, and hands out the events they emit.
func (f *fanout) finish(res *Result) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.begin()
	for _, sink := range f.sinks {
		if fin, ok := sink.(Finisher); ok {
			fin.Finish(res)
		}
	}
	f.drainLocked()
}

// close stops the ticks and events and closes every sink with res,
// returning their errors.
func (f *fanout) close(res *Result) []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	f.begin() // what a sink emits as it closes goes nowhere
	defer f.drainLocked()
	var errs []error
	for _, sink := range f.sinks {
		if err := sink.Close(res); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// merged is a copy of every tick so far, merged.
func (f *fanout) merged() *engine.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := engine.NewSnapshot()
	out.Merge(f.total)
	return out
}
