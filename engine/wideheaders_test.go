package engine_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TestWideHeadersAreRead: answers whose headers take 12 KB, more than a
// worker's read buffer and less than the 16 KB an answer's headers may
// take, are read (in a buffer of their own) as any other, in the open
// and the closed loop, on kept-alive connections: every request a 200,
// a few connections carrying them all.
func TestWideHeadersAreRead(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("a", 12<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Big", big)
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	for name, load := range map[string]engine.Option{"open loop": engine.Rate(400), "closed loop": engine.Concurrency(4)} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, _ := runLoad(t, srv.URL, load, engine.Duration(500*time.Millisecond), engine.Timeout(2*time.Second))
			s := res.Total
			checkTotals(t, s)
			if s.Requests < 50 || s.Status[200] != s.Requests || s.Failed() != 0 {
				t.Fatalf("requests %d, status %v, errors %v: want every one a 200", s.Requests, s.Status, s.Errors)
			}
			if s.ConnectionsOpened == 0 || s.ConnectionsOpened*5 > s.Requests {
				t.Errorf("%d connections for %d requests: want a few, kept alive", s.ConnectionsOpened, s.Requests)
			}
			if s.BytesIn < s.Requests*2 {
				t.Errorf("bytes in %d for %d requests of a 2-byte body", s.BytesIn, s.Requests)
			}
		})
	}
}
