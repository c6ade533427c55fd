package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
)

// The tests in this file measure timing, so they do not run in parallel
// with each other; their tolerances are wide enough for a loaded machine
// under the race detector (speed itself is measured by `make bench`).

// TestOpenLoopRate checks the open loop's rate at 500 and 1000 requests/s.
// (At 2000/s the engine and its loopback server together need most of a
// core under the race detector, which a machine shared with other builds
// does not always give; the high rates are measured by `make bench`.)
func TestOpenLoopRate(t *testing.T) {
	for _, rate := range []float64{500, 1000} {
		timing(t, func() (problems []string) {
			srv := enginetest.NewServer(t, enginetest.RecordArrivals())
			defer srv.Close()
			const window = 2 * time.Second
			begin := time.Now()
			res, _ := runLoad(t, srv.URL, engine.Rate(rate), engine.Duration(window))
			tot := res.Total
			checkTotals(t, tot)
			// The schedule makes rate × window requests due: each is sent or
			// counted as dropped.
			want := rate * window.Seconds()
			checkSent(t, tot, uint64(want))
			if tot.Status[200] != tot.Requests || srv.Total() != tot.Requests {
				t.Errorf("rate %g: engine 200s %d of %d, server answered %d", rate, tot.Status[200], tot.Requests, srv.Total())
			}
			if res.Window != window {
				t.Errorf("rate %g: window %s, want %s", rate, res.Window, window)
			}
			if sum := engine.Summarize(tot, res.Window.Seconds()); !near(sum.RPS, rate, 0.05) {
				problems = append(problems, fmt.Sprintf("rate %g: summary rps %g", rate, sum.RPS))
			}
			t.Logf("rate %g: %d requests, late %d, dropped %d, max lag %s, p99 %s", rate, tot.Requests, tot.Late,
				tot.Dropped, tot.LagMax, time.Duration(tot.Latency.ValueAtQuantile(99))*time.Microsecond)
			if tot.Dropped != 0 {
				problems = append(problems, fmt.Sprintf("rate %g: dropped %d", rate, tot.Dropped))
			}
			// The server saw the rate in every quarter of the window, not in
			// bursts, give or take the largest lag the engine reported: it
			// may run late on a loaded machine, but never silently.
			arr := srv.Arrivals()
			lag := tot.LagMax + 20*time.Millisecond // and the server's own delay
			for i := range 4 {
				from := begin.Add(time.Duration(i) * window / 4)
				to := from.Add(window / 4)
				got := float64(countIn(arr, from, to))
				lo := rate * max(to.Sub(from)-lag, 0).Seconds() * 0.9
				hi := rate*(to.Sub(from)+lag).Seconds()*1.1 + 5
				if got < lo || got > hi {
					problems = append(problems, fmt.Sprintf("rate %g: server got %.0f requests in quarter %d of the window, want %.0f..%.0f (max lag %s)",
						rate, got, i, lo, hi, tot.LagMax))
				}
			}
			if tot.LagMax > 2*time.Millisecond && tot.Late == 0 {
				t.Errorf("rate %g: max lag %s but no request counted late", rate, tot.LagMax)
			}
			return problems
		})
	}
}

func TestStagesRamp(t *testing.T) {
	timing(t, func() (problems []string) {
		srv := enginetest.NewServer(t, enginetest.RecordArrivals())
		defer srv.Close()
		begin := time.Now()
		res, _ := runLoad(t, srv.URL, engine.Stages([]engine.Stage{{Duration: 2 * time.Second, Rate: 1000}}))
		tot := res.Total
		checkTotals(t, tot)
		checkSent(t, tot, 1000)
		if tot.Status[200] != tot.Requests || srv.Total() != tot.Requests {
			t.Errorf("ramp 0→1000 over 2s: %d requests (status %v), server answered %d", tot.Requests, tot.Status, srv.Total())
		}
		if tot.Dropped > 0 {
			problems = append(problems, fmt.Sprintf("dropped %d", tot.Dropped))
		}
		if res.Window != 2*time.Second {
			t.Errorf("window %s, want the plan's 2s", res.Window)
		}
		arr := srv.Arrivals()
		first := countIn(arr, begin, begin.Add(time.Second))
		second := countIn(arr, begin.Add(time.Second), begin.Add(3*time.Second))
		if !near(float64(first), 250, 0.2) || !near(float64(second), 750, 0.1) {
			problems = append(problems, fmt.Sprintf("ramp: %d requests in the first second and %d after, want 250 and 750", first, second))
		}
		return problems
	})
}

