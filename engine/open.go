package engine

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// windowGrace is how late after the window's close the sender still sends
// a request that was due inside it (late, and timed from its intended
// time, as every late send); past it, such requests are dropped. A second
// lets a generator that fell behind under a burst of load catch up, as the
// schedule asked, while the run stays bounded in time.
const windowGrace = time.Second

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

// openLoop is the open-loop sender's state, owned by its goroutine except
// for the worker pool under mu (see openpool.go).
type openLoop struct {
	e      *Engine
	sched  *schedule
	wg     sync.WaitGroup
	nextID int
	reaped time.Duration
	// outstanding counts requests queued or in flight; busy the workers
	// with a request in flight.
	outstanding atomic.Int64
	busy        atomic.Int64
	workers     int           // alive, busy or idle
	spawned     time.Duration // offset of the last spawn
	wakeLag     time.Duration // how late the sender's last sleep ended
	// The process's processor use, measured by sampleCPU: cpuUsed at
	// offset cpuAt, over procs processors; cpuShort when it used more than
	// cpuBusy of them over the last window.
	cpuAt, cpuUsed time.Duration
	procs          int
	cpuShort       bool

	mu     sync.Mutex
	idle   []*slot // idle workers, most recently idle last
	low    int     // the fewest idle workers since the last reap, the sender on time
	queue  ring    // due requests waiting for a worker, oldest first
	closed bool
	// answered counts the requests workers finished; the sender notes in
	// answeredAt when it last saw it change (answeredSeen), see stuck.
	answered, answeredSeen uint64
	answeredAt             time.Duration
}

// runOpen sends on schedule until the window ends or ctx is done and
// returns the sending window.
func (e *Engine) runOpen(ctx context.Context) time.Duration {
	o := &openLoop{
		e:     e,
		sched: newSchedule(e.cfg.rate, e.cfg.stages),
		queue: newRing(e.cfg.maxInflight),
		procs: runtime.GOMAXPROCS(0),
	}
	end := e.cfg.window()
	stopWake := context.AfterFunc(ctx, e.sleeper.wake)
	defer stopWake()
	window := o.send(ctx, end)
	e.stopping.Store(true)
	o.close()
	e.drain(ctx, &o.wg)
	return window
}

// send is the schedule loop. It returns the sending window.
func (o *openLoop) send(ctx context.Context, end time.Duration) time.Duration {
	var k uint64
	for ; ; k++ {
		due, now, ok := o.waitFor(ctx, k, end)
		if !ok || (end > 0 && now >= end+windowGrace) {
			break
		}
		o.dispatch(due, now)
		now = o.e.since()
		o.sampleCPU(now)
		if now-o.reaped >= reapEvery {
			o.reap()
			o.reaped = now
		}
	}
	window := o.e.since()
	if end > 0 && window > end {
		window = end
	}
	if ctx.Err() == nil {
		o.awaitQueue(window + windowGrace) // stopped: what is queued is dropped now
	}
	o.dropUnsent(k, window)
	return window
}

// awaitQueue gives the workers until deadline to take the requests still
// queued, adding one for a request stuck behind busy ones as the sender
// does between due requests (else, against a target that holds every
// connection, the last requests of a window waited out the deadline and
// were dropped).
func (o *openLoop) awaitQueue(deadline time.Duration) {
	for o.queued() > 0 {
		now := o.e.since()
		if now >= deadline {
			return
		}
		o.unstick(now)
		time.Sleep(time.Millisecond)
	}
}

// dropUnsent counts as dropped the requests due before the window closed
// that were never sent: those from k on that the sender had not reached
// (it fell behind), counted from the schedule at once, and those still
// queued for a worker.
func (o *openLoop) dropUnsent(k uint64, window time.Duration) {
	if due := o.sched.dueBefore(window); due > k {
		o.e.rec.dropped.Add(due - k)
	}
	o.mu.Lock()
	n := o.queue.len()
	o.queue.clear()
	o.mu.Unlock()
	o.outstanding.Add(-int64(n))
	o.e.rec.dropped.Add(uint64(n))
}

// waitFor waits until request k is due and returns its intended offset
// and the offset it found it due at; it returns false when the window ends
// or ctx is done first.
func (o *openLoop) waitFor(ctx context.Context, k uint64, end time.Duration) (due, now time.Duration, ok bool) {
	for {
		o.applyChanges()
		due = toOffset(o.sched.at(k))
		if end > 0 && due >= end {
			due = end
		}
		now = o.e.since()
		if due <= now {
			if (end > 0 && due >= end) || ctx.Err() != nil {
				return 0, now, false
			}
			return due, now, true
		}
		waiting := o.outstanding.Load() > o.busy.Load() // requests queued, or handed to a worker not yet running
		if waiting {
			o.unstick(now)
		}
		if wait := due - now; wait < spinBelow {
			runtime.Gosched()
		} else {
			d := max(wait, minSleep)
			if waiting {
				d = min(d, max(recheck, minSleep))
			}
			o.e.sleeper.sleep(d)
			o.wakeLag = max(o.e.since()-now-d, 0)
		}
		if ctx.Err() != nil {
			return 0, now, false
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
