package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ErrWrongModel is returned by SetRate on a closed-loop engine and by
// SetConcurrency on an open-loop one.
var ErrWrongModel = errors.New("not available in this load model")

// Engine sends load to one target. Create it with New and start it with Run;
// SetRate and SetConcurrency may be called from any goroutine while it runs.
type Engine struct {
	cfg    config
	client *client
	bal    *balancer // nil without Balance
	rec    *recorder
	retry  *retrier      // nil without retries
	halt   chan struct{} // closed once Run's context is done
	start  time.Time     // monotonic origin of every offset

	// plan is the authoritative open-loop schedule, read by the collector
	// for the target rate; the sender keeps its own copy in step through
	// pending changes.
	planMu  sync.Mutex
	plan    *schedule
	changes chan rateChange
	sleeper sleeper

	// readers lends the open loop's workers their read buffers (see
	// worker.lendReaders).
	readers sync.Pool

	concurrency atomic.Int64
	concCh      chan int
	stopping    atomic.Bool
	ran         atomic.Bool
}

// rateChange is a SetRate call: from offset at on, the rate is rate.
type rateChange struct {
	at   float64
	rate float64
}

// Result is what a finished run measured.
type Result struct {
	// Total merges every snapshot of the run.
	Total *Snapshot
	// Window is the sending window: the configured duration, or the time
	// until the run was stopped when that came first.
	Window time.Duration
	// Closed reports the closed-loop model.
	Closed bool
}

// New returns an engine for target t, or an error naming every problem with
// the target and options.
func New(t Target, opts ...Option) (*Engine, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c, err := newClient(t, &cfg)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		cfg:     cfg,
		client:  c,
		rec:     newRecorder(4 * runtime.GOMAXPROCS(0)),
		halt:    make(chan struct{}),
		changes: make(chan rateChange, 64),
		sleeper: newSleeper(),
		concCh:  make(chan int, 1),
	}
	e.readers.New = func() any { return bufio.NewReaderSize(nil, readBufferSize) }
	if cfg.retry.Max > 0 {
		e.retry = newRetrier(cfg.retry.withDefaults())
		e.rec.keepEffective()
	}
	if cfg.endpoints != nil {
		e.bal = newBalancer(cfg.endpoints)
	}
	if cfg.closedLoop() {
		e.concurrency.Store(int64(cfg.concurrency))
	} else {
		if !cfg.rateSet && len(cfg.stages) == 0 {
			return nil, errors.New("no load model: set a rate, stages or a concurrency")
		}
		e.plan = newSchedule(cfg.rate, cfg.stages)
	}
	return e, nil
}

// Closed reports whether the engine runs the closed-loop model.
func (e *Engine) Closed() bool { return e.cfg.closedLoop() }

// SetRate changes the open-loop rate from now on (ending any stage plan's
// ramps; the run's window is unchanged).
func (e *Engine) SetRate(r float64) error {
	if e.cfg.closedLoop() {
		return fmt.Errorf("set rate: %w", ErrWrongModel)
	}
	if err := checkRate(r); err != nil {
		return fmt.Errorf("set rate %g: %w", r, err)
	}
	e.planMu.Lock()
	ch := rateChange{at: e.since().Seconds(), rate: r}
	e.plan.setRate(ch.at, ch.rate)
	e.planMu.Unlock()
	select {
	case e.changes <- ch:
	default:
		return errors.New("set rate: too many changes at once, try again")
	}
	e.sleeper.wake()
	return nil
}

// TargetRate is the scheduled open-loop rate now (0 in closed loop).
func (e *Engine) TargetRate() float64 {
	if e.plan == nil {
		return 0
	}
	e.planMu.Lock()
	defer e.planMu.Unlock()
	return e.plan.rateAt(e.since().Seconds())
}

