package engine_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
)

// mix answers 70% 200, 20% 404 and 10% 503, in a fixed cycle.
var mix = []int{200, 404, 200, 200, 503, 200, 404, 200, 200, 200}

// wantMix is how many of n requests get each code of the cycle.
func wantMix(n uint64) map[int]uint64 {
	m := map[int]uint64{}
	for i := uint64(0); i < n; i++ {
		m[mix[i%uint64(len(mix))]]++
	}
	return m
}

func TestStatusMixCountsAreExact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []engine.Option
		want uint64 // 0: not known in advance
	}{
		{"open", []engine.Option{engine.Rate(400), engine.Duration(time.Second)}, 400},
		{"open-no-keepalive", []engine.Option{engine.Rate(200), engine.Duration(500 * time.Millisecond), engine.KeepAlive(false)}, 100},
		{"closed", []engine.Option{engine.Concurrency(8), engine.Duration(500 * time.Millisecond)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := enginetest.NewServer(t, enginetest.Statuses(mix...))
			res, _ := runLoad(t, srv.URL, tc.opts...)
			tot := res.Total
			checkTotals(t, tot)
			if tc.want > 0 {
				checkSent(t, tot, tc.want)
			}
			if tot.Requests == 0 {
				t.Fatal("no requests")
			}
			if tot.Requests != srv.Total() {
				t.Errorf("engine counted %d requests, server answered %d", tot.Requests, srv.Total())
			}
			for code, n := range srv.ServedAll() {
				if tot.Status[code] != n {
					t.Errorf("status %d: engine counted %d, server served %d", code, tot.Status[code], n)
				}
			}
			for code, n := range wantMix(tot.Requests) {
				if tot.Status[code] != n {
					t.Errorf("status %d: %d, want %d of %d in the mix's proportions", code, tot.Status[code], n, tot.Requests)
				}
			}
			if e := tot.TotalErrors(); e != 0 {
				t.Errorf("errors = %v, want none", tot.Errors)
			}
			sum := engine.Summarize(tot, res.Window.Seconds())
			wantAvail := float64(tot.Requests-tot.Status[503]) / float64(tot.Requests)
			if sum.Availability != wantAvail {
				t.Errorf("availability = %v, want %v", sum.Availability, wantAvail)
			}
		})
	}
}

func TestKeepAliveReusesConnections(t *testing.T) {
	t.Parallel()
	timing(t, func() (problems []string) {
		on := enginetest.NewServer(t)
		defer on.Close()
		res, _ := runLoad(t, on.URL, engine.Rate(200), engine.Duration(500*time.Millisecond))
		checkSent(t, res.Total, 100)
		if res.Total.Requests != on.Total() {
			t.Fatalf("requests = %d, served %d", res.Total.Requests, on.Total())
		}
		// Connections are opened only when every open one is busy, which
		// a stalled machine can cause now and then.
		if c := on.Conns(); c > 50 {
			problems = append(problems, fmt.Sprintf("keep-alive: %d connections for 100 requests at 200/s to a fast server", c))
		}
		return problems
	})

	off := enginetest.NewServer(t)
	res, _ := runLoad(t, off.URL, engine.Rate(200), engine.Duration(500*time.Millisecond), engine.KeepAlive(false))
	checkSent(t, res.Total, 100)
	if res.Total.Status[200] != res.Total.Requests || off.Total() != res.Total.Requests {
		t.Fatalf("no keep-alive: status = %v of %d, server answered %d", res.Total.Status, res.Total.Requests, off.Total())
	}
	if c := off.Conns(); c != res.Total.Requests {
		t.Errorf("no keep-alive: %d connections for %d requests, want one each", c, res.Total.Requests)
	}
}

