package enginetest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
)

// RawServer is a loopback TCP server that reads HTTP requests and misbehaves
// in one fixed way instead of answering.
type RawServer struct {
	// URL is the server's base URL, such as http://127.0.0.1:40123.
	URL string

	ln       net.Listener
	onReq    func(c *net.TCPConn) (keep bool)
	requests atomic.Uint64
	conns    atomic.Uint64
	wg       sync.WaitGroup

	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
}

// NewResetServer starts a server that reads each request and then resets
// the connection (TCP RST, through SO_LINGER 0) without answering.
func NewResetServer(t testing.TB) *RawServer {
	t.Helper()
	return newRawServer(t, func(c *net.TCPConn) bool {
		_ = c.SetLinger(0)
		return false
	})
}

// NewHangServer starts a server that reads requests and never answers,
// holding each connection open until the server is closed.
func NewHangServer(t testing.TB) *RawServer {
	t.Helper()
	return newRawServer(t, func(*net.TCPConn) bool { return true })
}

// NewAnswerServer starts a server that reads each request, writes answer
// as it is (a malformed HTTP answer, say) and closes the connection.
func NewAnswerServer(t testing.TB, answer string) *RawServer {
	t.Helper()
	return newRawServer(t, func(c *net.TCPConn) bool {
		_, _ = io.WriteString(c, answer)
		return false
	})
}

func newRawServer(t testing.TB, onReq func(*net.TCPConn) bool) *RawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("enginetest: listen: %v", err)
	}
	s := &RawServer{URL: "http://" + ln.Addr().String(), ln: ln, onReq: onReq, open: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// accept takes connections until the listener closes.
func (s *RawServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		if !s.track(c) {
			_ = c.Close()
			return
		}
		s.conns.Add(1)
		s.wg.Add(1)
		go s.handle(c.(*net.TCPConn))
	}
}

// track records an open connection; it reports false once closed.
func (s *RawServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.open[c] = struct{}{}
	return true
}

// handle reads the requests on one connection.
func (s *RawServer) handle(c *net.TCPConn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.open, c)
		s.mu.Unlock()
		_ = c.Close()
	}()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		s.requests.Add(1)
		if !s.onReq(c) {
			return
		}
	}
}

// Requests is the number of complete requests read.
func (s *RawServer) Requests() uint64 { return s.requests.Load() }

// Conns is the number of connections accepted.
func (s *RawServer) Conns() uint64 { return s.conns.Load() }

// Close stops the server and closes its connections; it may be called more
// than once.
func (s *RawServer) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		_ = s.ln.Close()
		for c := range s.open {
			_ = c.Close()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}
