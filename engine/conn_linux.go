package engine

import (
	"io"
	"syscall"
)

// rawIO reports that the raw socket steps below are available.
const rawIO = true

// writeRead writes the pending request and waits for the answer inside one
// raw read, so the read happens only once the socket is readable: a plain
// Write and Read would try the read at once, find nothing (the server has
// not answered yet) and pay a system call for it. Writing inside the raw
// read, after it has reset the socket's readiness, also means that no
// readiness event can be missed.
func (c *wconn) writeRead(p []byte) (int, error) {
	c.buf, c.n, c.err, c.blocked = p, 0, nil, false
	err := c.rc.Read(c.readStep)
	c.buf = nil
	if err != nil {
		c.pending = nil
		return 0, err
	}
	if c.blocked {
		rest := c.pending
		c.pending = nil
		if _, err := c.nc.Write(rest); err != nil {
			return 0, err
		}
		return c.nc.Read(p)
	}
	return c.n, c.err
}

// writeReadStep is writeRead's step on the socket: write what is pending,
// then read once readable. It returns false to wait for readability.
func (c *wconn) writeReadStep(fd uintptr) bool {
	for len(c.pending) > 0 {
		m, err := syscall.Write(int(fd), c.pending)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			c.blocked = true // the send buffer is full: writeRead writes the rest
			return true
		case err != nil:
			c.pending, c.err = nil, err
			return true
		}
		c.pending = c.pending[m:]
		if len(c.pending) == 0 {
			c.pending = nil
			return false // wait until the answer is readable
		}
	}
	m, err := syscall.Read(int(fd), c.buf)
	if err == syscall.EAGAIN || err == syscall.EINTR {
		return false
	}
	c.n, c.err = max(m, 0), err
	if m == 0 && err == nil {
		c.err = io.EOF
	}
	return true
}

// peerClosed reports whether the peer closed the connection or sent
// something unasked, by peeking at the socket without blocking.
func (c *wconn) peerClosed() bool {
	if c.rc == nil {
		return false
	}
	c.gone = false
	if err := c.rc.Read(c.peekStep); err != nil {
		return true
	}
	return c.gone
}

// peekClosedStep is peerClosed's step on the socket.
func (c *wconn) peekClosedStep(fd uintptr) bool {
	n, _, err := syscall.Recvfrom(int(fd), c.peekBuf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	switch {
	case err == syscall.EAGAIN || err == syscall.EINTR:
	case err != nil, n >= 0: // an error, the peer's FIN (n == 0), or unasked bytes
		c.gone = true
	}
	return true
}