// TestSetRateWhileRunning turns the rate up, then pauses it, during a run.
func TestSetRateWhileRunning(t *testing.T) {
	timing(t, func() []string { return setRateRun(t) })
}

// setRateRun runs at 200/s, turns the rate to 1000/s after one second and to
// 0 after two, and returns the timing problems.
func setRateRun(t *testing.T) (problems []string) {
	srv := enginetest.NewServer(t, enginetest.RecordArrivals())
	defer srv.Close()
	var mu sync.Mutex
	var rates []float64
	e, err := engine.New(engine.Target{URL: srv.URL}, engine.Rate(200), engine.Duration(2500*time.Millisecond),
		engine.Tick(100*time.Millisecond), engine.OnSnapshot(func(s *engine.Snapshot) {
			mu.Lock()
			rates = append(rates, s.TargetRate)
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	var up, pause time.Time
	changed := make(chan error, 1)
	go func() {
		time.Sleep(time.Until(begin.Add(time.Second)))
		up = time.Now()
		if err := e.SetRate(1000); err != nil {
			changed <- err
			return
		}
		if r := e.TargetRate(); r != 1000 {
			changed <- fmt.Errorf("TargetRate after SetRate(1000) = %g", r)
			return
		}
		time.Sleep(time.Until(begin.Add(2 * time.Second)))
		pause = time.Now()
		changed <- e.SetRate(0)
	}()
	res, _ := runEngineBounded(t, context.Background(), e)
	if err := <-changed; err != nil {
		t.Fatal(err)
	}
	tot := res.Total
	checkTotals(t, tot)
	if tot.Status[200] != tot.Requests || srv.Total() != tot.Requests {
		t.Errorf("engine 200s %d of %d, server answered %d", tot.Status[200], tot.Requests, srv.Total())
	}
	mu.Lock()
	seen := map[float64]bool{}
	for _, r := range rates {
		seen[r] = true
	}
	mu.Unlock()
	if !seen[200] || !seen[1000] || !seen[0] {
		t.Errorf("snapshots' target rates %v, want 200, 1000 and 0 among them", rates)
	}
	want := 200*up.Sub(begin).Seconds() + 1000*pause.Sub(up).Seconds()
	if !near(float64(tot.Requests+tot.Dropped), want, 0.05) {
		t.Errorf("200/s then 1000/s then 0: %d requests + %d dropped, want %.0f ± 5%%", tot.Requests, tot.Dropped, want)
	}
	if tot.Dropped > 0 {
		problems = append(problems, fmt.Sprintf("dropped %d", tot.Dropped))
	}
	arr := srv.Arrivals()
	from := begin.Add(200 * time.Millisecond)
	if n := countIn(arr, from, up); !near(float64(n), 200*up.Sub(from).Seconds(), 0.15) {
		problems = append(problems, fmt.Sprintf("%d requests at 200/s in %s before the change", n, up.Sub(from)))
	}
	from = up.Add(100 * time.Millisecond)
	if n := countIn(arr, from, pause); !near(float64(n), 1000*pause.Sub(from).Seconds(), 0.1) {
		problems = append(problems, fmt.Sprintf("%d requests at 1000/s in %s after the change", n, pause.Sub(from)))
	}
	// No burst at the change: the first 100 ms after it carry about 100.
	if n := countIn(arr, up, up.Add(100*time.Millisecond)); n > 150 {
		problems = append(problems, fmt.Sprintf("%d requests in the 100 ms after turning the rate up to 1000/s: a burst", n))
	}
	// Nothing is sent after the pause, beyond requests that were due before
	// it and sent late.
	if n := countIn(arr, pause.Add(tot.LagMax+100*time.Millisecond), time.Now()); n != 0 {
		problems = append(problems, fmt.Sprintf("%d requests arrived after the rate was set to 0", n))
	}
	return problems
}

// TestSetConcurrencyWhileRunning changes the closed loop's worker count and
// checks the server sees exactly that many requests at once.
func TestSetConcurrencyWhileRunning(t *testing.T) {
	srv := enginetest.NewServer(t, enginetest.Delay(20*time.Millisecond))
	e, err := engine.New(engine.Target{URL: srv.URL}, engine.Concurrency(2))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan *engine.Result)
	go func() {
		res, _ := runEngineBounded(t, ctx, e)
		done <- res
	}()
	phase := func(n int) {
		t.Helper()
		if err := e.SetConcurrency(n); err != nil {
			t.Fatal(err)
		}
		if e.Concurrency() != n {
			t.Errorf("Concurrency() = %d after SetConcurrency(%d)", e.Concurrency(), n)
		}
		// Wait for a 100 ms stretch with exactly n requests at once: the
		// workers of the previous phase are gone and the new ones run.
		eventually(t, 10*time.Second, "the server to see the new concurrency", func() bool {
			srv.ResetMaxActive()
			time.Sleep(100 * time.Millisecond)
			return srv.MaxActive() == int64(n)
		})
		srv.ResetMaxActive()
		time.Sleep(300 * time.Millisecond)
		if m := srv.MaxActive(); m != int64(n) {
			t.Errorf("concurrency %d: the server saw up to %d requests at once", n, m)
		}
	}
	phase(2)
	phase(8)
	phase(1)
	cancel()
	res := <-done
	if res == nil {
		t.Fatal("run failed")
	}
	tot := res.Total
	checkTotals(t, tot)
	if tot.Requests == 0 || tot.Status[200] != tot.Requests || srv.Total() != tot.Requests {
		t.Errorf("closed loop: %d requests, status %v, server answered %d", tot.Requests, tot.Status, srv.Total())
	}
	if tot.Concurrency != 1 {
		t.Errorf("last snapshot's concurrency %d, want 1", tot.Concurrency)
	}
}

// TestDurationAwaitsInFlight checks that requests still in flight when the
// window ends are awaited and counted, not cancelled.
func TestDurationAwaitsInFlight(t *testing.T) {
	t.Parallel() // counts, not timing: the delays only make it longer
	t.Run("open", func(t *testing.T) {
		t.Parallel()
		srv := enginetest.NewServer(t, enginetest.Delay(500*time.Millisecond))
		res, took := runLoad(t, srv.URL, engine.Rate(20), engine.Duration(time.Second))
		tot := res.Total
		checkTotals(t, tot)
		checkSent(t, tot, 20)
		if tot.Requests == 0 || tot.Status[200] != tot.Requests || srv.Total() != tot.Requests {
			t.Errorf("requests %d status %v errors %v server %d, want every request answered 200",
				tot.Requests, tot.Status, tot.Errors, srv.Total())
		}
		if res.Window != time.Second || took < 1400*time.Millisecond {
			t.Errorf("window %s, run took %s: want a 1s window and the last answers awaited", res.Window, took)
		}
		if min := time.Duration(tot.Service.Min()) * time.Microsecond; min < 490*time.Millisecond {
			t.Errorf("fastest answer %s from a server answering in 500 ms", min)
		}
	})
	t.Run("closed", func(t *testing.T) {
		t.Parallel()
		timing(t, func() (problems []string) {
			srv := enginetest.NewServer(t, enginetest.Delay(500*time.Millisecond))
			defer srv.Close()
			res, took := runLoad(t, srv.URL, engine.Concurrency(4), engine.Duration(700*time.Millisecond))
			tot := res.Total
			checkTotals(t, tot)
			if tot.Requests == 0 || tot.Status[200] != tot.Requests || srv.Total() != tot.Requests {
				t.Errorf("requests %d status %v errors %v server %d: every request sent must be answered and counted",
					tot.Requests, tot.Status, tot.Errors, srv.Total())
			}
			if res.Window != 700*time.Millisecond {
				t.Errorf("window %s, want 700ms", res.Window)
			}
			// Each worker sends at about 0 and 0.5 s; the second answers
			// come at about 1 s, after the window.
			if tot.Requests != 8 || took < 950*time.Millisecond {
				problems = append(problems, fmt.Sprintf("%d requests in %s, want 8 (4 workers × 2) and the last answers awaited", tot.Requests, took))
			}
			return problems
		})
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		srv := enginetest.NewServer(t, enginetest.Delay(300*time.Millisecond))
		e, err := engine.New(engine.Target{URL: srv.URL}, engine.Rate(50))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			eventually(t, 10*time.Second, "answers", func() bool { return srv.Total() >= 10 })
			cancel()
		}()
		res, took := runEngineBounded(t, ctx, e)
		tot := res.Total
		if tot.Requests < 10 || tot.Status[200] != tot.Requests || srv.Total() != tot.Requests {
			t.Errorf("requests %d status %v errors %v server %d: every request sent must be answered and counted",
				tot.Requests, tot.Status, tot.Errors, srv.Total())
		}
		if res.Window <= 0 || res.Window > took {
			t.Errorf("window %s of a run of %s", res.Window, took)
		}
		if want := 50 * res.Window.Seconds(); !near(float64(tot.Requests), want, 0.1) && tot.Requests-uint64(want) > 2 {
			t.Errorf("%d requests in a %s window at 50/s", tot.Requests, res.Window)
		}
	})
}

// TestSnapshotsMergeToTotal checks that the per-tick snapshots handed out
// during a run merge exactly into the run's total.
func TestSnapshotsMergeToTotal(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Statuses(mix...))
	var mu sync.Mutex
	merged := engine.NewSnapshot()
	ticks := 0
	res, _ := runLoad(t, srv.URL, engine.Rate(300), engine.Duration(time.Second), engine.Tick(100*time.Millisecond),
		engine.OnSnapshot(func(s *engine.Snapshot) {
			mu.Lock()
			defer mu.Unlock()
			ticks++
			merged.Merge(s)
		}))
	mu.Lock()
	defer mu.Unlock()
	tot := res.Total
	if ticks < 5 {
		t.Errorf("%d snapshots in a 1 s run at a 100 ms tick", ticks)
	}
	checkSent(t, tot, 300)
	if merged.Requests != tot.Requests || merged.Dropped != tot.Dropped || !merged.Latency.Equals(tot.Latency) ||
		!merged.Service.Equals(tot.Service) || merged.Status[404] != tot.Status[404] {
		t.Errorf("snapshots merge to %d requests %v, total %d %v", merged.Requests, merged.Status, tot.Requests, tot.Status)
	}
}

