package engine

import (
	"context"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// Benchmarks of the engine's hot path. The speed targets against nginx and
// wrk live in bench/peers.sh (make bench-peers); these measure the parts
// (make bench-go) and must report 0 allocs/op where the issue asks for it.

// benchResult is a finished 200 with plausible offsets.
func benchResult(i int) result {
	base := time.Duration(i) * 20 * time.Microsecond
	return result{
		intended: base,
		sent:     base + time.Duration(i%7)*100*time.Microsecond,
		done:     base + time.Duration(300+i%4000)*time.Microsecond,
		status:   200,
		bytesIn:  6,
	}
}

// BenchmarkStripeRecord is one worker recording outcomes into its stripe.
func BenchmarkStripeRecord(b *testing.B) {
	rec := newRecorder(8)
	s := rec.stripe(0)
	rs := make([]result, 1024)
	for i := range rs {
		rs[i] = benchResult(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.record(&rs[i&1023])
	}
	b.StopTimer()
	if got := s.cur.requests; got != uint64(b.N) {
		b.Fatalf("stripe counted %d requests, want %d", got, b.N)
	}
}

// BenchmarkStripeRecordVersion is BenchmarkStripeRecord with the answers
// naming their version, two versions as during a rollout: the by-version
// counting's cost on the hot path (0 allocs/op).
func BenchmarkStripeRecordVersion(b *testing.B) {
	rec := newRecorder(8)
	s := rec.stripe(0)
	rs := make([]result, 1024)
	versions := [][]byte{[]byte("v1"), []byte("v2")}
	for i := range rs {
		rs[i] = benchResult(i)
		rs[i].version = versions[i%2]
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.record(&rs[i&1023])
		if i&(1<<16-1) == 0 {
			s.cur.reset() // a tick: the values' slices keep their memory
		}
	}
}

// BenchmarkStripeRecordParallel is every processor recording at once, each
// goroutine on its own stripe as workers are spread.
func BenchmarkStripeRecordParallel(b *testing.B) {
	rec := newRecorder(64)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		s := rec.stripe(int(next.Add(1)))
		r := benchResult(1)
		for pb.Next() {
			s.record(&r)
		}
	})
}

// BenchmarkScheduleAt is the open loop's next-due computation at a constant
// rate and along a ramp.
func BenchmarkScheduleAt(b *testing.B) {
	b.Run("constant", func(b *testing.B) {
		sc := newSchedule(50000, nil)
		b.ReportAllocs()
		var sink float64
		for i := 0; i < b.N; i++ {
			sink += sc.at(uint64(i))
		}
		benchSinkFloat = sink
	})
	b.Run("ramp", func(b *testing.B) {
		// A ramp long enough that b.N requests stay inside it.
		sc := newSchedule(0, []Stage{{Duration: time.Hour, Rate: 1e6}})
		b.ReportAllocs()
		var sink float64
		for i := 0; i < b.N; i++ {
			sink += sc.at(uint64(i))
		}
		benchSinkFloat = sink
	})
}

var benchSinkFloat float64

// benchServer serves `return 200 "hello\n"` with fasthttp on a loopback
// port, like the nginx target of make bench-peers.
func benchServer(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatalf("listen: %v", err)
	}
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			ctx.SetContentType("text/plain")
			ctx.SetBodyString("hello\n")
		},
		NoDefaultServerHeader: true,
		NoDefaultDate:         true,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	b.Cleanup(func() {
		_ = srv.Shutdown()
		<-done
	})
	return "http://" + ln.Addr().String() + "/"
}

// benchEngine builds a started closed-loop engine for url without running
// its loops, so workers can be driven directly.
func benchEngine(b *testing.B, url string, conc int) *Engine {
	b.Helper()
	e, err := New(Target{URL: url}, Concurrency(conc), Timeout(5*time.Second))
	if err != nil {
		b.Fatalf("new engine: %v", err)
	}
	e.start = time.Now()
	return e
}

// benchCheck fails b unless every request recorded by e got a 200.
func benchCheck(b *testing.B, e *Engine, want int) {
	b.Helper()
	s := NewSnapshot()
	e.rec.collect(s)
	if s.Requests != uint64(want) || s.Status[200] != uint64(want) {
		b.Fatalf("recorded %d requests, %d of them 200, want %d 200s (status %v, errors %v)",
			s.Requests, s.Status[200], want, s.Status, s.Errors)
	}
}

