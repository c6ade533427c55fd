package engine

import (
	"time"

	"github.com/scalelab/scalelab/internal/procstat"
)

// The open loop's workers. A due request goes to the most recently idle
// worker (whose connection is the least likely to have gone stale, and
// which leaves the others idle long enough to be retired), or waits in a
// FIFO queue when none is idle; workers are added as spawnAfter says.

// slot is how an idle worker receives its next request, begun already;
// served once the worker sent one.
type slot struct {
	w      *worker
	ch     chan time.Duration
	served bool
}

// quitWork tells an idle worker to exit.
const quitWork = time.Duration(-1)

// Workers are added when every one has a request in flight: at once for
// a request that would otherwise wait first in line, else once the oldest
// queued request has waited spawnAfter, and at most one per spawnGap. The
// sender hands out requests at least every minSleep, so a request still
// queued at its next round means that no worker came free meanwhile.
// Workers that will be free in a moment, or that only wait for the
// processor, take the queue soon: adding connections for them would only
// load a saturated generator further (measured: 7,928 workers at 50k/s
// without the wait, 712 with it). For the same reason no worker is added
// while the generator is short of processor time rather than of
// connections: when it used more than cpuBusy of its processors over the
// last cpuWindow (its workers' answers are there, waiting for the
// processor, not for the target: measured at 50k/s on one core, without
// this check the connections grew to 1,730 in 20 s and half the requests
// went out late), when the sender's last sleep ended more than starvedLag
// late (other processes took the processor), or when the sender runs more
// than lateAfter behind. A stalled target leaves the processor idle, so
// then workers come, one per spawnGap.
//
// The sender also looks at the queue between two due requests, every
// recheck while one waits (at a low rate the next due request may be far
// away), and a request that waited stuckAfter with every worker busy gets a
// worker whatever the sender's lag, one per stuckAfter at most: then the
// target holds the connections, not the processor, and a send must never
// be late or dropped because the target is slow (measured at 10/s against
// a target that never answers, with other processes taking the processor:
// 1 of 30 dropped and the rest waiting for the next due request before).
// Only a generator short of processor time itself (cpuShort) adds none.
//
// Nor is a worker added for a queue whose oldest request waited backlogOld
// while the target still answers (a request finished within backlogOld):
// workers come at most one per spawnGap, so a queue that old is one that
// more connections did not drain, a backlog of an overloaded run (the
// generator, or the target, short of processor time) which only more
// requests finishing can clear, and each new connection is one more for
// both to serve. Without the bound, every pause of the target (a few
// milliseconds each time the kernel ran another process on its core) added
// a few connections to a backlog that never cleared: measured at 100,000/s
// with generator and target each on a core shared with another busy
// process, the connections grew to the 10,000 of MaxInflight in 15 s (400
// MB, and resets from a target that keeps 4,096). A stall that begins with
// the queue empty still gets its workers, one per stuckAfter, as long as
// they keep the queue young; and so does a queue that got old while the
// target answered nothing for backlogOld (all its connections held, as a
// target that hangs does): else one stall of the generator beyond
// backlogOld (a loaded machine, measured in CI: 12 of 30 dropped at 10/s
// against a target that never answers) left every later request queued
// for good.
const (
	spawnAfter = 200 * time.Microsecond
	spawnGap   = 50 * time.Microsecond
	recheck    = 500 * time.Microsecond
	stuckAfter = time.Millisecond
	backlogOld = 10 * time.Millisecond
	starvedLag = 250 * time.Microsecond
	cpuWindow  = 5 * time.Millisecond
	cpuBusy    = 0.9
)

// reapEvery is how often the open loop retires workers left idle after a
// burst, so memory and connections follow the load back down; idleReserve
// is how many idle workers it keeps.
//
// What the pool needs is read from the idle stack's low-water mark, but
// only while the sender is on time: when it runs behind (its sleep ended
// late, the process used its processors, or the request is sent late),
// the generator was short of processor time, its workers' answers waited
// for it rather than for the target, and every worker looks busy for that
// reason alone. Counting those dips held off every reap: measured at
// 100,000/s on one core shared with other processes, each stall of a few
// milliseconds left a few more connections that no second ever reaped
// (173 after 5 s, 847 after 3 min, 16 KiB of read buffer each, the
// heap's whole growth).
const (
	reapEvery   = time.Second
	idleReserve = 16
)

// dispatch hands a due request to the most recently idle worker, or queues
// it when none is idle, adding a worker when needWorker says so. When
// MaxInflight requests are outstanding the request is dropped and counted.
// A request that waits in the queue is sent late and timed from its
// intended send.
// now is when the sender found it due.
func (o *openLoop) dispatch(due, now time.Duration) {
	if o.outstanding.Load() >= int64(o.e.cfg.maxInflight) {
		o.e.rec.dropped.Add(1)
		return
	}
	o.outstanding.Add(1)
	onTime := !o.cpuShort && o.wakeLag <= starvedLag && now-due <= lateAfter
	o.mu.Lock()
	if n := len(o.idle); n > 0 {
		s := o.idle[n-1]
		o.idle = o.idle[:n-1]
		o.took(n-1, onTime)
		o.mu.Unlock()
		if !s.w.stripe.begin(s.w, due) {
			o.outstanding.Add(-1)
			o.e.rec.dropped.Add(1) // not sent: the engine stopped counting
			o.workers--
			due = quitWork
		}
		s.ch <- due // never blocks: an idle worker's slot is empty
		return
	}
	o.took(0, onTime)
	spawn := o.needWorker(now, due)
	o.queue.push(queued{due: due, at: now}) // fits: outstanding < MaxInflight
	o.mu.Unlock()
	if spawn {
		o.spawned = now
		o.spawn()
	}
}

