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

// spinBelow is the wait under which the sender yields instead of sleeping:
// a sleep costs syscalls, and at such rates the workers keep the processor
// busy anyway.
const spinBelow = 50 * time.Microsecond

// openLoop is the open-loop sender's state, owned by its goroutine.
type openLoop struct {
	e       *Engine
	sched   *schedule
	work    chan time.Duration // due requests, by intended send offset
	wg      sync.WaitGroup
	workers int // alive, busy or idle
	// outstanding counts requests queued or in flight.
	outstanding atomic.Int64
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
			o.e.sleeper.sleep(wait)
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

// dispatch queues a due request for the workers, adding a worker when none
// is free (every worker has a request in flight or queued: a worker that is
// only waiting for the processor still counts as free, so a saturated
// generator does not open connections it cannot use). When MaxInflight
// requests are outstanding the request is dropped and counted. A request
// that waits in the queue is sent late and timed from its intended send.
func (o *openLoop) dispatch(due time.Duration) {
	n := o.outstanding.Load()
	if n >= int64(o.e.cfg.maxInflight) {
		o.e.rec.dropped.Add(1)
		return
	}
	if n >= int64(o.workers) {
		o.spawn()
	}
	o.outstanding.Add(1)
	o.work <- due // never blocks: the queue holds MaxInflight requests
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
		for d := range o.work {
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
		select {
		case o.work <- quitWork:
			o.workers--
		default:
			return
		}
	}
}