// TestIdleCloseIsNotAnError runs slower than the server's keep-alive idle
// timeout, so every pooled connection has been closed by the server when
// the next request comes: the requests must go out on new connections and
// be answered, not counted as resets the server never saw.
func TestIdleCloseIsNotAnError(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.IdleTimeout(50*time.Millisecond))
	res, _ := runLoad(t, srv.URL, engine.Rate(5), engine.Duration(2*time.Second))
	tot := res.Total
	checkTotals(t, tot)
	checkSent(t, tot, 10)
	if tot.Status[200] != tot.Requests || srv.Total() != tot.Requests {
		t.Errorf("requests %d status %v errors %v, server answered %d; want every request answered 200", tot.Requests, tot.Status, tot.Errors, srv.Total())
	}
	if srv.Conns() < 5 {
		t.Errorf("%d connections: the server's idle timeout did not close them, the test proves nothing", srv.Conns())
	}
}

func TestRefusedIsCountedNotFatal(t *testing.T) {
	t.Parallel()
	url := enginetest.ClosedURL(t)
	res, _ := runLoad(t, url, engine.Rate(100), engine.Duration(500*time.Millisecond))
	tot := res.Total
	checkTotals(t, tot)
	checkSent(t, tot, 50)
	if tot.Requests == 0 || tot.ErrorCount(engine.ErrRefused) != tot.Requests {
		t.Errorf("requests = %d, errors = %v, want all refused", tot.Requests, tot.Errors)
	}
	sum := engine.Summarize(tot, res.Window.Seconds())
	if sum.Errors["refused"] != tot.Requests || sum.Availability != 0 || len(sum.Status) != 0 {
		t.Errorf("summary errors %v status %v availability %v, want all refused, no status, availability 0",
			sum.Errors, sum.Status, sum.Availability)
	}
}

// TestResetIsCountedOnceEach checks that a connection reset is its own
// outcome and is never retried: the server reads each request exactly once.
func TestResetIsCountedOnceEach(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{true, false} {
		srv := enginetest.NewResetServer(t)
		res, _ := runLoad(t, srv.URL, engine.Rate(100), engine.Duration(500*time.Millisecond), engine.KeepAlive(keep))
		tot := res.Total
		checkTotals(t, tot)
		checkSent(t, tot, 50)
		if tot.Requests == 0 || tot.ErrorCount(engine.ErrReset) != tot.Requests {
			t.Errorf("keep-alive %v: requests = %d, errors = %v, want all reset", keep, tot.Requests, tot.Errors)
		}
		eventually(t, 5*time.Second, "server to have read every request", func() bool { return srv.Requests() >= tot.Requests })
		if srv.Requests() != tot.Requests {
			t.Errorf("keep-alive %v: server read %d requests, engine counted %d: retries?", keep, srv.Requests(), tot.Requests)
		}
	}
}

// TestServerErrorsAreNotRetried checks that 5xx answers are outcomes, not
// reasons to resend: the server serves each request once.
func TestServerErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Statuses(500))
	res, _ := runLoad(t, srv.URL, engine.Rate(100), engine.Duration(500*time.Millisecond))
	tot := res.Total
	checkSent(t, tot, 50)
	if tot.Requests == 0 || tot.Status[500] != tot.Requests || srv.Served(500) != tot.Requests {
		t.Errorf("engine status %v (requests %d), server served %d × 500; want one each", tot.Status, tot.Requests, srv.Served(500))
	}
	if a := engine.Summarize(tot, res.Window.Seconds()).Availability; a != 0 {
		t.Errorf("availability = %v with only 500s, want 0", a)
	}
}

