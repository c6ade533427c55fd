package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// closedLoop is the closed-loop sender's state, owned by its goroutine.
type closedLoop struct {
	e     *Engine
	wg    sync.WaitGroup
	stops []*atomic.Bool // one per running worker
	ids   int
}

// runClosed runs the workers until the window ends or ctx is done and
// returns the sending window.
func (e *Engine) runClosed(ctx context.Context) time.Duration {
	c := &closedLoop{e: e}
	c.resize(ctx, int(e.concurrency.Load()))
	var endC <-chan time.Time
	if end := e.cfg.window(); end > 0 {
		t := time.NewTimer(end - e.since())
		defer t.Stop()
		endC = t.C
	}
	var window time.Duration
loop:
	for {
		select {
		case <-e.concCh:
			c.resize(ctx, int(e.concurrency.Load()))
		case <-endC:
			window = e.cfg.window()
			break loop
		case <-ctx.Done():
			window = e.since()
			break loop
		}
	}
	e.stopping.Store(true)
	e.drain(ctx, &c.wg)
	return window
}

// resize starts or stops workers to have n running. It starts none once
// ctx is done or the window ended: starting MaxConcurrency workers takes
// a while, and a stop must not wait for it.
func (c *closedLoop) resize(ctx context.Context, n int) {
	for len(c.stops) > n {
		last := len(c.stops) - 1
		c.stops[last].Store(true)
		c.stops = c.stops[:last]
	}
	end := c.e.cfg.window()
	for len(c.stops) < n {
		if ctx.Err() != nil || (end > 0 && c.e.since() >= end) {
			return
		}
		stop := &atomic.Bool{}
		c.stops = append(c.stops, stop)
		w := c.e.newWorker(c.ids)
		c.ids++
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer w.exit()
			for !stop.Load() && !c.e.stopping.Load() {
				now := c.e.since()
				if end > 0 && now >= end {
					return
				}
				w.do(now)
				if w.empty {
					time.Sleep(emptyWait)
				}
			}
		}()
	}
}
