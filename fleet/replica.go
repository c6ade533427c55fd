package fleet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/valyala/fasthttp"
)

// Response headers naming who answered. HeaderVersion is the header the
// load engine reads a request's version from.
const (
	HeaderVersion = engine.VersionHeader
	HeaderReplica = "X-Scalelab-Replica"
)

// Replica is the demo service: GET / answers its version and name, with
// the configured latency, error rate and CPU work; /healthz is its
// liveness, /readyz its readiness and /metrics its Prometheus metrics.
//
// Stop drains it: readiness fails first, requests are still served for the
// drain period, then keep-alive connections are closed politely
// (Connection: close) and it exits. Kill ends it abruptly. Hang, and the
// latency and error-rate setters, are faults for experiments.
type Replica struct {
	cfg     replicaConfig
	metrics *replicaMetrics
	body    []byte

	mu      sync.Mutex // guards srv, ln, started
	srv     *fasthttp.Server
	ln      *trackingListener
	started time.Time

	readyAt  atomic.Int64 // unix nanoseconds when the startup delay ends
	draining atomic.Bool  // readiness fails
	closing  atomic.Bool  // answers carry Connection: close
	faults   atomic.Pointer[faultState]
	release  chan struct{} // closed when hung requests may end
	done     chan struct{} // closed when the replica has exited
	stopOnce sync.Once
	relOnce  sync.Once

	stats replicaCounters
}

// faultState is what faults changed, swapped as a whole.
type faultState struct {
	extra     cluster.LatencyRange // latency added to every answer
	errorRate float64
	hung      bool
	release   chan struct{} // closed when a heal ends this hang
}

// replicaCounters count answers for Stats.
type replicaCounters struct {
	served, errors, starting, draining, hung atomic.Uint64
	busy, inflight                           atomic.Int64 // ns spent answering; answers under way
}

// ReplicaStats counts what a replica answered.
type ReplicaStats struct {
	// Served counts answers to application requests (every path but
	// /healthz, /readyz and /metrics), 500s included.
	Served uint64
	// Errors counts the 500s among them.
	Errors uint64
	// ServedStarting counts answers given before the startup delay ended:
	// requests routed to a replica that was not ready yet.
	ServedStarting uint64
	// ServedDraining counts answers given while draining.
	ServedDraining uint64
	// Hung counts requests that got no answer because of a hang fault.
	Hung uint64
}

// NewReplica returns a replica, not yet listening, or an error naming every
// problem with the options.
func NewReplica(opts ...ReplicaOption) (*Replica, error) {
	cfg := defaultReplicaConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("replica: %w", err)
	}
	r := &Replica{
		cfg:     cfg,
		metrics: newReplicaMetrics(cfg.name, cfg.version, cfg.process),
		body:    fmt.Appendf(nil, "{\"version\":%q,\"replica\":%q}\n", cfg.version, cfg.name),
		release: make(chan struct{}),
		done:    make(chan struct{}),
	}
	r.faults.Store(&faultState{errorRate: cfg.errorRate})
	return r, nil
}

// Name is the replica's name.
func (r *Replica) Name() string { return r.cfg.name }

// Version is the replica's version.
func (r *Replica) Version() string { return r.cfg.version }

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves in
// the background until Stop or Kill. The startup delay starts now.
func (r *Replica) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("replica %s: listen: %w", r.cfg.name, err)
	}
	return r.Serve(ln)
}

// Serve serves on ln in the background until Stop or Kill; the replica
// owns ln from now on.
func (r *Replica) Serve(ln net.Listener) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srv != nil {
		_ = ln.Close()
		return fmt.Errorf("replica %s: already started", r.cfg.name)
	}
	r.started = time.Now()
	r.readyAt.Store(r.started.Add(r.cfg.startupDelay).UnixNano())
	r.ln = newTrackingListener(ln)
	r.srv = &fasthttp.Server{
		Handler:                       r.handle,
		Name:                          "scalelab-target",
		NoDefaultDate:                 true,
		NoDefaultContentType:          true,
		CloseOnShutdown:               true,
		DisableHeaderNamesNormalizing: true,
		ReadTimeout:                   time.Minute,
		IdleTimeout:                   time.Minute,
		Logger:                        quietLogger{},
	}
	r.updateReadyGauge()
	srv, tl := r.srv, r.ln
	go func() {
		_ = srv.Serve(tl)
	}()
	if r.cfg.startupDelay > 0 {
		time.AfterFunc(r.cfg.startupDelay, r.updateReadyGauge)
	}
	return nil
}

