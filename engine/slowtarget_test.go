package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
)

// TestOpenLoopSlowTargetNotLate: at 10 requests/s against a target that
// never answers, every request needs a connection of its own; the
// generator is idle and far from MaxInflight, so the engine opens them as
// the requests come due: none is dropped, none is late because of the
// target. (Before, a queued request waited for the next one to come due,
// 100 ms later, and the spawn rules refused a connection after any
// sleep that woke 250 µs late: 4-13 of 30 dropped, half late.)
func TestOpenLoopSlowTargetNotLate(t *testing.T) {
	t.Parallel()
	timing(t, func() (problems []string) {
		hang := enginetest.NewHangServer(t)
		e, err := engine.New(engine.Target{URL: hang.URL}, engine.Rate(10), engine.Drain(0), engine.Timeout(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		res, _ := runEngineBounded(t, ctx, e)
		s := res.Total
		checkTotals(t, s)
		if s.Errors[engine.ErrAbandoned] != s.Requests {
			t.Errorf("requests %d, status %v, errors %v: want every one abandoned at the stop", s.Requests, s.Status, s.Errors)
		}
		if s.Dropped != 0 {
			t.Errorf("%d of %d dropped, with %d requests in flight at most of MaxInflight %d", s.Dropped,
				s.Requests+s.Dropped, s.Requests+s.Dropped, engine.DefaultMaxInflight)
		}
		if n := hang.Conns(); n != s.Requests {
			t.Errorf("%d connections for %d requests that each hold one", n, s.Requests)
		}
		// A send may still run late for the generator's own reasons (a
		// dial on a busy machine took 1.4 ms once in CI): only a lag the
		// size of the target's slowness is the old bug (100 ms and more).
		if s.Late > 0 && s.LagMax > 20*time.Millisecond {
			problems = append(problems, fmt.Sprintf("%d of %d sent late (max lag %s) to a target that is only slow",
				s.Late, s.Requests, s.LagMax))
		}
		return problems
	})
}