func TestTimeoutOnServerThatNeverAnswers(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewHangServer(t)
	timeout := 300 * time.Millisecond
	res, took := runLoad(t, srv.URL, engine.Rate(20), engine.Duration(500*time.Millisecond), engine.Timeout(timeout))
	tot := res.Total
	checkTotals(t, tot)
	checkSent(t, tot, 10)
	if tot.Requests == 0 || tot.ErrorCount(engine.ErrTimeout) != tot.Requests {
		t.Errorf("requests = %d, errors = %v, want all timeouts", tot.Requests, tot.Errors)
	}
	if took > 500*time.Millisecond+timeout+3*time.Second {
		t.Errorf("run took %s: in-flight requests must end at the timeout (%s)", took, timeout)
	}
	if min := time.Duration(tot.Service.Min()) * time.Microsecond; min < timeout-10*time.Millisecond {
		t.Errorf("shortest timed-out request took %s, want about the timeout %s", min, timeout)
	}
	eventually(t, 5*time.Second, "server to have read every request", func() bool { return srv.Requests() >= tot.Requests })
	if srv.Requests() != tot.Requests {
		t.Errorf("server read %d requests, engine counted %d: retries?", srv.Requests(), tot.Requests)
	}
}

// allocatedBy runs 2 requests against a server with opts and returns the
// result and the bytes the process allocated meanwhile.
func allocatedBy(t *testing.T, opts ...enginetest.Option) (*engine.Result, uint64) {
	t.Helper()
	srv := enginetest.NewServer(t, opts...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, _ := runLoad(t, srv.URL, engine.Rate(2), engine.Duration(time.Second))
	runtime.ReadMemStats(&after)
	return res, after.TotalAlloc - before.TotalAlloc
}

// TestLargeBodyIsStreamed sends two 50 MB answers and checks they are counted
// as 200s with every byte, while the memory allocated stays far below the
// body size: compared with the same run with one-byte bodies (the engine's
// own histograms), reading 100 MB must not cost more than a few MB.
func TestLargeBodyIsStreamed(t *testing.T) {
	// Not parallel: it measures the process's allocations.
	const size = 50 << 20
	_, base := allocatedBy(t, enginetest.BodySize(1))
	for _, tc := range []struct {
		name string
		opts []enginetest.Option
	}{
		{"content-length", []enginetest.Option{enginetest.BodySize(size)}},
		{"chunked", []enginetest.Option{enginetest.BodySize(size), enginetest.Chunked()}},
	} {
		res, alloc := allocatedBy(t, tc.opts...)
		tot := res.Total
		checkSent(t, tot, 2)
		if tot.Requests == 0 || tot.Status[200] != tot.Requests {
			t.Fatalf("%s: status %v errors %v, want 200s", tc.name, tot.Status, tot.Errors)
		}
		if tot.BytesIn != tot.Requests*size {
			t.Errorf("%s: bytes in = %d, want %d × %d", tc.name, tot.BytesIn, tot.Requests, size)
		}
		extra := int64(alloc) - int64(base)
		t.Logf("%s: allocated %.1f MB to read %d MB, %.1f MB more than with 1-byte bodies", tc.name,
			float64(alloc)/(1<<20), 2*size>>20, float64(extra)/(1<<20))
		if extra > size/10 {
			t.Errorf("%s: reading two %d-byte bodies allocated %d bytes more than tiny ones: bodies must be streamed and discarded",
				tc.name, size, extra)
		}
	}
}

// TestBodyStallEndsAtTimeout: a server that sends the headers and then stops
// in the middle of the body must not hold the run beyond the timeout.
func TestBodyStallEndsAtTimeout(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		_, _ = w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // until the client gives up or the server closes
	}))
	t.Cleanup(srv.Close)
	timeout := 300 * time.Millisecond
	res, took := runLoad(t, srv.URL, engine.Rate(10), engine.Duration(200*time.Millisecond), engine.Timeout(timeout))
	tot := res.Total
	checkTotals(t, tot)
	checkSent(t, tot, 2)
	if tot.Requests == 0 || tot.ErrorCount(engine.ErrTimeout) != tot.Requests || tot.BytesIn != 1000*tot.Requests {
		t.Errorf("status %v errors %v bytes in %d, want timeouts after 1000 bytes each", tot.Status, tot.Errors, tot.BytesIn)
	}
	if took > 200*time.Millisecond+timeout+3*time.Second {
		t.Errorf("run took %s with a %s timeout", took, timeout)
	}
}

