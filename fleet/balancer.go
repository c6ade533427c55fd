package fleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/valyala/fasthttp"
)

// Balancer is a load balancer on one port in front of backends: it routes
// requests round robin to the backends that pass its active readiness
// checks (GET /readyz), takes out a backend at its first definite failure
// (or after TimeoutFailures timeouts in a row), and, like kube-proxy,
// never retries: a request to a backend that fails
// gets a 502 (a 504 past the upstream timeout, a 503 when no backend is
// ready).
type Balancer struct {
	cfg balancerConfig

	mu       sync.Mutex
	backends map[string]*backend
	order    []*backend // in the order added
	srv      *fasthttp.Server
	ln       net.Listener
	closed   bool

	rotation atomic.Pointer[[]*backend]
	next     atomic.Uint64
	noReady  atomic.Uint64
	wg       sync.WaitGroup
}

// backend is one replica behind the balancer.
type backend struct {
	name, addr string
	proxy      *fasthttp.HostClient
	checker    *fasthttp.HostClient
	up         bool // guarded by Balancer.mu
	removed    bool // guarded by Balancer.mu
	stop       chan struct{}
	routed     atomic.Uint64
	failed     atomic.Uint64
}

// Change is a backend entering or leaving the rotation.
type Change struct {
	Time time.Time
	// Name is the backend's name.
	Name string
	// Up is true when it entered the rotation.
	Up bool
	// Reason says why it left ("readyz 503: draining", "connection
	// refused", "timeout").
	Reason string
}

// Backend is a backend's state.
type Backend struct {
	Name, Addr string
	// Up reports it in the rotation.
	Up bool
	// Routed counts requests sent to it; Failed those that got no answer
	// from it (the client got a 502 or 504).
	Routed, Failed uint64
}

// NewBalancer returns a balancer, not yet listening.
func NewBalancer(opts ...BalancerOption) (*Balancer, error) {
	cfg := defaultBalancerConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("balancer: %w", err)
	}
	b := &Balancer{cfg: cfg, backends: map[string]*backend{}}
	b.rotation.Store(&[]*backend{})
	return b, nil
}

// Start listens on addr and serves in the background until Close.
func (b *Balancer) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("balancer: listen: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.srv != nil || b.closed {
		_ = ln.Close()
		return errors.New("balancer: already started")
	}
	b.ln = ln
	b.srv = &fasthttp.Server{
		Handler:                       b.handle,
		Name:                          "scalelab-balancer",
		NoDefaultServerHeader:         true,
		NoDefaultDate:                 true,
		NoDefaultContentType:          true,
		DisableHeaderNamesNormalizing: true,
		ReadTimeout:                   time.Minute,
		IdleTimeout:                   time.Minute,
		Logger:                        quietLogger{},
	}
	srv := b.srv
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// Addr is the address the balancer listens on ("" before Start).
func (b *Balancer) Addr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ln == nil {
		return ""
	}
	return b.ln.Addr().String()
}

// URL is the balancer's base URL, the one to send load to.
func (b *Balancer) URL() string { return "http://" + b.Addr() + "/" }

// Add puts a backend behind the balancer; it enters the rotation at its
// first passing readiness check.
func (b *Balancer) Add(name, addr string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errors.New("balancer: closed")
	}
	if _, ok := b.backends[name]; ok {
		return fmt.Errorf("balancer: backend %s already added", name)
	}
	be := &backend{
		name: name, addr: addr, stop: make(chan struct{}),
		proxy: &fasthttp.HostClient{
			Addr: addr,
			Dial: func(addr string) (net.Conn, error) {
				return fasthttp.DialDualStackTimeout(addr, b.cfg.upstreamTimeout)
			},
			MaxConns:                      4096,
			MaxConnWaitTimeout:            b.cfg.upstreamTimeout,
			MaxIdemponentCallAttempts:     1,
			RetryIfErr:                    func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
			ReadTimeout:                   b.cfg.upstreamTimeout,
			WriteTimeout:                  b.cfg.upstreamTimeout,
			MaxIdleConnDuration:           10 * time.Second,
			NoDefaultUserAgentHeader:      true,
			DisablePathNormalizing:        true,
			DisableHeaderNamesNormalizing: true,
		},
		checker: &fasthttp.HostClient{
			Addr:                      addr,
			DialDualStack:             true,
			MaxConns:                  2,
			MaxIdemponentCallAttempts: 1,
			RetryIfErr:                func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
			NoDefaultUserAgentHeader:  true,
		},
	}
	b.backends[name] = be
	b.order = append(b.order, be)
	b.wg.Add(1)
	go b.probe(be)
	return nil
}

// Remove takes a backend out at once and stops checking it. Requests
// already sent to it go on.
func (b *Balancer) Remove(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	be, ok := b.backends[name]
	if !ok {
		return
	}
	delete(b.backends, name)
	for i, o := range b.order {
		if o == be {
			b.order = append(b.order[:i:i], b.order[i+1:]...)
			break
		}
	}
	be.removed = true
	close(be.stop)
	if be.up {
		be.up = false
		b.rebuild()
	}
	time.AfterFunc(time.Second, be.proxy.CloseIdleConnections)
}

