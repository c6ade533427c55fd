//go:build unix

package enginetest

import (
	"fmt"
	"syscall"
	"testing"
)

// ClosedURL returns the URL of a loopback port where nothing listens, so
// every connection attempt is refused. The port stays bound (without
// listening) until the test ends: no other socket can take it, and the
// kernel cannot pick it as the source port of a connection to itself.
func ClosedURL(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("enginetest: socket: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("enginetest: bind: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("enginetest: getsockname: %v", err)
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		t.Fatalf("enginetest: getsockname: unexpected address %T", sa)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", in4.Port)
}
