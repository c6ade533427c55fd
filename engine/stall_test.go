package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
)

// stallRun runs 200 requests/s for 3 s against a fresh server, freezing the
// server for freeze (if not zero) one second in, and returns the result.
func stallRun(t *testing.T, freeze time.Duration, opts ...engine.Option) (*engine.Result, *enginetest.Server) {
	t.Helper()
	srv := enginetest.NewServer(t)
	if freeze > 0 {
		timer := time.AfterFunc(time.Second, func() { srv.Freeze(freeze) })
		defer timer.Stop()
	}
	opts = append([]engine.Option{engine.Rate(200), engine.Duration(3 * time.Second)}, opts...)
	res, _ := runLoad(t, srv.URL, opts...)
	checkTotals(t, res.Total)
	if res.Total.Requests != srv.Total() || res.Total.Status[200] != res.Total.Requests {
		t.Errorf("engine counted %d requests (status %v, errors %v), server answered %d",
			res.Total.Requests, res.Total.Status, res.Total.Errors, srv.Total())
	}
	return res, srv
}

func ms(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

// TestStallShowsInLatency freezes the target for one second during a
// constant-rate run: latency timed from the intended send must show the
// stall at p99 (no coordinated omission), and nothing is dropped or hidden.
func TestStallShowsInLatency(t *testing.T) {
	timing(t, func() (problems []string) {
		res, _ := stallRun(t, time.Second)
		tot := res.Total
		checkSent(t, tot, 600)
		if tot.Dropped != 0 {
			problems = append(problems, fmt.Sprintf("stalled run: %d dropped with MaxInflight far above the ~200 a stall queues", tot.Dropped))
		}
		p99, max := ms(tot.Latency.ValueAtQuantile(99)), ms(tot.Latency.Max())
		t.Logf("stalled run: latency p50 %s p99 %s max %s, service p99 %s, late %d, in flight at most ~200",
			ms(tot.Latency.ValueAtQuantile(50)), p99, max, ms(tot.Service.ValueAtQuantile(99)), tot.Late)
		// The stall moves p99 up to its size; a stall can only make it larger.
		if p99 < 800*time.Millisecond {
			t.Errorf("p99 %s after a one-second stall: the stall is hidden", p99)
		}
		// About a third of the requests waited on the stall.
		if p50 := ms(tot.Latency.ValueAtQuantile(50)); p50 > 500*time.Millisecond {
			problems = append(problems, fmt.Sprintf("p50 %s: more than the stall's requests were slow", p50))
		}
		if max > 1500*time.Millisecond {
			problems = append(problems, fmt.Sprintf("max latency %s after a one-second stall", max))
		}
		return problems
	})
}

// TestHealthyRunStaysLow is the stall test's control: the same run without
// the stall keeps p99 low and sends everything on time.
func TestHealthyRunStaysLow(t *testing.T) {
	timing(t, func() (problems []string) {
		res, _ := stallRun(t, 0)
		tot := res.Total
		checkSent(t, tot, 600)
		if tot.Dropped != 0 {
			problems = append(problems, fmt.Sprintf("healthy run: %d dropped", tot.Dropped))
		}
		p99 := ms(tot.Latency.ValueAtQuantile(99))
		t.Logf("healthy run: latency p50 %s p99 %s max %s, late %d, max lag %s",
			ms(tot.Latency.ValueAtQuantile(50)), p99, ms(tot.Latency.Max()), tot.Late, tot.LagMax)
		if late := tot.LagMax > time.Millisecond; late != (tot.Late > 0) {
			t.Errorf("max lag %s but %d requests counted late", tot.LagMax, tot.Late)
		}
		if p99 > 200*time.Millisecond {
			problems = append(problems, fmt.Sprintf("p99 %s on a healthy loopback server at 200/s", p99))
		}
		// On an idle machine nothing is late at 200/s. On a loaded virtual
		// machine even a bare time.Sleep overshoots 1 ms now and then: with a
		// load average of 5 on 2 cores we saw up to 20% of the sends late,
		// so this only catches a sender that is late as a rule.
		if tot.Late > tot.Requests/2 {
			problems = append(problems, fmt.Sprintf("%d of %d requests late at 200/s (max lag %s)", tot.Late, tot.Requests, tot.LagMax))
		}
		return problems
	})
}

// TestStallBeyondMaxInflightDrops lowers MaxInflight below what a stall
// queues up: the sends that cannot happen are counted as dropped, outside
// the request count, and the server never sees them.
func TestStallBeyondMaxInflightDrops(t *testing.T) {
	t.Parallel() // counts only
	res, srv := stallRun(t, time.Second, engine.MaxInflight(20))
	tot := res.Total
	if tot.Dropped == 0 {
		t.Fatalf("no drops with 20 requests in flight at most during a one-second stall at 200/s")
	}
	if tot.Requests+tot.Dropped != 600 {
		t.Errorf("requests %d + dropped %d = %d, want the 600 scheduled", tot.Requests, tot.Dropped, tot.Requests+tot.Dropped)
	}
	if srv.Total() != tot.Requests {
		t.Errorf("server answered %d, engine counted %d requests: dropped sends must not reach it", srv.Total(), tot.Requests)
	}
	sum := engine.Summarize(tot, res.Window.Seconds())
	if sum.Dropped != tot.Dropped || sum.Requests != tot.Requests {
		t.Errorf("summary requests %d dropped %d", sum.Requests, sum.Dropped)
	}
	t.Logf("dropped %d of 600 with max-inflight 20", tot.Dropped)
}

// TestStallAtThousandsQueues freezes the target for one second at 2,000
// requests/s: the requests due meanwhile wait (each worker's connection is
// held by the frozen server, so workers are added for them) and none is
// dropped, far below MaxInflight.
func TestStallAtThousandsQueues(t *testing.T) {
	t.Parallel()
	timing(t, func() (problems []string) {
		srv := enginetest.NewServer(t)
		timer := time.AfterFunc(time.Second, func() { srv.Freeze(time.Second) })
		defer timer.Stop()
		res, _ := runLoad(t, srv.URL, engine.Rate(2000), engine.Duration(3*time.Second))
		tot := res.Total
		checkTotals(t, tot)
		checkSent(t, tot, 6000)
		if tot.Requests != srv.Total() || tot.Status[200] != tot.Requests {
			t.Errorf("engine counted %d requests (status %v, errors %v), server answered %d",
				tot.Requests, tot.Status, tot.Errors, srv.Total())
		}
		p99 := ms(tot.Latency.ValueAtQuantile(99))
		t.Logf("stall at 2000/s: %d requests, %d dropped, %d late, latency p99 %s, max %s; %d connections",
			tot.Requests, tot.Dropped, tot.Late, p99, ms(tot.Latency.Max()), srv.Conns())
		if tot.Dropped != 0 {
			problems = append(problems, fmt.Sprintf("%d dropped during a one-second stall at 2000/s", tot.Dropped))
		}
		if p99 < 500*time.Millisecond {
			t.Errorf("p99 %s after a one-second stall: the stall is hidden", p99)
		}
		return problems
	})
}
