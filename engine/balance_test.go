package engine_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// versionServer is a loopback server answering 200 with its own version
// in engine.VersionHeader, counting requests and open connections.
type versionServer struct {
	srv      *httptest.Server
	addr     string
	version  string
	requests atomic.Uint64
	open     atomic.Int64
	conns    atomic.Uint64
}

func newVersionServer(t *testing.T, version string) *versionServer {
	t.Helper()
	s := &versionServer{version: version}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.requests.Add(1)
		w.Header().Set(engine.VersionHeader, s.version)
	}))
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.conns.Add(1)
			s.open.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.open.Add(-1)
		}
	}
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	s.addr = strings.TrimPrefix(s.srv.URL, "http://")
	return s
}

// versionServers starts n servers answering v1, v2, ...
func versionServers(t *testing.T, n int) []*versionServer {
	t.Helper()
	out := make([]*versionServer, n)
	for i := range out {
		out[i] = newVersionServer(t, fmt.Sprintf("v%d", i+1))
	}
	return out
}

// endpointsOf lists the servers as endpoints, each with its version.
func endpointsOf(srvs ...*versionServer) []engine.Endpoint {
	eps := make([]engine.Endpoint, len(srvs))
	for i, s := range srvs {
		eps[i] = engine.Endpoint{Addr: s.addr, Version: s.version}
	}
	return eps
}

// balancedURL is a target URL whose host cannot be resolved: a request that
// reaches a server went to an endpoint, not to the URL's host.
const balancedURL = "http://service.invalid/"

// startBalanced runs a closed-loop engine with conc workers over eps in
// the background until the returned stop is called, which returns the
// run's result.
func startBalanced(t *testing.T, eps *engine.Endpoints, conc int) func() *engine.Result {
	t.Helper()
	e, err := engine.New(engine.Target{URL: balancedURL}, engine.Concurrency(conc), engine.Balance(eps), engine.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *engine.Result, 1)
	go func() {
		res, _ := runEngineBounded(t, ctx, e)
		done <- res
	}()
	return func() *engine.Result {
		cancel()
		return <-done
	}
}

// counts returns each server's request count.
func counts(srvs []*versionServer) []uint64 {
	out := make([]uint64, len(srvs))
	for i, s := range srvs {
		out[i] = s.requests.Load()
	}
	return out
}

// checkFair fails t unless each server's share of the requests between
// before and after is within tol of an even share.
func checkFair(t *testing.T, what string, before, after []uint64, tol float64) {
	t.Helper()
	var total uint64
	for i := range after {
		total += after[i] - before[i]
	}
	if total == 0 {
		t.Fatalf("%s: no requests", what)
	}
	even := float64(total) / float64(len(after))
	for i := range after {
		if got := float64(after[i] - before[i]); !near(got, even, tol) {
			t.Errorf("%s: server %d answered %.0f of %d requests, want about %.0f (each: %v → %v)", what, i+1, got, total, even, before, after)
		}
	}
}

// checkAnswered fails t unless every request of res got a 200 and the
// servers answered exactly as many.
func checkAnswered(t *testing.T, res *engine.Result, srvs []*versionServer) {
	t.Helper()
	tot := res.Total
	checkTotals(t, tot)
	var served uint64
	for _, n := range counts(srvs) {
		served += n
	}
	if tot.Requests == 0 || tot.Status[200] != tot.Requests || served != tot.Requests {
		t.Errorf("engine: %d requests, status %v, errors %v; servers answered %d: want every request answered once",
			tot.Requests, tot.Status, tot.Errors, served)
	}
}

func TestBalanceSpreadsEvenly(t *testing.T) {
	t.Parallel()
	srvs := versionServers(t, 4)
	stop := startBalanced(t, engine.NewEndpoints(endpointsOf(srvs...)...), 8)
	time.Sleep(time.Second)
	res := stop()
	checkAnswered(t, res, srvs)
	checkFair(t, "c8 over 4 endpoints", make([]uint64, 4), counts(srvs), 0.4)
	for i, s := range srvs {
		if n := s.conns.Load(); n != 2 {
			t.Errorf("server %d: %d connections, want 2 of the 8", i+1, n)
		}
	}
}

