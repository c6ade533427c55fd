package engine_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
)

func TestNewRejectsBadInput(t *testing.T) {
	t.Parallel()
	const ok = "http://127.0.0.1:1/"
	stages := []engine.Stage{{Duration: time.Second, Rate: 10}}
	for _, tc := range []struct {
		name string
		url  string
		opts []engine.Option
		want string // in the error
	}{
		{"no model", ok, nil, "no load model"},
		{"rate and concurrency", ok, []engine.Option{engine.Rate(10), engine.Concurrency(2)}, "not both"},
		{"negative rate", ok, []engine.Option{engine.Rate(-1)}, "must not be negative"},
		{"negative concurrency", ok, []engine.Option{engine.Concurrency(-1)}, "must not be negative"},
		{"stages and duration", ok, []engine.Option{engine.Stages(stages), engine.Duration(time.Second)}, "drop the duration"},
		{"stages and rate", ok, []engine.Option{engine.Stages(stages), engine.Rate(5)}, "drop the rate"},
		{"negative duration", ok, []engine.Option{engine.Rate(1), engine.Duration(-time.Second)}, "must not be negative"},
		{"zero timeout", ok, []engine.Option{engine.Rate(1), engine.Timeout(0)}, "must be positive"},
		{"zero max inflight", ok, []engine.Option{engine.Rate(1), engine.MaxInflight(0)}, "must be positive"},
		{"tick too short", ok, []engine.Option{engine.Rate(1), engine.Tick(10 * time.Millisecond)}, "at least"},
		{"ftp scheme", "ftp://127.0.0.1/", []engine.Option{engine.Rate(1)}, "scheme"},
		{"malformed url", "http://[::1", []engine.Option{engine.Rate(1)}, "malformed"},
		{"no host", "http:///path", []engine.Option{engine.Rate(1)}, "no host"},
		{"bad port", "http://127.0.0.1:99999/", []engine.Option{engine.Rate(1)}, "port"},
		{"balance without a set", ok, []engine.Option{engine.Rate(1), engine.Balance(nil)}, "no endpoint set"},
	} {
		_, err := engine.New(engine.Target{URL: tc.url}, tc.opts...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// Every problem is named at once.
	_, err := engine.New(engine.Target{URL: ok}, engine.Rate(-1), engine.Timeout(0), engine.MaxInflight(-3))
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("three problems reported as %q, want three lines", err)
	}
}

func TestParseHeader(t *testing.T) {
	t.Parallel()
	h, err := engine.ParseHeader("  X-Thing :  a: b ")
	if err != nil || h.Name != "X-Thing" || h.Value != "a: b" {
		t.Errorf("ParseHeader = %+v, %v", h, err)
	}
	for _, bad := range []string{"no colon", ": value", "Bad Name: v", ""} {
		if _, err := engine.ParseHeader(bad); err == nil {
			t.Errorf("ParseHeader(%q): no error", bad)
		}
	}
}

func TestWrongModelAndBadValues(t *testing.T) {
	t.Parallel()
	open, err := engine.New(engine.Target{URL: "http://127.0.0.1:1/"}, engine.Rate(1))
	if err != nil {
		t.Fatal(err)
	}
	closed, err := engine.New(engine.Target{URL: "http://127.0.0.1:1/"}, engine.Concurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := closed.SetRate(10); !errors.Is(err, engine.ErrWrongModel) {
		t.Errorf("SetRate on closed loop: %v, want ErrWrongModel", err)
	}
	if err := open.SetConcurrency(10); !errors.Is(err, engine.ErrWrongModel) {
		t.Errorf("SetConcurrency on open loop: %v, want ErrWrongModel", err)
	}
	for _, r := range []float64{-1, math.NaN(), math.Inf(1)} {
		if err := open.SetRate(r); err == nil {
			t.Errorf("SetRate(%g): no error", r)
		}
	}
	if err := closed.SetConcurrency(-1); err == nil {
		t.Error("SetConcurrency(-1): no error")
	}
	if open.Closed() || !closed.Closed() {
		t.Error("Closed() reports the wrong model")
	}
	if closed.TargetRate() != 0 || open.Concurrency() != 0 || closed.Concurrency() != 1 {
		t.Errorf("gauges: closed target rate %g, open concurrency %d, closed concurrency %d",
			closed.TargetRate(), open.Concurrency(), closed.Concurrency())
	}
}

func TestRunOnlyOnce(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t)
	e, err := engine.New(engine.Target{URL: srv.URL}, engine.Rate(10), engine.Duration(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(context.Background()); err == nil {
		t.Error("second Run: no error")
	}
	if srv.Total() != 1 {
		t.Errorf("server answered %d, want 1 request (10/s for 100 ms)", srv.Total())
	}
}