// Backends lists the backends in the order added.
func (b *Balancer) Backends() []Backend {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Backend, len(b.order))
	for i, be := range b.order {
		out[i] = Backend{Name: be.name, Addr: be.addr, Up: be.up, Routed: be.routed.Load(), Failed: be.failed.Load()}
	}
	return out
}

// NoReady counts requests answered 503 because no backend was ready.
func (b *Balancer) NoReady() uint64 { return b.noReady.Load() }

// Close stops the checks and the server; requests in flight end within
// ctx. It is idempotent.
func (b *Balancer) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	for _, be := range b.order {
		close(be.stop)
		be.removed = true
	}
	b.backends, b.order = map[string]*backend{}, nil
	b.rotation.Store(&[]*backend{})
	srv := b.srv
	b.mu.Unlock()
	b.wg.Wait()
	if srv == nil {
		return nil
	}
	if err := srv.ShutdownWithContext(ctx); err != nil {
		return fmt.Errorf("balancer: shutdown: %w", err)
	}
	return nil
}

// rebuild publishes the rotation; b.mu must be held.
func (b *Balancer) rebuild() {
	r := make([]*backend, 0, len(b.order))
	for _, be := range b.order {
		if be.up {
			r = append(r, be)
		}
	}
	b.rotation.Store(&r)
}

// pick returns the next backend in the rotation, or nil.
func (b *Balancer) pick() *backend {
	r := *b.rotation.Load()
	if len(r) == 0 {
		return nil
	}
	return r[(b.next.Add(1)-1)%uint64(len(r))]
}

// handle proxies one request, exactly once.
func (b *Balancer) handle(ctx *fasthttp.RequestCtx) {
	be := b.pick()
	if be == nil {
		b.noReady.Add(1)
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		ctx.SetBodyString("scalelab balancer: no ready replica\n")
		return
	}
	be.routed.Add(1)
	req := &ctx.Request
	clientClose := req.Header.ConnectionClose()
	req.Header.ResetConnectionClose()
	err := be.proxy.Do(req, &ctx.Response)
	ctx.Response.Header.ResetConnectionClose()
	if clientClose {
		ctx.SetConnectionClose()
	}
	if err == nil {
		return
	}
	be.failed.Add(1)
	ctx.Response.Reset()
	code := fasthttp.StatusBadGateway
	if engine.Classify(err) == engine.ErrTimeout {
		code = fasthttp.StatusGatewayTimeout
	}
	ctx.SetStatusCode(code)
	ctx.SetBodyString(fmt.Sprintf("scalelab balancer: %s: %s\n", be.name, engine.Classify(err)))
}

// probe checks be's readiness every interval until it is removed.
func (b *Balancer) probe(be *backend) {
	defer b.wg.Done()
	t := time.NewTicker(b.cfg.checkInterval)
	defer t.Stop()
	timeouts := 0
	for {
		ok, timedOut, reason := b.check(be)
		switch {
		case ok:
			timeouts = 0
			b.setUp(be, true, "")
		case timedOut:
			if timeouts++; timeouts >= b.cfg.timeoutFailures {
				b.setUp(be, false, fmt.Sprintf("%s (%d in a row)", reason, timeouts))
			}
		default:
			b.setUp(be, false, reason)
		}
		select {
		case <-be.stop:
			be.checker.CloseIdleConnections()
			return
		case <-t.C:
		}
	}
}

// check asks be's /readyz once.
func (b *Balancer) check(be *backend) (ok, timedOut bool, reason string) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + be.addr + "/readyz")
	err := be.checker.DoTimeout(req, resp, b.cfg.checkTimeout)
	switch {
	case err != nil:
		class := engine.Classify(err)
		return false, class == engine.ErrTimeout, "readiness check: " + class.String()
	case resp.StatusCode() != fasthttp.StatusOK:
		return false, false, fmt.Sprintf("readiness check: %d %s", resp.StatusCode(), trimBody(resp.Body()))
	}
	return true, false, ""
}

// setUp records a check's outcome and reports a change.
func (b *Balancer) setUp(be *backend, up bool, reason string) {
	b.mu.Lock()
	if be.removed || be.up == up {
		b.mu.Unlock()
		return
	}
	be.up = up
	b.rebuild()
	b.mu.Unlock()
	if b.cfg.onChange != nil {
		b.cfg.onChange(Change{Time: time.Now(), Name: be.name, Up: up, Reason: reason})
	}
}

// trimBody makes a short one-line label of a probe's answer.
func trimBody(b []byte) string {
	s := string(b)
	for i, c := range s {
		if c == '\n' || i >= 40 {
			return s[:i]
		}
	}
	return s
}