func TestRequestCarriesMethodHeadersAndBody(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t)
	target := engine.Target{
		URL:    srv.URL + "/some/path?q=1",
		Method: "post",
		Headers: []engine.Header{
			{Name: "X-Scalelab-Test", Value: "yes"},
			{Name: "Host", Value: "service.test"},
		},
		Body: []byte("hello"),
	}
	res, _ := runTarget(t, target, engine.Rate(40), engine.Duration(250*time.Millisecond))
	checkSent(t, res.Total, 10)
	if res.Total.Requests == 0 || res.Total.Status[200] != res.Total.Requests {
		t.Fatalf("status = %v, want 200s", res.Total.Status)
	}
	if res.Total.BytesOut != 5*res.Total.Requests {
		t.Errorf("bytes out = %d, want 5 per request", res.Total.BytesOut)
	}
	got := srv.Last()
	if got.Method != "POST" || got.Path != "/some/path" || got.Host != "service.test" ||
		got.Header.Get("X-Scalelab-Test") != "yes" || string(got.Body) != "hello" {
		t.Errorf("server saw %s %s host %q header %q body %q", got.Method, got.Path, got.Host,
			got.Header.Get("X-Scalelab-Test"), got.Body)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") {
		t.Fatalf("TLS test server at %s, want loopback", srv.URL)
	}
	res, _ := runLoad(t, srv.URL, engine.Rate(40), engine.Duration(250*time.Millisecond))
	checkSent(t, res.Total, 10)
	if n := res.Total.ErrorCount(engine.ErrTLS); n == 0 || n != res.Total.Requests {
		t.Errorf("untrusted certificate: errors %v status %v, want all tls", res.Total.Errors, res.Total.Status)
	}
	res, _ = runLoad(t, srv.URL, engine.Rate(40), engine.Duration(250*time.Millisecond), engine.Insecure(true))
	checkSent(t, res.Total, 10)
	if res.Total.Requests == 0 || res.Total.Status[200] != res.Total.Requests {
		t.Errorf("insecure: status %v errors %v, want 200s", res.Total.Status, res.Total.Errors)
	}
}

// TestServerConnectionClose: a server that closes every connection after
// its answer (Connection: close) gets every request answered on a new
// connection, none counted as an error.
func TestServerConnectionClose(t *testing.T) {
	t.Parallel()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Connection", "close")
		_, _ = io.WriteString(w, "bye\n")
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	res, _ := runLoad(t, srv.URL, engine.Rate(100), engine.Duration(500*time.Millisecond))
	tot := res.Total
	checkTotals(t, tot)
	checkSent(t, tot, 50)
	if tot.Requests == 0 || tot.Status[200] != tot.Requests || tot.BytesIn != 4*tot.Requests {
		t.Errorf("status %v errors %v bytes in %d, want 200s of 4 bytes", tot.Status, tot.Errors, tot.BytesIn)
	}
	if n := uint64(conns.Load()); n != tot.Requests {
		t.Errorf("%d connections for %d requests, want one each", n, tot.Requests)
	}
}

// TestHeadReadsNoBody: answers to HEAD announce a body they do not carry;
// the engine must neither wait for it nor drop the connection.
func TestHeadReadsNoBody(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.BodySize(1000))
	res, _ := runTarget(t, engine.Target{URL: srv.URL, Method: "HEAD"},
		engine.Concurrency(1), engine.Duration(300*time.Millisecond), engine.Timeout(2*time.Second))
	tot := res.Total
	checkTotals(t, tot)
	if tot.Requests == 0 || tot.Status[200] != tot.Requests || srv.Total() != tot.Requests || tot.BytesIn != 0 {
		t.Errorf("status %v errors %v bytes in %d, server answered %d: want 200s without bodies", tot.Status, tot.Errors, tot.BytesIn, srv.Total())
	}
	if srv.Conns() != 1 {
		t.Errorf("%d connections for %d HEAD requests in a row, want one kept alive", srv.Conns(), tot.Requests)
	}
}
