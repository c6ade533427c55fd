// Package enginetest holds loopback servers with known behaviour for testing
// load generators against real sockets: an HTTP server answering a
// deterministic mix of status codes with exact served counts (optionally
// slow, stalling on demand, or sending a large body), a closed port, a server
// that resets connections, one that never answers and one that writes a
// fixed answer, such as a malformed one.
//
// Every server listens on 127.0.0.1 on a port the kernel picks and is closed
// by the test's cleanup.
package enginetest

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// maxCode bounds the status codes a Server can answer with.
const maxCode = 999

// Server is a loopback HTTP server that answers request i with the status
// code Statuses[i mod len(Statuses)] and counts what it served, so a load
// generator's counts can be checked exactly.
type Server struct {
	// URL is the server's base URL, such as http://127.0.0.1:40123.
	URL string

	srv     *httptest.Server
	codes   []int
	delay   time.Duration
	body    int64
	chunked bool
	idle    time.Duration
	record  bool
	hang    uint64        // HangEvery's n
	release chan struct{} // closed by Close: the held requests end

	next        atomic.Uint64
	arrived     atomic.Uint64 // requests seen, for HangEvery
	served      [maxCode + 1]atomic.Uint64
	conns       atomic.Uint64
	active      atomic.Int64
	maxActive   atomic.Int64
	frozenUntil atomic.Int64 // unix nanoseconds

	closeOnce sync.Once
	mu        sync.Mutex
	arrivals  []time.Time
	last      Request
}

// Request is what a Server saw of the last request it received.
type Request struct {
	Method string
	Host   string
	Path   string
	Header http.Header
	Body   []byte
}

// Option configures a Server.
type Option func(*Server)

// Statuses sets the cycle of status codes: request i (counted from 0 in
// arrival order) gets codes[i mod len(codes)]. Repeat a code to weight it:
// Statuses(200, 200, 200, 404, 503) answers 60% 200, 20% 404, 20% 503. The
// default is 200 only.
func Statuses(codes ...int) Option {
	return func(s *Server) { s.codes = append([]int(nil), codes...) }
}

// Delay makes every answer wait d before its status is written.
func Delay(d time.Duration) Option { return func(s *Server) { s.delay = d } }

// BodySize makes every answer carry an n-byte body with a Content-Length.
func BodySize(n int64) Option { return func(s *Server) { s.body = n } }

// Chunked sends the BodySize body with chunked transfer encoding instead of
// a Content-Length.
func Chunked() Option { return func(s *Server) { s.chunked = true } }

// IdleTimeout closes keep-alive connections left idle for d, as servers
// and proxies do.
func IdleTimeout(d time.Duration) Option { return func(s *Server) { s.idle = d } }

// HangEvery makes every nth request (the nth, the 2nth, ...) never answered:
// the server holds it until the client goes or the server closes. Held
// requests take no turn in the Statuses cycle and are not Served.
func HangEvery(n int) Option { return func(s *Server) { s.hang = uint64(max(n, 0)) } }

// RecordArrivals keeps the arrival time of every request (see Arrivals).
func RecordArrivals() Option { return func(s *Server) { s.record = true } }

// NewServer starts a Server on loopback; the test's cleanup closes it.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{codes: []int{http.StatusOK}, release: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	for _, c := range s.codes {
		if c < 100 || c > maxCode {
			t.Fatalf("enginetest: status %d out of range", c)
		}
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.IdleTimeout = s.idle
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.srv.Start()
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// serve answers one request.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	n := s.active.Add(1)
	defer s.active.Add(-1)
	for m := s.maxActive.Load(); n > m && !s.maxActive.CompareAndSwap(m, n); m = s.maxActive.Load() {
	}
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	if s.record {
		s.arrivals = append(s.arrivals, now)
	}
	s.last = Request{Method: r.Method, Host: r.Host, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	s.mu.Unlock()
	if until := time.Unix(0, s.frozenUntil.Load()); now.Before(until) {
		time.Sleep(until.Sub(now))
	}
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	if s.hang > 0 && s.arrived.Add(1)%s.hang == 0 {
		select {
		case <-s.release:
		case <-r.Context().Done():
		}
		return
	}
	i := s.next.Add(1) - 1
	code := s.codes[i%uint64(len(s.codes))]
	s.served[code].Add(1)
	if s.body > 0 && !s.chunked {
		w.Header().Set("Content-Length", itoa(s.body))
	}
	w.WriteHeader(code)
	if s.body > 0 {
		writeZeros(w, s.body)
	}
}

// writeZeros writes n zero bytes from one small buffer.
func writeZeros(w io.Writer, n int64) {
	var buf [32 << 10]byte
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		n -= k
	}
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// Served is the number of answers sent with status code.
func (s *Server) Served(code int) uint64 {
	if code < 0 || code > maxCode {
		return 0
	}
	return s.served[code].Load()
}

// ServedAll is the number of answers sent by status code.
func (s *Server) ServedAll() map[int]uint64 {
	m := map[int]uint64{}
	for code := range s.served {
		if n := s.served[code].Load(); n > 0 {
			m[code] = n
		}
	}
	return m
}

// Total is the number of answers sent.
func (s *Server) Total() uint64 {
	var n uint64
	for code := range s.served {
		n += s.served[code].Load()
	}
	return n
}

// Conns is the number of connections accepted.
func (s *Server) Conns() uint64 { return s.conns.Load() }

// Active is the number of requests being handled now.
func (s *Server) Active() int64 { return s.active.Load() }

// MaxActive is the largest number of requests handled at once since the
// start or the last ResetMaxActive.
func (s *Server) MaxActive() int64 { return s.maxActive.Load() }

// ResetMaxActive restarts MaxActive from the requests being handled now.
func (s *Server) ResetMaxActive() { s.maxActive.Store(s.active.Load()) }

// Freeze holds every answer to a request arriving in the next d until d has
// passed, like a target stalled by a pause.
func (s *Server) Freeze(d time.Duration) {
	s.frozenUntil.Store(time.Now().Add(d).UnixNano())
}

// Arrivals returns the arrival times of the requests received so far, in
// order (empty unless the server was started with RecordArrivals).
func (s *Server) Arrivals() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.arrivals...)
}

// Last returns the last request received.
func (s *Server) Last() Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Close stops the server and its connections; it may be called more than
// once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.release) })
	s.srv.CloseClientConnections()
	s.srv.Close()
}
