//go:build !unix

package enginetest

import (
	"net"
	"testing"
)

// ClosedURL returns the URL of a loopback port where nothing listens, so
// every connection attempt is refused.
func ClosedURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("enginetest: listen: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr
}
