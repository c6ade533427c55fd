package analysis

import (
	"math"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// snap builds a snapshot over [from, to) after t0 with n requests of
// latency lat, answered with code (0: a timeout instead).
func snap(from, to time.Duration, n int, lat time.Duration, code int) *engine.Snapshot {
	s := engine.NewSnapshot()
	s.Start, s.End = t0.Add(from), t0.Add(to)
	for range n {
		if code == 0 {
			s.Errors[engine.ErrTimeout]++
		} else {
			s.Status[code]++
		}
		s.Requests++
		_ = s.Latency.RecordValue(lat.Microseconds())
	}
	s.TargetRate = 100
	return s
}

func TestColumnsFromSnapshots(t *testing.T) {
	h := NewHistory(time.Second, 0)
	q := 250 * time.Millisecond
	// Second 0: four ticks of 25 requests at 2 ms.
	for i := range 4 {
		h.Add(snap(time.Duration(i)*q, time.Duration(i+1)*q, 25, 2*time.Millisecond, 200))
	}
	// Second 1: 10 requests at 40 ms, 5 of them 503.
	h.Add(snap(4*q, 6*q, 5, 40*time.Millisecond, 200))
	h.Add(snap(6*q, 8*q, 5, 40*time.Millisecond, 503))
	// Second 2 is empty; second 3: 4 timeouts.
	h.Add(snap(8*q, 12*q, 0, 0, 200))
	h.Add(snap(12*q, 14*q, 4, 10*time.Second, 0))

	cols := h.Window(10)
	if len(cols) != 4 {
		t.Fatalf("got %d columns, want 4: %+v", len(cols), cols)
	}
	for i, c := range cols {
		if c.Index != i {
			t.Errorf("column %d has index %d", i, c.Index)
		}
	}
	c0, c1, c2, c3 := cols[0], cols[1], cols[2], cols[3]
	if c0.Requests != 100 || c0.RPS != 100 || c0.Target != 100 {
		t.Errorf("second 0: %d requests at %g/s (target %g), want 100 at 100/s (100)", c0.Requests, c0.RPS, c0.Target)
	}
	if math.Abs(c0.P50-2) > 0.01 || math.Abs(c0.P99-2) > 0.01 {
		t.Errorf("second 0: p50 %g p99 %g, want 2 ms", c0.P50, c0.P99)
	}
	if c1.Requests != 10 || c1.Non2xx != 5 || math.Abs(c1.P90-40) > 0.1 {
		t.Errorf("second 1: %d requests, %g non-2xx/s, p90 %g; want 10, 5, 40", c1.Requests, c1.Non2xx, c1.P90)
	}
	if c2.Requests != 0 || !math.IsNaN(c2.P50) {
		t.Errorf("second 2: %d requests, p50 %g; want 0 and no latency", c2.Requests, c2.P50)
	}
	// The current column covers half a second so far: 4 timeouts are 8/s.
	if c3.Requests != 4 || c3.Errors[engine.ErrTimeout] != 8 || c3.Seconds != 0.5 {
		t.Errorf("second 3: %d requests, %g timeouts/s over %gs; want 4, 8 over 0.5s", c3.Requests, c3.Errors[engine.ErrTimeout], c3.Seconds)
	}
	if h.Requests() != 114 || h.Failed() != 9 {
		t.Errorf("totals: %d requests, %d failed; want 114, 9", h.Requests(), h.Failed())
	}
	if got, want := h.Availability(), 105.0/114; math.Abs(got-want) > 1e-12 {
		t.Errorf("availability %g, want %g", got, want)
	}
	if h.Elapsed() != 3500*time.Millisecond {
		t.Errorf("elapsed %s, want 3.5s", h.Elapsed())
	}
	if got := h.Window(2); len(got) != 2 || got[0].Index != 2 || got[1].Index != 3 {
		t.Errorf("window of 2: %+v, want columns 2 and 3", got)
	}
}

func TestIndexAt(t *testing.T) {
	h := NewHistory(time.Second, 0)
	if h.IndexAt(t0) != 0 {
		t.Fatal("before any snapshot every time is column 0")
	}
	h.Add(snap(0, time.Second, 1, time.Millisecond, 200))
	for _, tc := range []struct {
		at   time.Duration
		want int
	}{{-time.Millisecond, -1}, {0, 0}, {999 * time.Millisecond, 0}, {time.Second, 1}, {90 * time.Second, 90}} {
		if got := h.IndexAt(t0.Add(tc.at)); got != tc.want {
			t.Errorf("IndexAt(+%s) = %d, want %d", tc.at, got, tc.want)
		}
	}
}

func TestKeepsLastColumns(t *testing.T) {
	h := NewHistory(time.Second, 5)
	for i := range 20 {
		d := time.Duration(i) * time.Second
		h.Add(snap(d, d+time.Second, 1, time.Millisecond, 200))
	}
	cols := h.Window(100)
	if len(cols) != 6 { // five kept and the current one
		t.Fatalf("kept %d columns, want 6", len(cols))
	}
	if cols[0].Index != 14 || cols[5].Index != 19 {
		t.Fatalf("kept columns %d..%d, want 14..19", cols[0].Index, cols[5].Index)
	}
	if h.Requests() != 20 {
		t.Fatalf("total %d requests, want 20 (totals keep everything)", h.Requests())
	}
}

// TestWindowFollowsTheCurrentColumn: the current column, computed once per
// snapshot, still changes with every snapshot added to it, and Window(1)
// is that column alone.
func TestWindowFollowsTheCurrentColumn(t *testing.T) {
	h := NewHistory(time.Second, 0)
	if got := h.Window(5); len(got) != 0 {
		t.Fatalf("empty history: %d columns", len(got))
	}
	h.Add(snap(0, time.Second, 10, time.Millisecond, 200))
	h.Add(snap(time.Second, 1500*time.Millisecond, 10, time.Millisecond, 200))
	if got := h.Window(1); len(got) != 1 || got[0].Index != 1 || got[0].Requests != 10 {
		t.Fatalf("Window(1) = %+v, want column 1 with 10 requests", got)
	}
	h.Add(snap(1500*time.Millisecond, 2*time.Second, 30, 50*time.Millisecond, 200))
	got := h.Window(5)
	if len(got) != 2 || got[1].Requests != 40 || got[1].P99 < 40 {
		t.Fatalf("Window(5) = %+v, want column 1 with 40 requests and p99 near 50 ms", got)
	}
	if got[0].Requests != 10 {
		t.Errorf("column 0 has %d requests, want 10", got[0].Requests)
	}
}

// TestFailedColumns: each column counts its failed requests (transport
// errors and 5xx, not 4xx) and says when most of them failed.
func TestFailedColumns(t *testing.T) {
	h := NewHistory(time.Second, 0)
	h.Add(snap(0, time.Second, 10, time.Millisecond, 200))
	h.Add(snap(time.Second, 1500*time.Millisecond, 4, time.Millisecond, 200))
	h.Add(snap(1500*time.Millisecond, 2*time.Second, 6, 10*time.Microsecond, 0)) // timeouts
	h.Add(snap(2*time.Second, 3*time.Second, 5, time.Millisecond, 503))
	h.Add(snap(2*time.Second+500*time.Millisecond, 3*time.Second, 5, time.Millisecond, 404))
	h.Add(snap(3*time.Second, 4*time.Second, 5, time.Millisecond, 502))
	h.Add(snap(3*time.Second+500*time.Millisecond, 4*time.Second, 5, time.Millisecond, 200))
	want := []struct {
		failed uint64
		mostly bool
	}{{0, false}, {6, true}, {5, false}, {5, false}}
	cols := h.Window(10)
	if len(cols) != len(want) {
		t.Fatalf("%d columns, want %d", len(cols), len(want))
	}
	for i, c := range cols {
		if c.Failed != want[i].failed || c.MostlyFailed() != want[i].mostly {
			t.Errorf("column %d: %d failed of %d, mostly failed %v; want %d, %v", i, c.Failed, c.Requests, c.MostlyFailed(), want[i].failed, want[i].mostly)
		}
	}
}
