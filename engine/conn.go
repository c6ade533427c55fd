package engine

import (
	"crypto/tls"
	"net"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// wconn is a worker's connection, kept alive across the worker's requests
// (one at a time). The worker reads answers through it with its own buffer;
// on plain TCP where the platform allows, the request itself is written by
// the first read of its answer (see writeRead), which saves the system call
// of a read that would find nothing yet.
type wconn struct {
	nc       net.Conn        // nil when closed
	rc       syscall.RawConn // the socket, for checks and writeRead; nil when not available
	plain    bool            // no TLS: writeRead may write the request
	lastUsed time.Duration   // engine offset when its last request ended
	ep       *epState        // Balance: the endpoint it is connected to, else nil
	version  []byte          // Balance: that endpoint's version

	// pending is the request still to write, which the next Read writes
	// before it waits for the answer.
	pending []byte
	// The state of the raw socket steps, kept here so that nothing is
	// allocated per request; the steps are bound once per worker.
	buf      []byte
	n        int
	err      error
	blocked  bool
	gone     bool // peerClosed's verdict
	peekBuf  [1]byte
	readStep func(fd uintptr) bool
	peekStep func(fd uintptr) bool
}

// Read reads the answer, first writing the pending request if there is one.
func (c *wconn) Read(p []byte) (int, error) {
	if c.pending == nil {
		return c.nc.Read(p)
	}
	return c.writeRead(p)
}

// open makes nc the connection, dialled at offset now.
func (c *wconn) open(nc net.Conn, rc syscall.RawConn, plain bool, now time.Duration) {
	c.nc, c.rc, c.plain, c.lastUsed, c.pending = nc, rc, plain, now, nil
	if c.readStep == nil {
		c.readStep, c.peekStep = c.writeReadStep, c.peekClosedStep
	}
}

// close closes the connection, if open.
func (c *wconn) close() {
	if c.nc != nil {
		_ = c.nc.Close()
		c.nc, c.rc, c.pending = nil, nil, nil
	}
}

// stale reports whether the connection, about to be used at offset now,
// must not be: idle too long, or closed by the server meanwhile.
func (c *wconn) stale(now time.Duration) bool {
	idle := now - c.lastUsed
	if idle > idleMax {
		return true
	}
	return idle >= staleAfter && c.peerClosed()
}

// writeInRead reports whether the request can be left to writeRead.
func (c *wconn) writeInRead() bool { return c.plain && c.rc != nil && rawIO }

// dial opens a connection to addr before deadline: TCP, then the TLS
// handshake for https.
func dial(cl *client, addr string, deadline time.Time) (net.Conn, syscall.RawConn, error) {
	timeout := time.Until(deadline)
	if timeout <= 0 {
		return nil, nil, fasthttp.ErrDialTimeout
	}
	// Dual stack: an IPv6 address (or a name with only IPv6 ones) is
	// dialled as such, not filtered out as fasthttp's IPv4 dial does.
	nc, err := cl.dialer.DialDualStackTimeout(addr, timeout)
	if err != nil {
		return nil, nil, err
	}
	rc := rawConn(nc)
	if cl.tls == nil {
		return nc, rc, nil
	}
	tc := tls.Client(nc, cl.tls)
	if err := tc.SetDeadline(deadline); err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	if err := tc.Handshake(); err != nil {
		_ = nc.Close()
		return nil, nil, inPhase(err, errTLS)
	}
	return tc, rc, nil
}

// rawConn returns nc's raw socket when the platform's raw steps can use it.
func rawConn(nc net.Conn) syscall.RawConn {
	if !rawIO {
		return nil
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}
