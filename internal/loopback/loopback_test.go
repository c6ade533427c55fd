package loopback

import "testing"

// TestAddr: loopback hosts, names and IPs of both families, and the
// others named as a message names them.
func TestAddr(t *testing.T) {
	for _, c := range []struct {
		addr  string
		ok    bool
		where string
	}{
		{"127.0.0.1:80", true, ""},
		{"127.9.9.9:0", true, ""},
		{"[::1]:7001", true, ""},
		{"localhost:7001", true, ""},
		{":7001", false, "every interface"},
		{"0.0.0.0:7001", false, `"0.0.0.0"`},
		{"10.0.0.1:7001", false, `"10.0.0.1"`},
		{"example.com:80", false, `"example.com"`},
	} {
		if ok, where := Addr(c.addr); ok != c.ok || where != c.where {
			t.Errorf("Addr(%q) = %v, %q; want %v, %q", c.addr, ok, where, c.ok, c.where)
		}
	}
}
