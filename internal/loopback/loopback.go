// Package loopback says whether a listen address stays on this machine:
// what scalelab listens on defaults to loopback, and each command that
// can listen elsewhere asks for it by name.
package loopback

import (
	"net"
	"strconv"
)

// Host reports whether host (an address's host part) is a loopback one:
// "localhost", or an IP address in 127.0.0.0/8 or ::1.
func Host(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Addr reports whether the HOST:PORT addr is on a loopback host, and
// names its host as a message does: quoted, or "every interface" for an
// empty one.
func Addr(addr string) (ok bool, where string) {
	host, _, _ := net.SplitHostPort(addr)
	if Host(host) {
		return true, ""
	}
	if host == "" {
		return false, "every interface"
	}
	return false, strconv.Quote(host)
}
