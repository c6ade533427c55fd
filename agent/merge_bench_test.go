package agent

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/recordings"
)

// BenchmarkMergeTick is the controller's work for one 250 ms tick of 100
// agents, each at 10,000 req/s (2,500 requests a tick, latencies spread
// over 0.2–50 ms): adding each agent's frame, as its stream carries it,
// into the tick (Merger: decoded and added in one pass), then the tick
// into the run's total. ns/op is the cost per tick: a controller core
// has 250 ms a tick. (A run is 40 ticks: a new merger every 40.)
func BenchmarkMergeTick(b *testing.B) {
	const agents, ticks = 100, 40
	rng := rand.New(rand.NewPCG(1, 2))
	frames := make([][][]byte, ticks)
	for k := range frames {
		frames[k] = make([][]byte, agents)
		for a := range frames[k] {
			s := engine.NewSnapshot()
			s.Start = t0.Add(time.Duration(k)*tick + time.Millisecond)
			s.End = s.Start.Add(tick)
			for range 2500 {
				v := min(int64(200+rng.ExpFloat64()*3000), 50000)
				_ = s.Latency.RecordValue(v)
				_ = s.Service.RecordValue(v - 100)
			}
			s.Requests, s.Status[200] = 2500, 2500
			frames[k][a] = recordings.AppendSnapshot(nil, s, t0)
		}
	}
	total := engine.NewSnapshot()
	var m *Merger
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		k := i % ticks
		if k == 0 {
			m = NewMerger(agents, t0, tick, 0)
		}
		var out []Merged
		for a, f := range frames[k] {
			ms, err := m.Add(a, f)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, ms...)
		}
		if len(out) != 1 || out[0].Snapshot.Requests != agents*2500 {
			b.Fatalf("tick %d: %+v", k, out)
		}
		total.Merge(out[0].Snapshot)
	}
}
