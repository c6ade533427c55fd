package engine_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TestRetryGoesElsewhere: under Balance a retry leaves the endpoint its
// attempt failed on. One of two endpoints answers every request 503; the
// four connections start spread over both, so the first attempts of two
// fail there, and with one retry each the run loses nothing (a retry on
// the same connection failed again: those requests were lost); every
// request reached the good endpoint once.
func TestRetryGoesElsewhere(t *testing.T) {
	t.Parallel()
	good := newVersionServer(t, "v1")
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(engine.VersionHeader, "v1")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(bad.Close)
	eps := engine.NewEndpoints(engine.Endpoint{Addr: good.addr, Version: "v1"},
		engine.Endpoint{Addr: strings.TrimPrefix(bad.URL, "http://"), Version: "v1"})
	res, _ := runTarget(t, engine.Target{URL: balancedURL}, engine.Concurrency(4), engine.Duration(500*time.Millisecond),
		engine.Balance(eps), engine.Retries(engine.RetryPolicy{Max: 1, Initial: time.Millisecond, Budget: 1}))
	s := res.Total
	checkRetryTotals(t, s)
	if s.Retries < 2 || s.Status[http.StatusServiceUnavailable] != s.Retries {
		t.Fatalf("%d requests, %d retries, status %v: want the bad endpoint's first attempts retried, each after a 503",
			s.EffectiveRequests, s.Retries, s.Status)
	}
	if s.EffectiveFailed != 0 || s.RetriesBudgetExhausted != 0 {
		t.Errorf("effective: %d of %d failed (budget exhausted %d), want none: every retry to the other endpoint",
			s.EffectiveFailed, s.EffectiveRequests, s.RetriesBudgetExhausted)
	}
	if got := good.requests.Load(); got != s.EffectiveRequests {
		t.Errorf("the good endpoint answered %d, want every request once (%d)", got, s.EffectiveRequests)
	}
}
