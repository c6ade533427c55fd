package engine

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"
)

// staleAfter is how long a connection must have been idle before a request
// is written on it only after checking that the server has not closed it.
// Busy connections skip the check, which costs a system call.
const staleAfter = time.Millisecond

// maxStaleRetries bounds the attempts of one request when it meets
// connections the server closed while idle. Nothing is sent on those, so
// the bound only guards against a loop; each attempt is also bounded by the
// request's timeout.
const maxStaleRetries = 1 << 16

// errStaleConn is the write error on a connection the server closed while
// it was idle in the pool. The request was not sent; the client retries it
// on another connection.
var errStaleConn = fmt.Errorf("connection closed by the server while idle: %w", net.ErrClosed)

// isStaleConn is the client's retry rule: retry only requests that were
// never sent because their connection had gone stale.
func isStaleConn(err error) bool { return errors.Is(err, errStaleConn) }

// idleCheckConn is a client connection that, before writing on a connection
// left idle for staleAfter or more, checks that the server has not closed it
// meanwhile (a keep-alive timeout, a graceful shutdown). A request written
// on such a connection fails without reaching the server and would be
// counted as a reset the server never saw; instead the write fails with
// errStaleConn before anything is sent. This is the case Go's net/http
// retries too.
type idleCheckConn struct {
	net.Conn
	probe  func() (closed bool)
	lastIO time.Time
	wrote  bool // the last call was a Write
}

// newIdleCheckConn wraps c when the platform can check it, else returns c.
func newIdleCheckConn(c net.Conn) net.Conn {
	probe := closedProbe(c)
	if probe == nil {
		return c
	}
	return &idleCheckConn{Conn: c, probe: probe, lastIO: time.Now()}
}

func (c *idleCheckConn) Write(b []byte) (int, error) {
	now := time.Now()
	if now.Sub(c.lastIO) >= staleAfter && c.probe() {
		return 0, errStaleConn
	}
	c.lastIO = now
	c.wrote = true
	return c.Conn.Write(b)
}

func (c *idleCheckConn) Read(b []byte) (int, error) {
	if c.wrote {
		// Let the other workers run first: the answer is rarely there right
		// after the request, and a read that finds nothing costs a system
		// call and a trip through the poller (measured: 2.0 reads per
		// request become 1.4, and 23% less CPU per request).
		c.wrote = false
		runtime.Gosched()
	}
	n, err := c.Conn.Read(b)
	c.lastIO = time.Now()
	return n, err
}
