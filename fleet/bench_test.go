package fleet_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/fleet"
)

// benchWindow is one throughput measurement; benchRounds alternate the
// setups this many times and report the medians, so that a burst of other
// work on the machine skews one round, not the figure.
const (
	benchWindow = 2 * time.Second
	benchRounds = 3
	benchConns  = 32
)

// closedLoopRPS sends closed-loop load to url for benchWindow and returns
// the rate of 200s.
func closedLoopRPS(b *testing.B, url string) float64 {
	b.Helper()
	eng, err := engine.New(engine.Target{URL: url}, engine.Concurrency(benchConns), engine.Duration(benchWindow))
	if err != nil {
		b.Fatal(err)
	}
	res, err := eng.Run(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if n := res.Total.Failed(); n > 0 {
		b.Fatalf("%d requests failed", n)
	}
	return float64(res.Total.Status[200]) / res.Window.Seconds()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkFleetThroughput measures, on this machine, closed-loop
// throughput (32 connections) from the engine straight to one replica, and
// through the balancer to a fleet of 1 and of 3 replicas, and reports the
// medians and the fleet's share of the direct rate. Everything shares the
// machine's cores: the engine, the balancer and the replicas.
func BenchmarkFleetThroughput(b *testing.B) {
	direct, err := fleet.NewReplica()
	if err != nil {
		b.Fatal(err)
	}
	if err := direct.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer direct.Kill()
	fleets := map[int]*fleet.Fleet{}
	for _, n := range []int{1, 3} {
		f, err := fleet.New(fleet.Replicas(n), fleet.BalancerOptions(fleet.TimeoutFailures(1000)), fleet.Liveness(time.Second, 1000))
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = f.Start(ctx)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		defer f.Stop(context.Background())
		fleets[n] = f
	}
	var d, f1, f3 []float64
	for range b.N {
		for range benchRounds {
			d = append(d, closedLoopRPS(b, direct.URL()+"/"))
			f1 = append(f1, closedLoopRPS(b, fleets[1].URL()))
			f3 = append(f3, closedLoopRPS(b, fleets[3].URL()))
		}
	}
	b.ReportMetric(median(d), "direct-req/s")
	b.ReportMetric(median(f1), "fleet1-req/s")
	b.ReportMetric(median(f3), "fleet3-req/s")
	b.ReportMetric(median(f3)/median(d), "fleet3/direct")
}
