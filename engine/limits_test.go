package engine_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TestNewRefusesWhatItCannotSchedule: New refuses every number beyond what
// the engine can schedule, naming the option and the limit, before any
// memory is reserved for it (a max-inflight of 2^63-1 panicked in
// makeslice, 2^32 ran out of memory).
func TestNewRefusesWhatItCannotSchedule(t *testing.T) {
	t.Parallel()
	const ok = "http://127.0.0.1:1/"
	stage := func(d time.Duration, r float64) engine.Option {
		return engine.Stages([]engine.Stage{{Duration: time.Second, Rate: 10}, {Duration: d, Rate: r}})
	}
	for _, tc := range []struct {
		name string
		opts []engine.Option
		want string // in the error
	}{
		{"rate NaN", []engine.Option{engine.Rate(math.NaN())}, "rate NaN: must be a finite number"},
		{"rate +Inf", []engine.Option{engine.Rate(math.Inf(1))}, "rate +Inf: must be a finite number"},
		{"rate -Inf", []engine.Option{engine.Rate(math.Inf(-1))}, "rate -Inf: must be a finite number"},
		{"rate negative", []engine.Option{engine.Rate(-0.5)}, "rate -0.5: must not be negative"},
		{"rate beyond MaxRate", []engine.Option{engine.Rate(engine.MaxRate + 1)}, "rate 1.0000001e+07: at most 10000000 requests per second"},
		{"rate 1e12", []engine.Option{engine.Rate(1e12)}, "at most 10000000"},
		{"stage rate NaN", []engine.Option{stage(time.Second, math.NaN())}, "stage 2 rate NaN: must be a finite number"},
		{"stage rate Inf", []engine.Option{stage(time.Second, math.Inf(1))}, "stage 2 rate +Inf: must be a finite number"},
		{"stage rate negative", []engine.Option{stage(time.Second, -1)}, "stage 2 rate -1: must not be negative"},
		{"stage rate 1e12", []engine.Option{stage(time.Second, 1e12)}, "stage 2 rate 1e+12: at most 10000000"},
		{"stage duration zero", []engine.Option{stage(0, 10)}, "stage 2 duration 0s: must be positive"},
		{"stage duration negative", []engine.Option{stage(-time.Second, 10)}, "stage 2 duration -1s: must be positive"},
		{"stages overflow", []engine.Option{engine.Stages([]engine.Stage{
			{Duration: math.MaxInt64, Rate: 1}, {Duration: math.MaxInt64, Rate: 1}})}, "the stages last more than"},
		{"concurrency", []engine.Option{engine.Concurrency(100_000_000)}, "concurrency 100000000: at most 100000 connections"},
		{"max inflight 2^63-1", []engine.Option{engine.Rate(1), engine.MaxInflight(math.MaxInt64)}, "max-inflight 9223372036854775807: at most 1000000"},
		{"max inflight 2^32", []engine.Option{engine.Rate(1), engine.MaxInflight(1 << 32)}, "max-inflight 4294967296: at most 1000000"},
		{"timeout", []engine.Option{engine.Rate(1), engine.Timeout(2562047 * time.Hour)}, "timeout 2562047h0m0s: at most 10m0s"},
		{"drain negative", []engine.Option{engine.Rate(1), engine.Drain(-time.Second)}, "drain -1s: must not be negative"},
		{"duration overflowing", []engine.Option{engine.Rate(1), engine.Duration(math.MaxInt64)}, "duration 2562047h47m16.854775807s: at most"},
	} {
		e, err := engine.New(engine.Target{URL: ok}, tc.opts...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: engine %v, error %v; want one containing %q", tc.name, e != nil, err, tc.want)
		}
	}
	// At the limits themselves the engine is built.
	for _, opts := range [][]engine.Option{
		{engine.Rate(engine.MaxRate), engine.MaxInflight(engine.MaxInflightLimit), engine.Timeout(engine.MaxTimeout)},
		{engine.Stages([]engine.Stage{{Duration: time.Second, Rate: engine.MaxRate}})},
		{engine.Concurrency(engine.MaxConcurrency)},
	} {
		if _, err := engine.New(engine.Target{URL: ok}, opts...); err != nil {
			t.Errorf("at the limits: %v", err)
		}
	}
	// Every problem at once.
	_, err := engine.New(engine.Target{URL: ok}, engine.Rate(math.NaN()), engine.MaxInflight(1<<32),
		engine.Timeout(time.Hour), engine.Drain(-1))
	if err == nil || strings.Count(err.Error(), "\n") != 3 {
		t.Errorf("four problems reported as %q, want four lines", err)
	}
}

// TestSetRateRefusesBeyondMaxRate: a running engine's rate is bounded as
// New bounds it.
func TestSetRateRefusesBeyondMaxRate(t *testing.T) {
	t.Parallel()
	e, err := engine.New(engine.Target{URL: "http://127.0.0.1:1/"}, engine.Rate(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetRate(1e12); err == nil || !strings.Contains(err.Error(), "at most 10000000") {
		t.Errorf("SetRate(1e12): %v, want the limit named", err)
	}
	if err := e.SetRate(engine.MaxRate); err != nil {
		t.Errorf("SetRate(MaxRate): %v", err)
	}
}

// TestParseStagesSaysWhatIsWrong: a stage's rate is refused with the reason
// (1e309 parses as +Inf: "a number >= 0" was the wrong reason).
func TestParseStagesSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	for plan, want := range map[string]string{
		"1s:1e309":     `stage "1s:1e309": rate must be a finite number`,
		"1s:NaN":       `stage "1s:NaN": rate must be a finite number`,
		"1s:Inf":       `stage "1s:Inf": rate must be a finite number`,
		"1s:-1":        `stage "1s:-1": rate must not be negative`,
		"1s:1e12":      `stage "1s:1e12": rate at most 10000000 requests per second`,
		"1s:fast":      `stage "1s:fast": rate must be a number, such as 100`,
		"1s:10,0s:5":   `stage "0s:5": duration must be positive`,
		"1s:10,1s:1e7": "",
	} {
		_, err := engine.ParseStages(plan)
		if (want == "" && err != nil) || (want != "" && (err == nil || !strings.Contains(err.Error(), want))) {
			t.Errorf("ParseStages(%q): %v, want %q", plan, err, want)
		}
	}
}
