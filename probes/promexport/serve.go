package promexport

import (
	"context"
	"errors"
	"fmt"
	"github.com/scalelab/scalelab/internal/loopback"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/scalelab/scalelab/session"
)

// CheckAddr checks a listen address HOST:PORT: a port 0..65535 (0: any
// free one) and, unless anyAddr, a loopback host (localhost, 127.0.0.0/8,
// ::1): a run's figures are not served to the network unless asked. An
// empty host is every interface.
func CheckAddr(addr string, anyAddr bool) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want HOST:PORT such as 127.0.0.1:9464")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("port %q: want 0..65535", port)
	}
	ok, where := loopback.Addr(addr)
	if anyAddr || ok {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address (the run's figures would be served to the network): give 127.0.0.1:PORT, or allow it with --metrics-listen-any", where)
}

// Listen checks addr (CheckAddr) and listens on it.
func Listen(addr string, anyAddr bool) (net.Listener, error) {
	if err := CheckAddr(addr, anyAddr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			err = op.Err // the address is the caller's
		}
		return nil, fmt.Errorf("cannot listen: %w", err)
	}
	return ln, nil
}

// Handler serves c's metrics at any path in the exposition format the
// scraper asks for (the protobuf one carries the native histograms).
func Handler(c prometheus.Collector) (http.Handler, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("register the session's metrics: %w", err)
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}), nil
}

// shutdownWait bounds the wait for scrapes in progress as the endpoint
// closes.
const shutdownWait = 2 * time.Second

// Endpoint is the sink (a Sink) that serves its metrics at /metrics on
// a listener, from the session's opening to its close.
type Endpoint struct {
	*Sink
	ln   net.Listener
	srv  *http.Server
	done chan error
}

var _ session.Sink = (*Endpoint)(nil)

// Serve returns the endpoint that serves a new Sink's metrics on ln; it
// closes ln as the session closes.
func Serve(ln net.Listener, opts Options) *Endpoint {
	return &Endpoint{Sink: New(opts), ln: ln}
}

// Addr is the address the endpoint listens on.
func (e *Endpoint) Addr() net.Addr { return e.ln.Addr() }

// Open starts serving.
func (e *Endpoint) Open(i session.Info) error {
	if err := e.Sink.Open(i); err != nil {
		return err
	}
	h, err := Handler(e.Sink)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	e.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	e.done = make(chan error, 1)
	go func() { e.done <- e.srv.Serve(e.ln) }()
	return nil
}

// Close stops serving (the scrapes in progress end first, within 2 s)
// and closes the listener.
func (e *Endpoint) Close(r *session.Result) error {
	_ = e.Sink.Close(r)
	if e.srv == nil {
		_ = e.ln.Close()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		_ = e.srv.Close()
	}
	if err := <-e.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics endpoint: %w", err)
	}
	return nil
}
