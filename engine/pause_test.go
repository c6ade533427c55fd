package engine_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// pauseTestServer is a loopback server counting the requests it answered.
func pauseTestServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// waitPauseServed waits until the server answered more than n requests.
func waitPauseServed(t *testing.T, c *atomic.Int64, n int64, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for c.Load() <= n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %d requests after 20s", what, c.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPauseResume(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  engine.Option
	}{
		{"open loop", engine.Rate(200)},
		{"closed loop", engine.Concurrency(2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, served := pauseTestServer(t)
			e, err := engine.New(engine.Target{URL: srv.URL}, tc.opt, engine.Duration(30*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan *engine.Result, 1)
			go func() {
				res, err := e.Run(ctx)
				if err != nil {
					t.Errorf("Run: %v", err)
				}
				done <- res
			}()
			defer func() { cancel(); <-done }()

			waitPauseServed(t, served, 10, "before the pause")
			p, err := e.Pause()
			if err != nil {
				t.Fatalf("Pause: %v", err)
			}
			if e.Closed() && (p.Concurrency != 2 || e.Concurrency() != 0) {
				t.Fatalf("paused closed loop: saved %d, now %d; want 2, 0", p.Concurrency, e.Concurrency())
			}
			if !e.Closed() && (p.Rate != 200 || e.TargetRate() != 0) {
				t.Fatalf("paused open loop: saved %g, now %g; want 200, 0", p.Rate, e.TargetRate())
			}
			// Requests in flight at the pause may still land; after that,
			// nothing: give them a generous moment, then watch a while.
			time.Sleep(time.Second)
			before := served.Load()
			time.Sleep(700 * time.Millisecond)
			if after := served.Load(); after != before {
				t.Fatalf("paused, yet %d requests arrived", after-before)
			}
			if err := e.Resume(p); err != nil {
				t.Fatalf("Resume: %v", err)
			}
			waitPauseServed(t, served, before+10, "after resuming")
			if e.Closed() && e.Concurrency() != 2 {
				t.Fatalf("resumed closed loop at %d connections, want 2", e.Concurrency())
			}
			if !e.Closed() && e.TargetRate() != 200 {
				t.Fatalf("resumed open loop at %g req/s, want 200", e.TargetRate())
			}
		})
	}
}