// Addr is the address the replica listens on ("" before Start).
func (r *Replica) Addr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln == nil {
		return ""
	}
	return r.ln.Addr().String()
}

// URL is the replica's base URL ("" before Start).
func (r *Replica) URL() string {
	if a := r.Addr(); a != "" {
		return "http://" + a
	}
	return ""
}

// Ready reports whether the replica passes its readiness check now: its
// startup delay has passed and it is not draining.
func (r *Replica) Ready() bool {
	return !r.draining.Load() && !r.startingAt(time.Now())
}

// startingAt reports whether t falls before the end of the startup delay.
func (r *Replica) startingAt(t time.Time) bool {
	at := r.readyAt.Load()
	return at == 0 || t.UnixNano() < at
}

func (r *Replica) updateReadyGauge() {
	v := 0.0
	if r.Ready() {
		v = 1
	}
	r.metrics.ready.Set(v)
}

// Stats returns what the replica answered so far.
func (r *Replica) Stats() ReplicaStats {
	return ReplicaStats{
		Served:         r.stats.served.Load(),
		Errors:         r.stats.errors.Load(),
		ServedStarting: r.stats.starting.Load(),
		ServedDraining: r.stats.draining.Load(),
		Hung:           r.stats.hung.Load(),
	}
}

// Busy is the time the replica spent answering application requests so
// far, summed over concurrent ones, and the requests it is answering now.
func (r *Replica) Busy() (time.Duration, int) {
	return time.Duration(r.stats.busy.Load()), int(r.stats.inflight.Load())
}

// Done is closed when the replica has exited.
func (r *Replica) Done() <-chan struct{} { return r.done }

// Stop drains the replica and returns when it exited: readiness fails at
// once, requests are served for the drain period, then answers carry
// Connection: close and the server shuts down once no request is in
// flight. With NoDrain it closes every connection at once. When ctx ends
// first the replica is killed. Stop is idempotent; later calls wait for
// the first to finish.
func (r *Replica) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() {
		r.FailReadiness()
		go r.stop(ctx)
	})
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		r.Kill()
		return fmt.Errorf("stop replica %s: %w", r.cfg.name, ctx.Err())
	}
}

// FailReadiness makes /readyz answer 503 from now on, as Stop does
// first; requests are still served. A caller that announces the drain
// calls it before saying so.
func (r *Replica) FailReadiness() {
	r.draining.Store(true)
	r.updateReadyGauge()
}

func (r *Replica) stop(ctx context.Context) {
	r.mu.Lock()
	srv, ln := r.srv, r.ln
	r.mu.Unlock()
	if srv == nil {
		r.finish()
		return
	}
	if r.cfg.noDrain {
		r.releaseHung()
		ln.closeAll(false)
		r.finish()
		return
	}
	t := time.NewTimer(r.cfg.drain)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return // Stop kills
	case <-r.done:
		return // killed while draining
	}
	r.closing.Store(true)
	r.releaseHung()
	if err := srv.ShutdownWithContext(ctx); err != nil {
		return
	}
	r.finish()
}

// Kill ends the replica abruptly: the listener closes and every connection
// is reset, requests in flight included. It is idempotent.
func (r *Replica) Kill() {
	r.draining.Store(true)
	r.updateReadyGauge()
	r.mu.Lock()
	ln := r.ln
	r.mu.Unlock()
	r.releaseHung()
	if ln != nil {
		ln.closeAll(true)
	}
	r.finish()
}

// finish marks the replica exited.
func (r *Replica) finish() {
	select {
	case <-r.done:
	default:
		r.mu.Lock()
		defer r.mu.Unlock()
		select {
		case <-r.done:
		default:
			close(r.done)
		}
	}
}

func (r *Replica) releaseHung() { r.relOnce.Do(func() { close(r.release) }) }

// Hang makes the replica accept connections and never answer any request,
// its health and readiness checks included, until it is stopped, killed or
// healed.
func (r *Replica) Hang() {
	release := make(chan struct{})
	r.updateFaults(func(f *faultState) {
		if !f.hung {
			f.hung, f.release = true, release
		}
	})
}

