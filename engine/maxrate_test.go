package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
)

// TestMaxRateEndsAndCountsEveryDueRequest: at MaxRate, far beyond what the
// generator reaches on loopback, the run still ends promptly, at its window
// or at its context's end, and every request the schedule made due in the
// window is either sent or dropped, exactly.
func TestMaxRateEndsAndCountsEveryDueRequest(t *testing.T) {
	t.Parallel()
	const window = 300 * time.Millisecond
	// windowGrace (1 s) lets a sender that fell behind catch up after the
	// window; the loopback server answers in well under the rest.
	const bound = window + time.Second + 2*time.Second
	for _, stop := range []string{"window", "cancel"} {
		t.Run(stop, func(t *testing.T) {
			t.Parallel()
			srv := enginetest.NewServer(t)
			opts := []engine.Option{engine.Rate(engine.MaxRate), engine.MaxInflight(64), engine.Tick(100 * time.Millisecond)}
			ctx := context.Background()
			if stop == "window" {
				opts = append(opts, engine.Duration(window))
			} else {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, window)
				defer cancel()
			}
			e, err := engine.New(engine.Target{URL: srv.URL}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			res, took := runEngineBounded(t, ctx, e)
			s := res.Total
			checkTotals(t, s)
			if took > bound {
				t.Errorf("Run took %s, want at most %s", took, bound)
			}
			if stop == "window" && res.Window != window {
				t.Errorf("window %s, want %s", res.Window, window)
			}
			// Request k is due at (k+0.5)/MaxRate s, 100k+50 ns: those
			// before the window's close W are floor((W+49)/100).
			due := uint64((res.Window.Nanoseconds() + 49) / 100)
			if s.Requests+s.Dropped != due {
				t.Errorf("requests %d + dropped %d = %d, want the %d due in the %s window",
					s.Requests, s.Dropped, s.Requests+s.Dropped, due, res.Window)
			}
			if s.Requests == 0 || s.Requests != srv.Total() {
				t.Errorf("requests %d, the server answered %d: want the same, some", s.Requests, srv.Total())
			}
			t.Logf("%s: sent %d, dropped %d of %d due, in %s", stop, s.Requests, s.Dropped, due, took)
		})
	}
}
