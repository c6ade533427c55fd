package engine_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
)

// TestStopCountsRequestsInFlight: a run stopped while requests wait for a
// target that never answers them counts them as abandoned once Drain
// passed, instead of dropping them from every count; requests + dropped
// is what the schedule asked until the stop, and the window is the
// sending window, not the wait.
func TestStopCountsRequestsInFlight(t *testing.T) {
	t.Parallel()
	const (
		rate  = 50.0
		drain = 300 * time.Millisecond
		stop  = time.Second
	)
	for _, tc := range []struct {
		name string
		opts []engine.Option
	}{
		{"open", []engine.Option{engine.Rate(rate)}},
		{"closed", []engine.Option{engine.Concurrency(8)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := enginetest.NewServer(t, enginetest.HangEvery(5))
			url := srv.URL
			opts := append([]engine.Option{engine.Timeout(30 * time.Second), engine.Drain(drain),
				engine.Tick(100 * time.Millisecond)}, tc.opts...)
			e, err := engine.New(engine.Target{URL: url}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), stop)
			defer cancel()
			res, took := runEngineBounded(t, ctx, e)
			s := res.Total
			checkTotals(t, s)
			if took > stop+drain+time.Second {
				t.Errorf("Run took %s: want the stop after %s plus the %s drain", took, stop, drain)
			}
			if res.Window < stop-50*time.Millisecond || res.Window > stop+200*time.Millisecond {
				t.Errorf("window %s, want the %s until the stop (not the wait after it)", res.Window, stop)
			}
			abandoned := s.Errors[engine.ErrAbandoned]
			if abandoned == 0 || s.Status[200] != srv.Total() || s.Requests != s.Status[200]+abandoned {
				t.Fatalf("requests %d: status %v, errors %v; the server answered %d: want the rest abandoned",
					s.Requests, s.Status, s.Errors, srv.Total())
			}
			if s.InFlight != 0 || s.Failed() != abandoned {
				t.Errorf("in flight %d at the end, failed %d: want 0, the %d abandoned", s.InFlight, s.Failed(), abandoned)
			}
			if got := uint64(s.FailedLatency.TotalCount()); got != abandoned || s.FailedLatency.Min() < (drain/2).Microseconds() {
				t.Errorf("failed latency: %d values from %d µs; want the %d abandoned, each timed past the drain",
					got, s.FailedLatency.Min(), abandoned)
			}
			if tc.name == "open" {
				checkSent(t, s, uint64(math.Floor(res.Window.Seconds()*rate+0.5)))
				if want := s.Requests / 5; abandoned+1 < want || abandoned > want+1 {
					t.Errorf("%d abandoned of %d requests, want every 5th", abandoned, s.Requests)
				}
			} else if abandoned > 8 {
				t.Errorf("%d abandoned, want at most the 8 connections' requests", abandoned)
			}
		})
	}
}
