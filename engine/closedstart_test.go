package engine_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
)

// manyWorkers is as many closed-loop workers as a test under the race
// detector may start (it allows 8128 goroutines at once).
const manyWorkers = 5000

// TestClosedLoopStartChecksTheContext: a closed loop whose context is done
// starts no worker, however many it was asked for (before, every one of
// them was started, each sending, before the stop was looked at: with
// 100,000,000 asked a run ignored SIGTERM).
func TestClosedLoopStartChecksTheContext(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t)
	e, err := engine.New(engine.Target{URL: srv.URL}, engine.Concurrency(manyWorkers), engine.Duration(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, took := runEngineBounded(t, ctx, e)
	if res.Total.Requests != 0 || srv.Conns() != 0 {
		t.Errorf("stopped before the run: %d requests, %d connections; want none", res.Total.Requests, srv.Conns())
	}
	if took > time.Second {
		t.Errorf("Run took %s to stop at once", took)
	}
}

// TestClosedLoopManyWorkersEnd: thousands of workers against a refused
// port end at their window and at a stop, promptly, and hold no read
// buffer (16 KB each, 1.6 GB for MaxConcurrency) while they never connect.
// Not parallel: it measures the process's allocations.
func TestClosedLoopManyWorkersEnd(t *testing.T) {
	refused := enginetest.ClosedURL(t)
	const window = 300 * time.Millisecond
	for _, stop := range []string{"window", "cancel"} {
		opts := []engine.Option{engine.Concurrency(manyWorkers), engine.Tick(100 * time.Millisecond), engine.Drain(100 * time.Millisecond)}
		ctx, cancel := context.WithCancel(context.Background())
		if stop == "window" {
			opts = append(opts, engine.Duration(window))
		} else {
			time.AfterFunc(window, cancel)
		}
		e, err := engine.New(engine.Target{URL: refused}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res, took := runEngineBounded(t, ctx, e)
		runtime.ReadMemStats(&after)
		cancel()
		s := res.Total
		checkTotals(t, s)
		// At a stop, the dials still waiting for the processor after the
		// drain are abandoned.
		if s.Errors[engine.ErrRefused] == 0 || s.Errors[engine.ErrRefused]+s.Errors[engine.ErrAbandoned] != s.Requests {
			t.Errorf("%s: requests %d, errors %v: want every one refused (or abandoned at the stop)", stop, s.Requests, s.Errors)
		}
		if bound := window + 2*time.Second; took > bound {
			t.Errorf("%s: Run took %s, want at most %s", stop, took, bound)
		}
		// The read buffers alone would be manyWorkers × 16 KB = 80 MB.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > manyWorkers*16<<10/2 {
			t.Errorf("%s: %d workers that never connected allocated %d MB", stop, manyWorkers, alloc>>20)
		} else {
			t.Logf("%s: %d requests refused in %s, %d KB allocated", stop, s.Requests, took, alloc>>10)
		}
	}
}
