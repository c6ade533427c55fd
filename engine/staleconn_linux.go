package engine

import (
	"net"
	"syscall"
)

// closedProbe returns a check that reports whether the peer closed c or
// sent something unasked (which would be misread as the next response), by
// peeking at the socket without blocking; nil when c has no socket.
func closedProbe(c net.Conn) func() bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	var buf [1]byte
	return func() bool {
		closed := false
		err := raw.Read(func(fd uintptr) bool {
			n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			switch {
			case err == syscall.EAGAIN || err == syscall.EINTR:
			case err != nil, n >= 0: // an error, the peer's FIN (n == 0), or unasked bytes
				closed = true
			}
			return true
		})
		return closed || err != nil
	}
}
