package engine

import (
	"math"
	"strings"
	"testing"
	"time"
)

// dues returns the intended send times (seconds) of every request due
// before end, checking that they never go backwards.
func dues(t *testing.T, sc *schedule, from uint64, end float64) []float64 {
	t.Helper()
	var out []float64
	prev := math.Inf(-1)
	for k := from; ; k++ {
		at := sc.at(k)
		if at >= end {
			return out
		}
		if at < prev {
			t.Fatalf("request %d due at %.9f, before request %d at %.9f", k, at, k-1, prev)
		}
		prev = at
		out = append(out, at)
	}
}

// between counts the times in [from, to).
func between(ts []float64, from, to float64) int {
	n := 0
	for _, x := range ts {
		if x >= from && x < to {
			n++
		}
	}
	return n
}

func TestScheduleConstantRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rate, window float64
		want         int
	}{
		{100, 1, 100},
		{1000, 2.5, 2500},
		{3, 1, 3},
		{0.5, 10, 5},
		{1e6, 0.01, 10000},
	} {
		sc := newSchedule(tc.rate, nil)
		got := dues(t, sc, 0, tc.window)
		if len(got) != tc.want {
			t.Errorf("rate %g over %gs: %d requests, want %d", tc.rate, tc.window, len(got), tc.want)
		}
		if len(got) > 1 {
			if gap := got[1] - got[0]; math.Abs(gap-1/tc.rate) > 1e-9 {
				t.Errorf("rate %g: gap %g s, want %g", tc.rate, gap, 1/tc.rate)
			}
		}
	}
	if at := newSchedule(0, nil).at(0); !math.IsInf(at, 1) {
		t.Errorf("rate 0: first request due at %g, want never", at)
	}
}

func TestScheduleLinearRamps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		plan string
		// want counts requests per [from, to) interval in seconds.
		want []struct {
			from, to float64
			n        int
		}
	}{
		{"2s:1000", []struct {
			from, to float64
			n        int
		}{{0, 2, 1000}, {0, 1, 250}, {1, 2, 750}}},
		{"1s:100,1s:100,1s:0", []struct {
			from, to float64
			n        int
		}{{0, 3, 200}, {0, 1, 50}, {1, 2, 100}, {2, 3, 50}}},
		{"1s:1000,2s:200", []struct {
			from, to float64
			n        int
		}{{0, 1, 500}, {1, 3, 1200}}},
		{"1s:0,1s:0", []struct {
			from, to float64
			n        int
		}{{0, 2, 0}}},
	} {
		st, err := ParseStages(tc.plan)
		if err != nil {
			t.Fatalf("ParseStages(%q): %v", tc.plan, err)
		}
		end := StagesDuration(st).Seconds()
		got := dues(t, newSchedule(0, st), 0, end)
		for _, w := range tc.want {
			if n := between(got, w.from, w.to); abs(n-w.n) > 1 {
				t.Errorf("%s: %d requests in [%g, %g), want %d ± 1", tc.plan, n, w.from, w.to, w.n)
			}
		}
	}
}

func abs(n int) int { return max(n, -n) }

func TestScheduleRateAt(t *testing.T) {
	t.Parallel()
	st, _ := ParseStages("2s:1000,1s:1000,2s:0")
	sc := newSchedule(0, st)
	for _, tc := range []struct{ t, want float64 }{
		{0, 0}, {1, 500}, {2, 1000}, {2.5, 1000}, {4, 500}, {5, 0}, {9, 0},
	} {
		if got := sc.rateAt(tc.t); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("rate at %gs = %g, want %g", tc.t, got, tc.want)
		}
	}
}

