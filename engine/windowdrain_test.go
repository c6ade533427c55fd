package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
)

// TestWindowDrainIsBounded: after a window that ends by itself, requests
// to a target that accepts and never answers are waited for at most the
// smaller of the timeout and the window drain (MaxWindowDrain, shortened
// here), then counted: as abandoned when the window drain was the shorter
// (their timeout had not passed), as timed out when the timeout was.
// With the longest timeout such a run waited ten minutes past its window.
func TestWindowDrainIsBounded(t *testing.T) {
	t.Parallel()
	const (
		window = 300 * time.Millisecond
		rate   = 20.0
	)
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		drain   time.Duration // the window drain
		want    engine.ErrorClass
	}{
		{"window drain shorter", engine.MaxTimeout, 300 * time.Millisecond, engine.ErrAbandoned},
		{"timeout shorter", 300 * time.Millisecond, time.Minute, engine.ErrTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := enginetest.NewHangServer(t)
			timing(t, func() []string {
				e, err := engine.New(engine.Target{URL: srv.URL}, engine.Rate(rate), engine.Duration(window),
					engine.Timeout(tc.timeout), engine.WindowDrain(tc.drain), engine.Drain(100*time.Millisecond),
					engine.Tick(100*time.Millisecond))
				if err != nil {
					t.Fatal(err)
				}
				// A stop well past the bound, so that a run that ignores
				// it still ends (at the stop, plus the 100 ms drain).
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				res, took := runEngineBounded(t, ctx, e)
				s := res.Total
				checkTotals(t, s)
				if res.Window != window {
					t.Errorf("window %s, want %s", res.Window, window)
				}
				checkSent(t, s, uint64(rate*window.Seconds()+0.5))
				if s.Requests == 0 || s.Errors[tc.want] != s.Requests || s.InFlight != 0 {
					t.Errorf("requests %d, errors %v, in flight %d: want every request %s", s.Requests, s.Errors, s.InFlight, tc.want)
				}
				wait := min(tc.timeout, tc.drain)
				if got := uint64(s.FailedLatency.TotalCount()); got != s.Requests || s.Latency.Min() < wait.Microseconds()/2 {
					t.Errorf("failed latency: %d values from %d µs; want all %d, each timed past the %s wait",
						got, s.Latency.Min(), s.Requests, wait)
				}
				t.Logf("%d requests %s in %s", s.Requests, tc.want, took)
				if bound := window + wait + time.Second; took > bound {
					return []string{fmt.Sprintf("Run took %s, want the %s window and a %s wait (at most %s)", took, window, wait, bound)}
				}
				return nil
			})
		})
	}
}
