package fleet

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// CheckAddr returns what is wrong with addr as an address to listen on,
// or nil: HOST:PORT, the port a number 0..65535 (0 picks a free one), the
// host empty (every interface), an IP address or a host name.
func CheckAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen %q: want HOST:PORT such as 127.0.0.1:8080, [::1]:0 or :8080", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || strings.TrimLeft(port, "0123456789") != "" {
		return fmt.Errorf("listen %q: port %q: want a number 0..65535", addr, port)
	}
	if host == "" || net.ParseIP(host) != nil || isHostName(host) {
		return nil
	}
	return fmt.Errorf("listen %q: host %q is neither an IP address nor a host name", addr, host)
}

// isHostName reports h a host name: dot-separated labels of ASCII letters,
// digits and inner hyphens, 253 characters at most.
func isHostName(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
