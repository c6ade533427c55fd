package canary

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkJudge judges one interval of two versions with 100k requests
// each (latencies spread over 1..50 ms, so thousands of buckets in use).
func BenchmarkJudge(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	draw := func(scale float64) []int64 {
		out := make([]int64, 100_000)
		for i := range out {
			out[i] = 1000 + int64(rng.ExpFloat64()*5000*scale)
		}
		return out
	}
	base, can := sample(b, "v1", draw(1), 100), sample(b, "v2", draw(1.1), 150)
	cfg := DefaultConfig()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if r := Judge(cfg, base, can); r.Outcome == "" {
			b.Fatal("no outcome")
		}
	}
}
