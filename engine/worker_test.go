package engine

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestWorkerTakesVersionFromHeader: without Balance, a request's version is
// the answer's VersionHeader, and none when the header is missing.
func TestWorkerTakesVersionFromHeader(t *testing.T) {
	t.Parallel()
	version := "v7"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/versioned" {
			w.Header().Set(VersionHeader, version)
		}
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct{ path, want string }{{"/versioned", version}, {"/", ""}} {
		e, err := New(Target{URL: srv.URL + tc.path}, Concurrency(1), Timeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		e.start = time.Now()
		w := e.newWorker(0)
		w.do(e.since())
		w.hangUp()
		if w.res.status != 200 || string(w.res.version) != tc.want {
			t.Errorf("%s: status %d version %q, want 200 and %q", tc.path, w.res.status, w.res.version, tc.want)
		}
	}
}

// TestWorkerTakesVersionFromEndpoint: with Balance, a request's version is
// its endpoint's, also after the set changes it, and the answer's header
// when the endpoint's is unknown.
func TestWorkerTakesVersionFromEndpoint(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(VersionHeader, "from-header")
	}))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	eps := NewEndpoints(Endpoint{Addr: addr, Version: "v1"})
	e, err := New(Target{URL: "http://service.invalid/"}, Concurrency(1), Balance(eps), Timeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	e.start = time.Now()
	w := e.newWorker(0)
	t.Cleanup(w.hangUp)
	for _, tc := range []struct{ set, want string }{{"v1", "v1"}, {"v2", "v2"}, {"", "from-header"}} {
		eps.Set([]Endpoint{{Addr: addr, Version: tc.set}})
		w.do(e.since())
		if w.res.status != 200 || string(w.res.version) != tc.want {
			t.Errorf("endpoint version %q: status %d version %q, want 200 and %q", tc.set, w.res.status, w.res.version, tc.want)
		}
	}
}
