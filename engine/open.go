package engine

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// reapEvery is how often the open loop retires workers left idle after a
// burst, so memory follows the load back down.
const reapEvery = time.Second

// quitWork tells an open-loop worker to exit.
const quitWork = time.Duration(-1)

// windowGrace is how late after the window's close the sender still sends
// a request that was due inside it; past it, such requests are dropped.
const windowGrace = 100 * time.Millisecond

// spinBelow is the wait under which the sender yields instead of sleeping.
// It is tiny on purpose: a goroutine that keeps yielding keeps the run
// queue non-empty, and the scheduler polls the network only when its run
// queues are empty (else only sysmon does, every 10 ms), so on one
// processor a yielding sender would leave every answer unread that long.
const spinBelow = 2 * time.Microsecond

// minSleep is the sender's shortest sleep: arming the timer costs system
// calls, so at high rates one wake sends the few requests due meanwhile,
// each at most minSleep behind its time (and timed from it).
const minSleep = 200 * time.Microsecond

// openLoop is the open-loop sender's state, owned by its goroutine.
type openLoop struct {
	e       *Engine
	sched   *schedule
	work    chan time.Duration // due requests, by intended send offset
	wg      sync.WaitGroup
	workers int // alive, busy or idle
	// outstanding counts requests queued or in flight; taken the queue
	// items workers took, queued those the sender put in, and dues the
	// intended offsets of the queued items, by item number (sender only).
	outstanding atomic.Int64
	taken       atomic.Uint64
	queued      uint64
	dues        []time.Duration
	nextID      int
	reaped      time.Duration
}

// runOpen sends on schedule until the window ends or ctx is done and
// returns the sending window.
func (e *Engine) runOpen(ctx context.Context) time.Duration {
	o := &openLoop{
		e:     e,
		sched: newSchedule(e.cfg.rate, e.cfg.stages),
		work:  make(chan time.Duration, e.cfg.maxInflight),
		dues:  make([]time.Duration, e.cfg.maxInflight),
	}
	end := e.cfg.window()
	stopWake := context.AfterFunc(ctx, e.sleeper.wake)
	defer stopWake()
	window := o.send(ctx, end)
	e.stopping.Store(true)
	close(o.work)
	o.wg.Wait()
	return window
}

// send is the schedule loop. It returns the sending window.
func (o *openLoop) send(ctx context.Context, end time.Duration) time.Duration {
	var k uint64
	for ; ; k++ {
		due, ok := o.waitFor(ctx, k, end)
		if !ok || (end > 0 && o.e.since() >= end+windowGrace) {
			break
		}
		o.dispatch(due)
		if now := o.e.since(); now-o.reaped >= reapEvery {
			o.reap()
			o.reaped = now
		}
	}
	window := o.e.since()
	if end > 0 && window > end {
		window = end
	}
	o.awaitQueue(window + windowGrace)
	o.dropUnsent(k, window)
	return window
}

// awaitQueue gives the workers until deadline to take the requests still
// queued.
func (o *openLoop) awaitQueue(deadline time.Duration) {
	for len(o.work) > 0 && o.e.since() < deadline {
		time.Sleep(time.Millisecond)
	}
}

// dropUnsent counts as dropped the requests due before the window closed
// that were never sent: those the sender had not reached (it fell behind)
// and those still queued for a worker.
func (o *openLoop) dropUnsent(k uint64, window time.Duration) {
	for ; toOffset(o.sched.at(k)) < window; k++ {
		o.e.rec.dropped.Add(1)
	}
	for {
		select {
		case d := <-o.work:
			if d != quitWork {
				o.outstanding.Add(-1)
				o.e.rec.dropped.Add(1)
			}
		default:
			return
		}
	}
}

// waitFor waits until request k is due and returns its intended offset; it
// returns false when the window ends or ctx is done first.
func (o *openLoop) waitFor(ctx context.Context, k uint64, end time.Duration) (time.Duration, bool) {
	for {
		o.applyChanges()
		due := toOffset(o.sched.at(k))
		if end > 0 && due >= end {
			due = end
		}
		now := o.e.since()
		if due <= now {
			if (end > 0 && due >= end) || ctx.Err() != nil {
				return 0, false
			}
			return due, true
		}
		if wait := due - now; wait < spinBelow {
			runtime.Gosched()
		} else {
			o.e.sleeper.sleep(max(wait, minSleep))
		}
		if ctx.Err() != nil {
			return 0, false
		}
	}
}

// toOffset converts seconds to an offset, saturating at the largest one.
func toOffset(sec float64) time.Duration {
	if math.IsInf(sec, 1) || sec*1e9 >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(sec * 1e9)
}

// applyChanges brings the sender's schedule in step with SetRate calls.
func (o *openLoop) applyChanges() {
	for {
		select {
		case ch := <-o.e.changes:
			o.sched.setRate(ch.at, ch.rate)
		default:
			return
		}
	}
}

// dispatch queues a due request for the workers, adding a worker when it
// would otherwise wait (see needWorker). When MaxInflight requests are
// outstanding the request is dropped and counted. A request that waits in
// the queue is sent late and timed from its intended send.
func (o *openLoop) dispatch(due time.Duration) {
	n := o.outstanding.Load()
	if n >= int64(o.e.cfg.maxInflight) {
		o.e.rec.dropped.Add(1)
		return
	}
	if o.needWorker(n) {
		o.spawn()
	}
	o.outstanding.Add(1)
	o.enqueue(due)
}

// spawnAfter is how long the oldest queued request may wait while every
// worker has a request before another worker (and connection) is added.
const spawnAfter = 200 * time.Microsecond

// needWorker reports whether to add a worker, given n requests outstanding:
// when there is none, or when every worker has a request and the oldest
// queued one has waited spawnAfter (or none is queued, so the new one would
// wait). Workers that will be free in a moment, or that only wait for the
// processor, take the queue soon: adding connections for them would only
// load a saturated generator further (measured: 7,928 workers at 50k/s
// without the wait, 712 with it).
func (o *openLoop) needWorker(n int64) bool {
	if o.workers == 0 {
		return true
	}
	if n < int64(o.workers) {
		return false
	}
	t := o.taken.Load()
	if t >= o.queued {
		return true
	}
	return o.e.since()-o.dues[t%uint64(len(o.dues))] > spawnAfter
}

// enqueue puts an item in the queue, keeping its intended offset. The queue
// holds MaxInflight items, more than are ever outstanding, so it does not
// block.
func (o *openLoop) enqueue(d time.Duration) {
	o.dues[o.queued%uint64(len(o.dues))] = d
	o.queued++
	o.work <- d
}

// spawn starts a worker that serves the queue until it closes or tells it
// to quit.
func (o *openLoop) spawn() {
	o.workers++
	o.nextID++
	w := o.e.newWorker(o.nextID)
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		defer w.hangUp()
		for d := range o.work {
			o.taken.Add(1)
			if d == quitWork {
				return
			}
			w.do(d)
			o.outstanding.Add(-1)
		}
	}()
}

// reap retires half of the workers beyond twice those busy (plus a margin),
// after a burst has passed.
func (o *openLoop) reap() {
	keep := 2*int(o.outstanding.Load()) + 16
	for extra := (o.workers - keep) / 2; extra > 0; extra-- {
		if len(o.work) >= cap(o.work)/2 {
			return
		}
		o.enqueue(quitWork)
		o.workers--
	}
}