// Heal clears the hang, latency and error-rate faults: the replica answers
// as configured again, and the requests it held hung end (their
// connections close, as when it ends).
func (r *Replica) Heal() {
	old := r.faults.Swap(&faultState{errorRate: r.cfg.errorRate})
	if old.release != nil {
		close(old.release)
	}
}

// AddLatency adds l to every answer from now on (zero removes it).
func (r *Replica) AddLatency(l cluster.LatencyRange) {
	r.updateFaults(func(f *faultState) { f.extra = l })
}

// SetErrorRate sets the share (0..1) of requests answered with a 500.
func (r *Replica) SetErrorRate(rate float64) {
	r.updateFaults(func(f *faultState) { f.errorRate = min(max(rate, 0), 1) })
}

func (r *Replica) updateFaults(change func(*faultState)) {
	for {
		old := r.faults.Load()
		n := *old
		change(&n)
		if r.faults.CompareAndSwap(old, &n) {
			return
		}
	}
}

// handle routes a request.
func (r *Replica) handle(ctx *fasthttp.RequestCtx) {
	if st := r.faults.Load(); st.hung {
		r.hang(ctx, st.release)
		return
	}
	switch string(ctx.Path()) {
	case "/healthz":
		ctx.SetBodyString("ok\n")
	case "/readyz":
		r.readyz(ctx)
	case "/metrics":
		r.metrics.handler(ctx)
	default:
		r.serve(ctx)
	}
	if r.closing.Load() {
		ctx.SetConnectionClose()
	}
}

// hang holds the request unanswered until the replica ends, then drops the
// connection.
func (r *Replica) hang(ctx *fasthttp.RequestCtx, healed <-chan struct{}) {
	r.stats.hung.Add(1)
	select {
	case <-r.release:
	case <-healed:
	}
	ctx.SetConnectionClose()
	_ = ctx.Conn().Close()
}

func (r *Replica) readyz(ctx *fasthttp.RequestCtx) {
	switch {
	case r.draining.Load():
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		ctx.SetBodyString("draining\n")
	case r.startingAt(time.Now()):
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		ctx.SetBodyString("starting\n")
	default:
		ctx.SetBodyString("ready\n")
	}
}

// serve answers an application request.
func (r *Replica) serve(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	m := r.metrics
	m.inflight.Inc()
	r.stats.inflight.Add(1)
	f := r.faults.Load()
	if r.cfg.cpuWork > 0 {
		burnCPU(r.cfg.cpuWork)
	}
	if d := r.cfg.latency.Draw() + f.extra.Draw(); d > 0 {
		time.Sleep(d)
	}
	code := fasthttp.StatusOK
	if f.errorRate > 0 && rand.Float64() < f.errorRate {
		code = fasthttp.StatusInternalServerError
	}
	ctx.SetStatusCode(code)
	ctx.Response.Header.Set(HeaderVersion, r.cfg.version)
	ctx.Response.Header.Set(HeaderReplica, r.cfg.name)
	ctx.Response.Header.SetContentType("application/json")
	if code == fasthttp.StatusOK {
		ctx.SetBody(r.body)
		m.ok.Inc()
	} else {
		ctx.SetBodyString("{\"error\":\"injected\"}\n")
		r.stats.errors.Add(1)
		m.failed.Inc()
	}
	r.stats.served.Add(1)
	switch {
	case r.draining.Load():
		r.stats.draining.Add(1)
		m.draining.Inc()
	case r.startingAt(start):
		r.stats.starting.Add(1)
		m.starting.Inc()
	}
	took := time.Since(start)
	m.duration.Observe(took.Seconds())
	r.stats.busy.Add(int64(took))
	r.stats.inflight.Add(-1)
	m.inflight.Dec()
}

// burnCPU spins for d of wall time, checking the clock every few thousand
// multiplications.
func burnCPU(d time.Duration) uint64 {
	end := time.Now().Add(d)
	x := uint64(1)
	for time.Now().Before(end) {
		for range 4096 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

// quietLogger drops fasthttp's log lines: connection errors are what
// kills and drains are about, and they are counted where they matter.
type quietLogger struct{}

// Printf does nothing.
func (quietLogger) Printf(string, ...any) {}