// needWorker reports, under mu with no worker idle, whether to add a
// worker for a request due at offset due (see spawnAfter).
func (o *openLoop) needWorker(now, due time.Duration) bool {
	switch {
	case o.workers == 0:
		return true
	case o.busy.Load() < int64(o.workers):
		return false // a worker between two requests takes the queue soon
	case o.queue.len() > 0 && o.stuck(now, now-due > lateAfter):
		return true
	case o.cpuShort, o.wakeLag > starvedLag, now-due > lateAfter, now-o.spawned < spawnGap:
		return false
	}
	return o.queue.len() == 0
}

// unstick adds a worker for the oldest queued request when it waited
// long enough for one (see needWorker and stuckAfter). The sender calls
// it between due requests.
func (o *openLoop) unstick(now time.Duration) {
	o.mu.Lock()
	spawn := len(o.idle) == 0 && o.queue.len() > 0 && o.stuck(now, false)
	o.mu.Unlock()
	if spawn {
		o.spawned = now
		o.spawn()
	}
}

// stuck reports, under mu with a request queued and no worker idle,
// whether the oldest queued request needs a worker now: every worker is
// busy, and it waited spawnAfter while the generator has processor time
// (the sender is not behind, its last sleep ended on time), or stuckAfter
// whatever the sender's lag; once it waited backlogOld, only when the
// target answered nothing over the last backlogOld (as far as the sender,
// which notes the answers here, saw), one per stuckAfter.
func (o *openLoop) stuck(now time.Duration, behind bool) bool {
	if o.cpuShort || o.busy.Load() < int64(o.workers) {
		return false
	}
	if o.answered != o.answeredSeen {
		o.answeredSeen, o.answeredAt = o.answered, now
	}
	wait := now - o.queue.front().at
	if wait >= backlogOld {
		return now-o.answeredAt >= backlogOld && now-o.spawned >= stuckAfter
	}
	if wait >= stuckAfter && now-o.spawned >= stuckAfter {
		return true
	}
	return !behind && o.wakeLag <= starvedLag && wait >= spawnAfter && now-o.spawned >= spawnGap
}

// sampleCPU measures, every cpuWindow, whether the process used more than
// cpuBusy of its processors since the last measure.
func (o *openLoop) sampleCPU(now time.Duration) {
	if now-o.cpuAt < cpuWindow {
		return
	}
	used, ok := procstat.CPU()
	if !ok {
		return
	}
	if o.cpuAt > 0 {
		o.cpuShort = float64(used-o.cpuUsed) > cpuBusy*float64(now-o.cpuAt)*float64(o.procs)
	}
	o.cpuAt, o.cpuUsed = now, used
}

// queued is the number of requests waiting for a worker.
func (o *openLoop) queued() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.queue.len()
}

// next waits for a worker's next request and begins it (see
// stripe.begin): the oldest queued, else the one handed to it after it
// waited idle; false when it must exit.
func (o *openLoop) next(s *slot) bool {
	o.mu.Lock()
	if s.served {
		o.answered++
	}
	s.served = true
	for o.queue.len() > 0 {
		q := o.queue.pop()
		// Begun under mu, so that no request is ever out of the queue and
		// not yet begun when the engine stops counting.
		if s.w.stripe.begin(s.w, q.due) {
			o.mu.Unlock()
			return true
		}
		o.outstanding.Add(-1)
		o.e.rec.dropped.Add(1)
	}
	if o.closed {
		o.mu.Unlock()
		return false
	}
	o.idle = append(o.idle, s)
	o.mu.Unlock()
	d, ok := <-s.ch
	return ok && d != quitWork
}

// spawn starts a worker that serves requests until told to exit.
func (o *openLoop) spawn() {
	o.workers++
	o.nextID++
	w := o.e.newWorker(o.nextID)
	w.lendReaders = true
	s := &slot{w: w, ch: make(chan time.Duration, 1)}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		defer w.exit()
		for o.next(s) {
			o.busy.Add(1)
			w.send()
			o.busy.Add(-1)
			o.outstanding.Add(-1)
		}
	}()
}

// close tells every worker to exit once the queue is empty.
func (o *openLoop) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	for _, s := range o.idle {
		close(s.ch)
	}
	o.idle = nil
}

// took notes, under mu, that a due request left left idle workers; the
// low-water mark follows it only when the sender was on time (see
// reapEvery).
func (o *openLoop) took(left int, onTime bool) {
	if onTime {
		o.low = min(o.low, left)
	}
}

// reap retires half of the workers that stayed idle since the last reap
// beyond idleReserve: with the most recently idle worker taking each
// request, those at the bottom of the idle stack had nothing to do.
func (o *openLoop) reap() {
	o.mu.Lock()
	defer o.mu.Unlock()
	extra := min((o.low-idleReserve)/2, len(o.idle))
	if extra > 0 {
		for _, s := range o.idle[:extra] {
			s.ch <- quitWork
		}
		o.idle = append(o.idle[:0], o.idle[extra:]...)
		o.workers -= extra
	}
	o.low = len(o.idle)
}