// BenchmarkWorkerDo is one full request through worker.do: send, read,
// classify, record, on a kept-alive loopback connection.
func BenchmarkWorkerDo(b *testing.B) {
	e := benchEngine(b, benchServer(b), 1)
	w := e.newWorker(0)
	b.Cleanup(w.hangUp)
	w.do(e.since()) // open the connection outside the timing
	e.rec.collect(NewSnapshot())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.do(e.since())
	}
	b.StopTimer()
	benchCheck(b, e, b.N)
}

// BenchmarkWorkerDoParallel is many workers at once on their own
// connections, as in the closed loop.
func BenchmarkWorkerDoParallel(b *testing.B) {
	e := benchEngine(b, benchServer(b), 64)
	var next atomic.Int64
	b.SetParallelism(8) // 8 x GOMAXPROCS workers
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := e.newWorker(int(next.Add(1)))
		defer w.hangUp()
		for pb.Next() {
			w.do(e.since())
		}
	})
	b.StopTimer()
	benchCheck(b, e, b.N)
}

// BenchmarkRecorderCollect is the tick's cost: swapping and merging every
// stripe (GOMAXPROCS x 4, at least 8) into a fresh snapshot, with a second's
// worth of varied latencies in each.
func BenchmarkRecorderCollect(b *testing.B) {
	rec := newRecorder(8)
	fill := func() {
		for i := range rec.stripes {
			for j := 0; j < 2000; j++ {
				r := benchResult(i*2000 + j)
				rec.stripes[i].record(&r)
			}
		}
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fill()
		b.StartTimer()
		rec.collect(NewSnapshot())
	}
}

// BenchmarkSnapshotMerge is merging one tick's snapshot into a run total.
func BenchmarkSnapshotMerge(b *testing.B) {
	tick := NewSnapshot()
	now := time.Now()
	tick.Start, tick.End = now, now.Add(time.Second)
	for i := 0; i < 20000; i++ {
		r := benchResult(i)
		_ = tick.Latency.RecordValue(int64((r.done - r.intended) / time.Microsecond))
		_ = tick.Service.RecordValue(int64((r.done - r.sent) / time.Microsecond))
	}
	tick.Requests, tick.Status[200], tick.Status[503] = 20000, 19990, 10
	total := NewSnapshot()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		total.Merge(tick)
	}
}

// BenchmarkSnapshotMergeTick is merging a 250 ms tick of a rollout at
// 500 requests a second (benchTick) into a run total: what a session does
// per tick for its total, and a replay per frame.
// Walk is Merge; packed is MergePacked from the tick packed once (Pack,
// measured by BenchmarkSnapshotPack).
func BenchmarkSnapshotMergeTick(b *testing.B) {
	tick := benchTick()
	var p Packed
	p.Pack(tick)
	for _, packed := range []bool{false, true} {
		b.Run(map[bool]string{false: "walk", true: "packed"}[packed], func(b *testing.B) {
			total := NewSnapshot()
			total.Merge(tick)
			b.ReportAllocs()
			for b.Loop() {
				if packed {
					total.MergePacked(tick, &p)
				} else {
					total.Merge(tick)
				}
			}
		})
	}
}

// BenchmarkSnapshotPack is packing a tick (benchTick) once, for its
// merges and copies.
func BenchmarkSnapshotPack(b *testing.B) {
	tick := benchTick()
	var p Packed
	p.Pack(tick)
	b.ReportAllocs()
	for b.Loop() {
		p.Pack(tick)
	}
}

// benchTick is a 250 ms tick of a rollout at 500 requests a second: 125
// requests of 2..10 ms (one in a hundred five times slower), split between
// v1, v2 and the unknown version, one in fifty failed.
func benchTick() *Snapshot {
	s := NewSnapshot()
	s.Start, s.End = time.Unix(0, 0), time.Unix(0, int64(250*time.Millisecond))
	for i := range 125 {
		us := int64(2000 + (i*7919)%8000)
		if i%100 == 7 {
			us *= 5
		}
		failed := i%50 == 3
		s.Requests++
		if failed {
			s.Status[503]++
			_ = s.FailedLatency.RecordValue(us)
		} else {
			s.Status[200]++
		}
		_ = s.Latency.RecordValue(us)
		_ = s.Service.RecordValue(us - 100)
		vs := s.VersionEntry([]string{"v1", "v2", UnknownVersion}[i%3])
		vs.Requests++
		if failed {
			vs.Failed++
		}
		if vs.Latency == nil {
			vs.Latency = NewHistogram()
		}
		_ = vs.Latency.RecordValue(us)
	}
	return s
}

