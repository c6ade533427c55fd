package fleet

import (
	"net"
	"strings"
	"testing"
)

// TestFleetServesOnIPv6Loopback starts a fleet on [::1] and sends it
// requests with net/http: the replicas listen on the same host, and the
// balancer, its checks and the liveness checks reach them there.
func TestFleetServesOnIPv6Loopback(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		ln.Close()
	}
	f, _ := startFleet(t, Replicas(2), Listen("[::1]:0"))
	if !strings.HasPrefix(f.URL(), "http://[::1]:") {
		t.Fatalf("URL %s, want one on [::1]", f.URL())
	}
	for _, r := range f.State().Replicas {
		if host, _, _ := net.SplitHostPort(r.Address); host != "::1" {
			t.Errorf("replica %s listens on %s, want [::1] as the balancer", r.Name, r.Address)
		}
	}
	c := newClient()
	seen := map[string]bool{}
	for range 20 {
		code, h, _ := get(t, c, f.URL())
		if code != 200 {
			t.Fatalf("GET %s: %d, want 200", f.URL(), code)
		}
		seen[h.Get(HeaderReplica)] = true
	}
	if len(seen) != 2 {
		t.Fatalf("answers from %v, want both replicas", seen)
	}
}

// TestBalancerReachesIPv6Backends checks that a backend on [::1] passes
// its readiness check and takes traffic.
func TestBalancerReachesIPv6Backends(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		ln.Close()
	}
	b, changes := startBalancer(t)
	r, err := NewReplica(Name("six"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start("[::1]:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Kill)
	if err := b.Add("six", r.Addr()); err != nil {
		t.Fatal(err)
	}
	if ch := nextChange(t, changes); !ch.Up {
		t.Fatalf("backend on %s: %+v, want it up", r.Addr(), ch)
	}
	if code, h, _ := get(t, newClient(), b.URL()); code != 200 || h.Get(HeaderReplica) != "six" {
		t.Fatalf("GET through the balancer: %d %v", code, h)
	}
}

func TestFleetRefusesANonLoopbackListenAddress(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", ":0", "192.0.2.1:0", "example.com:80", "127.0.0.1"} {
		if _, err := New(Listen(addr)); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("Listen(%q): %v, want a refusal naming loopback", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "127.0.0.2:0", "[::1]:0", "localhost:0"} {
		if _, err := New(Listen(addr)); err != nil {
			t.Errorf("Listen(%q): %v", addr, err)
		}
	}
}

// TestCheckAddr checks the listen addresses a replica (scalelab target)
// accepts: any interface, by IP or host name, and a port 0..65535; and that
// the fleet refuses a loopback address with a bad port before it starts.
func TestCheckAddr(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8080", ":8080", "0.0.0.0:0", "[::1]:0", "[::]:65535", "localhost:80", "target.default.svc:8080"} {
		if err := CheckAddr(addr); err != nil {
			t.Errorf("CheckAddr(%q): %v", addr, err)
		}
	}
	for _, addr := range []string{"garbage", "", ":", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:http",
		"127.0.0.1:NaN", "127.0.0.1:1e3", "127.0.0.1:99999999999999999999", "bad host:80", "h\x01:80", "hé:80", "-a:80", "[::1:80", "127.0.0.1:80\x00"} {
		if err := CheckAddr(addr); err == nil {
			t.Errorf("CheckAddr(%q): no error", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:99999", "127.0.0.1:abc", "[::1]:-1"} {
		if _, err := New(Listen(addr)); err == nil || !strings.Contains(err.Error(), "port") {
			t.Errorf("New(Listen(%q)): %v, want a refusal naming the port", addr, err)
		}
	}
}
