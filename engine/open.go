package engine

import (
	"context"
	"math"
	"runtime"
	"sync"
	"time"
)

// reapEvery is how often the open loop retires workers left idle after a
// burst, so memory follows the load back down.
const reapEvery = time.Second

// quitWork tells an open-loop worker to exit.
const quitWork = time.Duration(-1)

// spinBelow is the wait under which the sender yields instead of sleeping:
// a sleep costs syscalls, and at such rates the workers keep the processor
// busy anyway.
const spinBelow = 50 * time.Microsecond

// openLoop is the open-loop sender's state, owned by its goroutine.
type openLoop struct {
	e       *Engine
	sched   *schedule
	work    chan time.Duration
	wg      sync.WaitGroup
	workers int // alive, busy or idle
	nextID  int
	reaped  time.Duration
}

// runOpen sends on schedule until the window ends or ctx is done and
// returns the sending window.
func (e *Engine) runOpen(ctx context.Context) time.Duration {
	o := &openLoop{
		e:     e,
		sched: newSchedule(e.cfg.rate, e.cfg.stages),
		work:  make(chan time.Duration),
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
	for k := uint64(0); ; k++ {
		due, ok := o.waitFor(ctx, k, end)
		if !ok {
			if now := o.e.since(); end <= 0 || now < end {
				return now
			}
			return end
		}
		o.dispatch(due)
		if now := o.e.since(); now-o.reaped >= reapEvery {
			o.reap()
			o.reaped = now
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

// dispatch hands a due request to an idle worker, starts a new worker when
// none is idle, or counts a drop when MaxInflight workers are all busy.
func (o *openLoop) dispatch(due time.Duration) {
	select {
	case o.work <- due:
		return
	default:
	}
	if o.workers >= o.e.cfg.maxInflight {
		o.e.rec.dropped.Add(1)
		return
	}
	o.workers++
	o.nextID++
	w := o.e.newWorker(o.nextID)
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		w.do(due)
		for d := range o.work {
			if d == quitWork {
				return
			}
			w.do(d)
		}
	}()
}

// reap retires half of the workers beyond twice those busy (plus a margin),
// after a burst has passed.
func (o *openLoop) reap() {
	busy := int(o.e.rec.inflight())
	keep := 2*busy + 16
	for extra := (o.workers - keep) / 2; extra > 0; extra-- {
		select {
		case o.work <- quitWork:
			o.workers--
		default:
			return
		}
	}
}