// BenchmarkEngineClosed runs the whole closed loop with 64 workers for 2 s
// and reports requests per second: against the in-process server, or the
// loopback URL in SCALELAB_BENCH_URL (the nginx of bench/peers.sh, for
// profiling the generator alone: bench/profile.sh). On a shared machine
// compare it only with itself.
func BenchmarkEngineClosed(b *testing.B) {
	url := benchTarget(b)
	var reqs uint64
	var secs float64
	for i := 0; i < b.N; i++ {
		e, err := New(Target{URL: url}, Concurrency(64), Duration(2*time.Second))
		if err != nil {
			b.Fatalf("new engine: %v", err)
		}
		res, err := e.Run(context.Background())
		if err != nil {
			b.Fatalf("run: %v", err)
		}
		if res.Total.Status[200] != res.Total.Requests || res.Total.Requests == 0 {
			b.Fatalf("run: %d requests, status %v, errors %v", res.Total.Requests, res.Total.Status, res.Total.Errors)
		}
		reqs += res.Total.Requests
		secs += res.Window.Seconds()
	}
	b.ReportMetric(float64(reqs)/secs, "req/s")
}

// benchTarget is SCALELAB_BENCH_URL when set (loopback only), else an
// in-process server.
func benchTarget(b *testing.B) string {
	b.Helper()
	raw := os.Getenv("SCALELAB_BENCH_URL")
	if raw == "" {
		return benchServer(b)
	}
	u, err := ParseURL(raw)
	if err != nil {
		b.Fatalf("SCALELAB_BENCH_URL: %v", err)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		b.Fatalf("SCALELAB_BENCH_URL %q: benchmarks send load to loopback addresses only", raw)
	}
	return raw
}

// BenchmarkEngineOpen runs the open loop for 2 s at SCALELAB_BENCH_RATE
// (default 10,000 rps) against benchTarget and reports the achieved rate,
// drops and late sends per run.
func BenchmarkEngineOpen(b *testing.B) {
	url := benchTarget(b)
	rate := 10000.0
	if v := os.Getenv("SCALELAB_BENCH_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 {
			b.Fatalf("SCALELAB_BENCH_RATE %q: want a positive number", v)
		}
		rate = r
	}
	var reqs, dropped, late uint64
	var secs float64
	for i := 0; i < b.N; i++ {
		e, err := New(Target{URL: url}, Rate(rate), Duration(2*time.Second))
		if err != nil {
			b.Fatalf("new engine: %v", err)
		}
		res, err := e.Run(context.Background())
		if err != nil {
			b.Fatalf("run: %v", err)
		}
		reqs += res.Total.Requests
		dropped += res.Total.Dropped
		late += res.Total.Late
		secs += res.Window.Seconds()
	}
	b.ReportMetric(float64(reqs)/secs, "req/s")
	b.ReportMetric(float64(dropped)/float64(b.N), "dropped/run")
	b.ReportMetric(float64(late)/float64(b.N), "late/run")
}

// BenchmarkWorkerDoRetries is BenchmarkWorkerDo with retries on against
// a server whose every 10th answer is a 503: the retry's decision,
// budget, backoff (1 ms at most) and effective counting on the hot path
// (0 allocs/op).
func BenchmarkWorkerDoRetries(b *testing.B) {
	var n atomic.Uint64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatalf("listen: %v", err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		if n.Add(1)%10 == 0 {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		}
	}}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Shutdown() })
	e, err := New(Target{URL: "http://" + ln.Addr().String() + "/"}, Concurrency(1), Timeout(5*time.Second),
		Retries(RetryPolicy{Max: 2, Initial: time.Millisecond, MaxBackoff: time.Millisecond}))
	if err != nil {
		b.Fatalf("new engine: %v", err)
	}
	e.start = time.Now()
	w := e.newWorker(0)
	b.Cleanup(w.hangUp)
	for i := 0; i < 20; i++ {
		w.do(e.since()) // open the connection and the backoff's timer outside the timing
	}
	e.rec.collect(NewSnapshot())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.do(e.since())
	}
	b.StopTimer()
	s := NewSnapshot()
	e.rec.collect(s)
	if s.EffectiveRequests != uint64(b.N) || (b.N >= 100 && s.Retries == 0) {
		b.Fatalf("%d requests, %d retries: want %d requests and some retries", s.EffectiveRequests, s.Retries, b.N)
	}
}
