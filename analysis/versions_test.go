package analysis

import (
	"math"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// versioned builds a one-second snapshot at second sec with, for each
// version, its requests (latency lat) and failures among them.
func versioned(sec int, lat map[string]time.Duration, reqs, failed map[string]int) *engine.Snapshot {
	from := time.Duration(sec) * time.Second
	s := engine.NewSnapshot()
	s.Start, s.End = t0.Add(from), t0.Add(from+time.Second)
	s.ByVersion = map[string]*engine.VersionStats{}
	for name, n := range reqs {
		vs := &engine.VersionStats{Requests: uint64(n), Failed: uint64(failed[name]), Latency: engine.NewHistogram()}
		for range n {
			_ = vs.Latency.RecordValue(lat[name].Microseconds())
			_ = s.Latency.RecordValue(lat[name].Microseconds())
		}
		s.Requests += uint64(n)
		s.Status[200] += uint64(n - failed[name])
		s.Status[503] += uint64(failed[name])
		s.ByVersion[name] = vs
	}
	return s
}

// TestVersionsFollowARollout feeds a rollout v1 → v2 second by second and
// checks the window's split: shares, rates, p99 and failures, over the
// last VersionWindow complete seconds only.
func TestVersionsFollowARollout(t *testing.T) {
	h := NewHistory(time.Second, 0)
	lat := map[string]time.Duration{"v1": 2 * time.Millisecond, "v2": 8 * time.Millisecond, "v10": time.Millisecond, engine.OtherVersion: time.Millisecond}
	for sec := range 5 { // v1 alone
		h.Add(versioned(sec, lat, map[string]int{"v1": 100}, nil))
	}
	h.Add(versioned(5, lat, map[string]int{"v1": 100}, nil)) // closes second 4
	if v := h.Versions(); len(v) != 1 || v[0].Name != "v1" || v[0].Share != 1 || v[0].RPS != 100 {
		t.Fatalf("v1 alone: %+v", v)
	}
	// Seconds 6..10: v2 takes 20, 40, 60, 80, 100 of 100; v2 fails 2 a second.
	for i := range 5 {
		n2 := 20 * (i + 1)
		h.Add(versioned(6+i, lat, map[string]int{"v1": 100 - n2, "v2": n2}, map[string]int{"v2": 2}))
	}
	h.Add(versioned(11, lat, map[string]int{"v2": 100}, nil)) // closes second 10
	v := h.Versions()
	if len(v) != 2 || v[0].Name != "v1" || v[1].Name != "v2" {
		t.Fatalf("mid-rollout: %+v", v)
	}
	// Window: seconds 6..10: v1 80+60+40+20+0 = 200, v2 300 of 500.
	if v[0].Requests != 200 || v[1].Requests != 300 || math.Abs(v[1].Share-0.6) > 1e-9 || v[1].RPS != 60 {
		t.Errorf("window counts %+v, want v1 200, v2 300 (60%%, 60/s)", v)
	}
	if v[1].Failed != 10 || v[1].FailedRate != 2 || v[0].Failed != 0 {
		t.Errorf("failures %+v, want v2 10 (2/s)", v)
	}
	if math.Abs(v[0].P99-2) > 0.01 || math.Abs(v[1].P99-8) > 0.01 {
		t.Errorf("p99 %g, %g; want 2 and 8 ms", v[0].P99, v[1].P99)
	}
	// Five more seconds of v2 alone: v1 leaves the window.
	for sec := 12; sec < 17; sec++ {
		h.Add(versioned(sec, lat, map[string]int{"v2": 100}, nil))
	}
	if v := h.Versions(); len(v) != 1 || v[0].Name != "v2" {
		t.Fatalf("after the rollout: %+v", v)
	}
	// Version order: numbers as numbers, other last; a gap empties it.
	h.Add(versioned(17, lat, map[string]int{"v10": 1, engine.OtherVersion: 1, "v2": 1}, nil))
	h.Add(versioned(18, lat, nil, nil))
	if v := h.Versions(); len(v) != 3 || v[0].Name != "v2" || v[1].Name != "v10" || v[2].Name != engine.OtherVersion {
		t.Fatalf("order %+v, want v2, v10, other", v)
	}
	h.Add(versioned(25, lat, map[string]int{"v2": 1}, nil)) // six empty seconds
	if v := h.Versions(); len(v) != 0 {
		t.Fatalf("after a gap: %+v, want none", v)
	}
}