// TestScheduleSetRateContinuity changes the rate the way the sender does,
// between calls to at, and checks that no request is skipped or doubled:
// the count up to any time is the integral of the rate.
func TestScheduleSetRateContinuity(t *testing.T) {
	t.Parallel()
	sc := newSchedule(100, nil)
	sent := dues(t, sc, 0, 0.5) // 0 .. 0.5 s at 100/s
	if len(sent) != 50 {
		t.Fatalf("%d requests in the first 0.5 s at 100/s, want 50", len(sent))
	}
	sc.setRate(0.5, 1000)
	next := uint64(len(sent))
	more := dues(t, sc, next, 1.0)
	if len(more) != 500 {
		t.Errorf("%d requests in 0.5 s at 1000/s, want 500", len(more))
	}
	if more[0] < 0.5 || more[0] > 0.5+1.0/1000 {
		t.Errorf("first request after the change due at %g, want within one gap of 0.5 s", more[0])
	}

	// Pause: nothing is due until the rate comes back, then it resumes from
	// the resume time with no burst of the paused requests.
	next += uint64(len(more))
	sc.setRate(1.0, 0)
	if at := sc.at(next); !math.IsInf(at, 1) {
		t.Fatalf("paused: request due at %g, want never", at)
	}
	sc.setRate(3.0, 10)
	resumed := dues(t, sc, next, 4.0)
	if len(resumed) != 10 || resumed[0] < 3.0 {
		t.Errorf("after resuming at 3 s at 10/s: %d requests from %v, want 10 from 3 s", len(resumed), resumed[:min(len(resumed), 1)])
	}
}

// TestScheduleSetRateMidRamp cuts a stage plan short: the ramp's count so far
// is kept and the new constant rate holds from the change on.
func TestScheduleSetRateMidRamp(t *testing.T) {
	t.Parallel()
	st, _ := ParseStages("2s:1000,2s:0")
	sc := newSchedule(0, st)
	before := dues(t, sc, 0, 1.0) // 250 requests in the ramp's first second
	sc.setRate(1.0, 500)
	after := dues(t, sc, uint64(len(before)), 3.0)
	if abs(len(before)-250) > 1 || abs(len(after)-1000) > 1 {
		t.Errorf("ramp then 500/s: %d then %d requests, want 250 then 1000", len(before), len(after))
	}
	if r := sc.rateAt(2.5); r != 500 {
		t.Errorf("rate after the change = %g, want 500 (the plan's ramps end)", r)
	}
}

// TestScheduleSetRateBehindTheSender changes the rate at a time before the
// request the sender is looking at (the sender computes the next due time
// ahead of the clock): the schedule goes back to the change's segment.
func TestScheduleSetRateBehindTheSender(t *testing.T) {
	t.Parallel()
	st, _ := ParseStages("1s:100,1s:100")
	sc := newSchedule(0, st)
	sent := dues(t, sc, 0, 0.9)
	next := uint64(len(sent))
	_ = sc.at(next + 200) // the sender never skips ahead, but the cursor may have moved on
	sc.setRate(0.9, 1000)
	got := sc.at(next)
	if got < 0.9 || got > 0.9+1.0/1000 {
		t.Errorf("next request due at %g after a change at 0.9 s to 1000/s, want within 1 ms of 0.9 s", got)
	}
}

func TestParseStages(t *testing.T) {
	t.Parallel()
	st, err := ParseStages("10s:100, 30s:5000,10s:0,500ms:2.5")
	if err != nil {
		t.Fatal(err)
	}
	want := []Stage{{10 * time.Second, 100}, {30 * time.Second, 5000}, {10 * time.Second, 0}, {500 * time.Millisecond, 2.5}}
	if len(st) != len(want) {
		t.Fatalf("got %v, want %v", st, want)
	}
	for i := range want {
		if st[i] != want[i] {
			t.Errorf("stage %d = %v, want %v", i, st[i], want[i])
		}
	}
	if d := StagesDuration(st); d != 50500*time.Millisecond {
		t.Errorf("duration %s, want 50.5s", d)
	}

	for _, bad := range []string{
		"", "10s", "10s:", ":100", "x:100", "10:100", "0s:100", "-1s:100",
		"10s:-1", "10s:abc", "10s:NaN", "10s:Inf", "10s:100,", "10s:100,,5s:0",
	} {
		_, err := ParseStages(bad)
		if err == nil {
			t.Errorf("ParseStages(%q): no error", bad)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "stage ") {
			t.Errorf("ParseStages(%q) error %q, want one line naming the stage", bad, msg)
		}
	}
}