// TestChangesBeforeRun sets the rate and the concurrency before Run and
// while Run starts (the UI may do either from its own goroutine): they apply
// from the run's start.
func TestChangesBeforeRun(t *testing.T) {
	t.Parallel() // counts, not timing
	t.Run("rate before", func(t *testing.T) {
		t.Parallel()
		srv := enginetest.NewServer(t)
		e, err := engine.New(engine.Target{URL: srv.URL}, engine.Rate(10), engine.Duration(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.SetRate(100); err != nil {
			t.Fatal(err)
		}
		if r := e.TargetRate(); r != 100 {
			t.Errorf("TargetRate before Run = %g, want 100", r)
		}
		res, _ := runEngineBounded(t, context.Background(), e)
		checkSent(t, res.Total, 100) // and not 10: the rate set before Run holds from the start
		if res.Total.Requests != srv.Total() {
			t.Errorf("%d requests, server answered %d", res.Total.Requests, srv.Total())
		}
	})
	t.Run("rate while starting", func(t *testing.T) {
		t.Parallel()
		srv := enginetest.NewServer(t)
		e, err := engine.New(engine.Target{URL: srv.URL}, engine.Rate(10), engine.Duration(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		set := make(chan error, 1)
		go func() {
			_ = e.TargetRate()
			set <- e.SetRate(100)
		}()
		res, _ := runEngineBounded(t, context.Background(), e)
		if err := <-set; err != nil {
			t.Fatal(err)
		}
		// The change lands at most a few milliseconds into the run.
		if n := res.Total.Requests + res.Total.Dropped; n < 90 || n > 100 {
			t.Errorf("rate set to 100/s as a 1 s run starts: %d requests + dropped, want about 100", n)
		}
	})
	t.Run("concurrency before", func(t *testing.T) {
		t.Parallel()
		srv := enginetest.NewServer(t, enginetest.Delay(50*time.Millisecond))
		e, err := engine.New(engine.Target{URL: srv.URL}, engine.Concurrency(1), engine.Duration(500*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.SetConcurrency(4); err != nil {
			t.Fatal(err)
		}
		res, _ := runEngineBounded(t, context.Background(), e)
		if m := srv.MaxActive(); m != 4 || res.Total.Requests != srv.Total() {
			t.Errorf("concurrency set to 4 before the run: the server saw up to %d at once; requests %d, served %d",
				m, res.Total.Requests, srv.Total())
		}
	})
}