// TestBalanceRemovalDrains removes an endpoint that keeps serving (it
// drains): its traffic moves to the others without a single failure, each
// worker finishing the request it had there, and its connections close.
func TestBalanceRemovalDrains(t *testing.T) {
	t.Parallel()
	srvs := versionServers(t, 3)
	eps := engine.NewEndpoints(endpointsOf(srvs...)...)
	const conc = 6
	stop := startBalanced(t, eps, conc)
	eventually(t, 5*time.Second, "the removed server to get traffic first", func() bool { return srvs[2].requests.Load() > 50 })
	before := srvs[2].requests.Load()
	eps.Set(endpointsOf(srvs[:2]...))
	eventually(t, 5*time.Second, "the removed server's connections to close", func() bool { return srvs[2].open.Load() == 0 })
	mid := counts(srvs)
	time.Sleep(300 * time.Millisecond)
	res := stop()
	checkAnswered(t, res, srvs)
	if after := srvs[2].requests.Load(); after-before > conc {
		t.Errorf("removed server answered %d requests after its removal, want at most the %d in flight then", after-before, conc)
	}
	checkFair(t, "after the removal", mid[:2], counts(srvs)[:2], 0.4)
}

// TestBalanceScaleUp adds endpoints under load: workers on the old ones
// move until each holds its share, and the new ones get traffic at once.
func TestBalanceScaleUp(t *testing.T) {
	t.Parallel()
	srvs := versionServers(t, 4)
	eps := engine.NewEndpoints(endpointsOf(srvs[:2]...)...)
	stop := startBalanced(t, eps, 8)
	eventually(t, 5*time.Second, "traffic", func() bool { return srvs[0].requests.Load() > 50 })
	eps.Set(endpointsOf(srvs...))
	added := time.Now()
	eventually(t, 5*time.Second, "the added servers to get traffic", func() bool {
		return srvs[2].requests.Load() > 0 && srvs[3].requests.Load() > 0
	})
	if took := time.Since(added); took > time.Second {
		t.Errorf("added endpoints got traffic after %s, want within a second", took)
	}
	eventually(t, 5*time.Second, "the connections to even out", func() bool {
		for _, s := range srvs {
			if s.open.Load() != 2 {
				return false
			}
		}
		return true
	})
	before := counts(srvs)
	time.Sleep(500 * time.Millisecond)
	after := counts(srvs)
	res := stop()
	checkAnswered(t, res, srvs)
	checkFair(t, "after the scale-up", before, after, 0.4)
}

// TestBalanceEmptySetRefuses: with no endpoint, each request fails at once
// as refused; the closed loop does not spin on it, and requests flow again
// once endpoints come.
func TestBalanceEmptySetRefuses(t *testing.T) {
	t.Parallel()
	eps := engine.NewEndpoints()
	res, _ := runLoad(t, balancedURL, engine.Rate(100), engine.Duration(500*time.Millisecond), engine.Balance(eps))
	checkTotals(t, res.Total)
	checkSent(t, res.Total, 50)
	if tot := res.Total; tot.Requests == 0 || tot.ErrorCount(engine.ErrRefused) != tot.Requests {
		t.Errorf("open loop, empty set: requests %d errors %v, want all refused", tot.Requests, tot.Errors)
	}

	srv := newVersionServer(t, "v1")
	stop := startBalanced(t, eps, 2)
	time.Sleep(300 * time.Millisecond)
	eps.Set(endpointsOf(srv))
	eventually(t, 5*time.Second, "requests to flow once an endpoint comes", func() bool { return srv.requests.Load() > 10 })
	res = stop()
	tot := res.Total
	checkTotals(t, tot)
	refused := tot.ErrorCount(engine.ErrRefused)
	// 2 workers waiting 10 ms after each refusal make about 60 in 300 ms;
	// a spinning loop would make hundreds of thousands.
	if refused == 0 || refused > 1000 {
		t.Errorf("closed loop, empty set for 300 ms: %d refused, want some, and not a spinning loop's", refused)
	}
	if tot.Status[200] != srv.requests.Load() || tot.Requests != tot.Status[200]+refused {
		t.Errorf("status %v errors %v, server answered %d", tot.Status, tot.Errors, srv.requests.Load())
	}
}

// TestBalanceKeepsURLHostAndScheme: with Balance the request still carries
// the URL's host and path, and https still means TLS to the endpoint.
func TestBalanceKeepsURLHostAndScheme(t *testing.T) {
	t.Parallel()
	var host, path atomic.Value
	srv := httptest.NewTLSServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		host.Store(r.Host)
		path.Store(r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	eps := engine.NewEndpoints(engine.Endpoint{Addr: strings.TrimPrefix(srv.URL, "https://")})
	res, _ := runLoad(t, "https://service.invalid:8443/some/path", engine.Rate(40), engine.Duration(250*time.Millisecond),
		engine.Balance(eps), engine.Insecure(true))
	checkSent(t, res.Total, 10)
	if res.Total.Requests == 0 || res.Total.Status[200] != res.Total.Requests {
		t.Fatalf("status %v errors %v, want 200s", res.Total.Status, res.Total.Errors)
	}
	if host.Load() != "service.invalid:8443" || path.Load() != "/some/path" {
		t.Errorf("server saw host %v path %v, want the URL's", host.Load(), path.Load())
	}
}
