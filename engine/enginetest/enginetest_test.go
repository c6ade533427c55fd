package enginetest_test

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine/enginetest"
)

// get sends one GET with a fresh connection and returns the status, the
// body's length and the error.
func get(url string, timeout time.Duration) (int, int, error) {
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, int(n), err
}

func TestServerStatusCycleAndCounts(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Statuses(200, 404, 200, 503), enginetest.RecordArrivals())
	var got []int
	for range 10 {
		code, _, err := get(srv.URL+"/x", time.Second)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, code)
	}
	want := []int{200, 404, 200, 503, 200, 404, 200, 503, 200, 404}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
	if srv.Served(200) != 5 || srv.Served(404) != 3 || srv.Served(503) != 2 || srv.Total() != 10 || srv.Served(-1) != 0 {
		t.Errorf("served %v total %d", srv.ServedAll(), srv.Total())
	}
	if srv.Conns() != 10 || len(srv.Arrivals()) != 10 || srv.Last().Path != "/x" {
		t.Errorf("conns %d arrivals %d last %+v", srv.Conns(), len(srv.Arrivals()), srv.Last())
	}
}

func TestServerBodyDelayFreezeAndConcurrency(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.BodySize(1<<20+7), enginetest.Delay(50*time.Millisecond))
	start := time.Now()
	code, n, err := get(srv.URL, 5*time.Second)
	if err != nil || code != 200 || n != 1<<20+7 {
		t.Fatalf("GET: %d, %d bytes, %v; want 200 with %d bytes", code, n, err, 1<<20+7)
	}
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Errorf("answer after %s, want the 50 ms delay", took)
	}

	srv.Freeze(300 * time.Millisecond)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			if _, _, err := get(srv.URL, 5*time.Second); err != nil {
				t.Error(err)
			}
			if took := time.Since(start); took < 250*time.Millisecond {
				t.Errorf("answer during a 300 ms freeze after %s", took)
			}
		}()
	}
	wg.Wait()
	if srv.MaxActive() != 3 || srv.Active() != 0 {
		t.Errorf("max active %d active %d, want 3 and 0", srv.MaxActive(), srv.Active())
	}
	srv.ResetMaxActive()
	if srv.MaxActive() != 0 {
		t.Errorf("max active after reset %d", srv.MaxActive())
	}
	srv.Close()
	srv.Close() // idempotent
}

func TestRawServers(t *testing.T) {
	t.Parallel()
	reset := enginetest.NewResetServer(t)
	if _, _, err := get(reset.URL, 5*time.Second); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("reset server: %v, want ECONNRESET", err)
	}
	hang := enginetest.NewHangServer(t)
	start := time.Now()
	_, _, err := get(hang.URL, 200*time.Millisecond)
	if err == nil || time.Since(start) < 200*time.Millisecond {
		t.Errorf("hang server: %v after %s, want a timeout", err, time.Since(start))
	}
	if _, _, err := get(enginetest.ClosedURL(t), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("closed port: %v, want ECONNREFUSED", err)
	}
	for _, s := range []*enginetest.RawServer{reset, hang} {
		if s.Requests() != 1 || s.Conns() != 1 {
			t.Errorf("%s: %d requests on %d connections, want 1 and 1", s.URL, s.Requests(), s.Conns())
		}
	}
	hang.Close()
	hang.Close() // idempotent, and closes the held connection
}

func TestHangEveryHoldsEveryNth(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.HangEvery(3))
	var held int
	for i := range 7 {
		code, _, err := get(srv.URL, 300*time.Millisecond)
		switch {
		case (i+1)%3 == 0:
			if err == nil {
				t.Fatalf("request %d answered %d: want it held", i+1, code)
			}
			held++
		case err != nil || code != 200:
			t.Fatalf("request %d: %d, %v: want 200", i+1, code, err)
		}
	}
	if held != 2 || srv.Total() != 5 {
		t.Fatalf("held %d, served %d: want 2 held, 5 served", held, srv.Total())
	}
}
