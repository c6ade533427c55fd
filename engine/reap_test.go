package engine_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TestOpenLoopReapsAfterAStall: a target that stalls every answer for
// 200 ms makes the open loop open a connection for each request due
// meanwhile; once it answers at once again, the connections left idle
// are closed within seconds, down to a small reserve.
func TestOpenLoopReapsAfterAStall(t *testing.T) {
	t.Parallel()
	var open atomic.Int64
	var stallUntil atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		if d := time.Until(time.Unix(0, stallUntil.Load())); d > 0 {
			time.Sleep(d)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	e, err := engine.New(engine.Target{URL: srv.URL}, engine.Rate(1000), engine.Duration(8*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _, _ = e.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	time.Sleep(500 * time.Millisecond)
	stallUntil.Store(time.Now().Add(200 * time.Millisecond).UnixNano())
	time.Sleep(300 * time.Millisecond)
	peak := open.Load()
	if peak < 50 {
		t.Fatalf("%d connections after a 200 ms stall at 1,000 req/s, want about 200", peak)
	}
	deadline := time.Now().Add(5 * time.Second)
	for open.Load() > 40 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := open.Load(); n > 40 {
		t.Fatalf("%d of the %d connections the stall opened still open 5 s after it, want at most 40", n, peak)
	}
}