// SetConcurrency changes the closed-loop worker count from now on.
func (e *Engine) SetConcurrency(n int) error {
	if !e.cfg.closedLoop() {
		return fmt.Errorf("set concurrency: %w", ErrWrongModel)
	}
	if n < 0 {
		return fmt.Errorf("set concurrency %d: must not be negative", n)
	}
	e.concurrency.Store(int64(n))
	select {
	case e.concCh <- n:
	default:
		// A change is already queued; the sender reads the latest value.
	}
	return nil
}

// Concurrency is the closed-loop worker count asked for (0 in open loop).
func (e *Engine) Concurrency() int { return int(e.concurrency.Load()) }

// since is the offset from the engine's start on the monotonic clock.
// Before Run it is 0, so that a rate set before the run applies from its
// start. Run sets start under planMu, where SetRate and TargetRate read it.
func (e *Engine) since() time.Duration {
	if e.start.IsZero() {
		return 0
	}
	return time.Since(e.start)
}

// Run sends load until the window ends or ctx is done, then waits for the
// requests still in flight (all of them for at most the smaller of the
// timeout and MaxWindowDrain, after which those left are counted as timed
// out or abandoned, see Timeout; once ctx is done, for at most the Drain
// option's time, after which those left are counted as abandoned), and
// returns the whole run's measurements:
// every request sent is in them, and Result.Window is the sending window,
// not the wait. An Engine runs once.
func (e *Engine) Run(ctx context.Context) (*Result, error) {
	if !e.ran.CompareAndSwap(false, true) {
		return nil, errors.New("run: engine already ran")
	}
	e.planMu.Lock()
	e.start = time.Now()
	e.planMu.Unlock()
	stopHalt := context.AfterFunc(ctx, func() { close(e.halt) })
	defer stopHalt()
	total := NewSnapshot()
	total.Start = e.start
	total.End = e.start
	done := make(chan struct{})
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		e.collectLoop(total, done)
	}()

	var window time.Duration
	if e.cfg.closedLoop() {
		window = e.runClosed(ctx)
	} else {
		window = e.runOpen(ctx)
	}
	close(done)
	<-collected
	e.sleeper.close()
	return &Result{Total: total, Window: window, Closed: e.cfg.closedLoop()}, nil
}

// drain waits for the workers of wg to end their requests in flight: at
// most the smaller of the timeout and the window drain (see Timeout), and
// once ctx is done, at most the Drain option's time from then. Every
// request still in flight then is counted, timed up to that moment, as
// ErrTimeout when the wait was the timeout (its deadline passed), else as
// ErrAbandoned, and drain returns (their workers end in the background,
// within the timeout, uncounted).
func (e *Engine) drain(ctx context.Context, wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	wait, class := e.cfg.windowDrain, ErrAbandoned
	if e.cfg.timeout <= wait {
		wait, class = e.cfg.timeout, ErrTimeout
	}
	bound := time.NewTimer(wait)
	defer bound.Stop()
	select {
	case <-done:
		return
	case <-bound.C:
		e.rec.abandon(e.since(), class)
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(e.cfg.drain)
	defer t.Stop()
	select {
	case <-done:
	case <-bound.C:
		e.rec.abandon(e.since(), class)
	case <-t.C:
		e.rec.abandon(e.since(), ErrAbandoned)
	}
}

// collectLoop cuts a snapshot every tick until done, then a final one.
func (e *Engine) collectLoop(total *Snapshot, done <-chan struct{}) {
	t := time.NewTicker(e.cfg.tick)
	defer t.Stop()
	last := e.start
	for {
		select {
		case <-t.C:
			last = e.emit(total, last)
		case <-done:
			e.emit(total, last)
			return
		}
	}
}

// emit collects one snapshot from last to now and hands it out.
func (e *Engine) emit(total *Snapshot, last time.Time) time.Time {
	now := e.start.Add(e.since())
	s := NewSnapshot()
	s.Start, s.End = last, now
	e.rec.collect(s)
	s.TargetRate = e.TargetRate()
	if e.cfg.closedLoop() {
		s.Concurrency = e.Concurrency()
	}
	total.Merge(s)
	if e.cfg.onSnapshot != nil {
		e.cfg.onSnapshot(s)
	}
	return now
}
