//go:build k8se2e

package e2e

import (
	"fmt"
	"net"
	"sync"
)

// addrPool hands out pod addresses in podNet (10.244.0.10 to .254) to the
// kubelets of all tests. It goes round the range, so an address just freed
// is the last to be given again: a test whose endpoints still list a pod
// that ended does not meet another test's pod there.
type addrPool struct {
	mu    sync.Mutex
	used  map[string]bool
	next  int // the host part to try first
	first int
	last  int
}

// newAddrPool returns a pool of podNet's addresses from .10 to .254.
func newAddrPool() *addrPool {
	return &addrPool{used: map[string]bool{}, next: 10, first: 10, last: 254}
}

// take returns a free address.
func (p *addrPool) take() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range p.last - p.first + 1 {
		host := p.next
		p.next++
		if p.next > p.last {
			p.next = p.first
		}
		ip := net.IPv4(10, 244, 0, byte(host)).String()
		if !p.used[ip] {
			p.used[ip] = true
			return ip, nil
		}
	}
	return "", fmt.Errorf("no free pod address in %s", podNet)
}

// put gives ip back.
func (p *addrPool) put(ip string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.used, ip)
}
