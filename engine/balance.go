package engine

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Balance makes the engine connect to the endpoints of eps instead of the
// URL's host, as a client-side balancer does; the URL still gives the
// scheme, the path and the Host header (and the TLS server name). Balancing
// is per connection: a worker connects to the endpoint with the fewest of
// the engine's connections. When the set changes, a worker whose endpoint
// left it closes its connection after its current request (never during
// one) and connects anew, and workers on endpoints holding more than their
// share (more than ceil(connections/endpoints)) move to the least loaded
// one at their next request, so that added endpoints get traffic within
// moments under load. With an empty set a request fails at once as
// ErrRefused. Each request's version is its endpoint's (the answer's
// VersionHeader when the endpoint's is empty).
func Balance(eps *Endpoints) Option {
	return func(c *config) { c.endpoints, c.balance = eps, true }
}

// VersionHeader is the response header naming the version of the service
// that answered (the demo service sets it: fleet.HeaderVersion). Without
// Balance, a request's version is this header's value.
const VersionHeader = "X-Scalelab-Version"

// errNoEndpoints is the outcome of a request when the balanced set is
// empty: there is nowhere to connect, which is counted as refused.
var errNoEndpoints = fmt.Errorf("no endpoints to send to: %w", syscall.ECONNREFUSED)

// emptyWait is how long a closed-loop worker waits after a request found
// the set empty, so that it counts a refusal per emptyWait instead of
// spinning; the open loop's schedule paces its requests anyway.
const emptyWait = 10 * time.Millisecond

// dialBackoff is how long an endpoint that refused a connection, or did not
// accept it in time, is passed over by new connections while others remain.
const dialBackoff = 250 * time.Millisecond

// balancer spreads an engine's connections over a changing endpoint set.
type balancer struct {
	eps  *Endpoints
	view atomic.Pointer[epView]

	mu     sync.Mutex
	states map[string]*epState // by address, under mu
}

// epState is one endpoint's share of the engine's connections, kept while
// the endpoint is in the set or holds connections.
type epState struct {
	addr   string
	conns  atomic.Int64
	failed atomic.Int64 // engine offset of its last failed dial, 0 for none
}

// epView is the balancer's view of one generation of the set.
type epView struct {
	gen uint64
	eps []epEntry // sorted by address
}

// epEntry is an endpoint of a view with its version.
type epEntry struct {
	st      *epState
	version []byte // nil when unknown
}

// emptyView is the view of a set never given endpoints (generation 0).
var emptyView = &epView{}

func newBalancer(eps *Endpoints) *balancer {
	b := &balancer{eps: eps, states: map[string]*epState{}}
	b.view.Store(emptyView)
	return b
}

// current returns the view of the set's current generation.
func (b *balancer) current() *epView {
	l := b.eps.load()
	if v := b.view.Load(); v.gen == l.gen {
		return v
	}
	return b.build(l)
}

// build makes the view of l, once per generation.
func (b *balancer) build(l *endpointList) *epView {
	b.mu.Lock()
	defer b.mu.Unlock()
	if v := b.view.Load(); v.gen == l.gen {
		return v
	}
	v := &epView{gen: l.gen, eps: make([]epEntry, len(l.eps))}
	for i, ep := range l.eps {
		st := b.states[ep.Addr]
		if st == nil {
			st = &epState{addr: ep.Addr}
			b.states[ep.Addr] = st
		}
		v.eps[i] = epEntry{st: st}
		if ep.Version != "" {
			v.eps[i].version = []byte(ep.Version)
		}
	}
	for addr, st := range b.states {
		if st.conns.Load() == 0 && v.find(addr) == nil {
			delete(b.states, addr)
		}
	}
	b.view.Store(v)
	return v
}

// find returns the entry of addr, or nil.
func (v *epView) find(addr string) *epEntry {
	i, ok := slices.BinarySearchFunc(v.eps, addr, func(e epEntry, a string) int { return strings.Compare(e.st.addr, a) })
	if !ok {
		return nil
	}
	return &v.eps[i]
}

// share is the most connections an endpoint should hold:
// ceil(connections/endpoints).
func (v *epView) share() int64 {
	var total int64
	for i := range v.eps {
		total += v.eps[i].st.conns.Load()
	}
	n := int64(len(v.eps))
	return (total + n - 1) / n
}

// pick returns the endpoint for a new connection and counts the connection
// on it: the one with the fewest connections, passing over those whose dial
// failed within dialBackoff while others remain, and over avoid (the
// endpoint a retry leaves, nil for none) while it is not the only one;
// ties go to the first from index start on, so that workers spread.
func (v *epView) pick(start int, now time.Duration, avoid *epState) *epEntry {
	if len(v.eps) < 2 {
		avoid = nil
	}
	for attempt := 0; ; attempt++ {
		best, least, bestOK := -1, int64(0), false
		for k := range v.eps {
			i := (start + k) % len(v.eps)
			st := v.eps[i].st
			if st == avoid {
				continue
			}
			ok, n := st.dialable(now), st.conns.Load()
			if best < 0 || (ok && !bestOK) || (ok == bestOK && n < least) {
				best, least, bestOK = i, n, ok
			}
		}
		st := v.eps[best].st
		// Another worker may have picked it meanwhile: look again, a few
		// times, so that concurrent picks spread too.
		if st.conns.CompareAndSwap(least, least+1) {
			return &v.eps[best]
		}
		if attempt >= 8 {
			st.conns.Add(1)
			return &v.eps[best]
		}
	}
}

// dialable reports whether no dial to the endpoint failed within
// dialBackoff of offset now.
func (st *epState) dialable(now time.Duration) bool {
	f := st.failed.Load()
	return f == 0 || now-time.Duration(f) >= dialBackoff
}

// dialFailed notes a failed dial at offset now.
func (st *epState) dialFailed(now time.Duration) { st.failed.Store(int64(max(now, 1))) }
