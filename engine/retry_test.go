package engine_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// everyNth serves 200 but for every nth request it gets, answered code.
func everyNth(t *testing.T, n uint64, code int, stall time.Duration) *httptest.Server {
	t.Helper()
	var k atomic.Uint64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if k.Add(1)%n == 0 {
			if stall > 0 {
				time.Sleep(stall)
			}
			if code != 200 {
				w.WriteHeader(code)
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// checkRetryTotals checks the retries' invariants: every attempt is the
// first of a request or a retry, every request is in Effective once.
func checkRetryTotals(t *testing.T, s *engine.Snapshot) {
	t.Helper()
	checkTotals(t, s)
	if s.Requests != s.EffectiveRequests+s.Retries {
		t.Errorf("attempts %d != requests %d + retries %d", s.Requests, s.EffectiveRequests, s.Retries)
	}
	if got := uint64(s.Effective.TotalCount()); got != s.EffectiveRequests {
		t.Errorf("effective latency holds %d values, want one per request (%d)", got, s.EffectiveRequests)
	}
}

// TestRetriesLiftAvailability: every 10th attempt a 503, two retries:
// raw availability 90%, effective all but none failed, 1.1 attempts per
// request; the open loop's schedule counts requests, not attempts.
func TestRetriesLiftAvailability(t *testing.T) {
	t.Parallel()
	srv := everyNth(t, 10, http.StatusServiceUnavailable, 0)
	res, _ := runLoad(t, srv.URL, engine.Rate(400), engine.Duration(2*time.Second),
		engine.Retries(engine.RetryPolicy{Max: 2, Initial: 5 * time.Millisecond}))
	s := res.Total
	checkRetryTotals(t, s)
	if s.EffectiveRequests+s.Dropped != 800 {
		t.Errorf("requests %d + dropped %d, want the 800 the schedule made due", s.EffectiveRequests, s.Dropped)
	}
	raw := float64(s.Requests-s.Failed()) / float64(s.Requests)
	if !near(raw, 0.9, 0.01) {
		t.Errorf("raw availability %.4f, want about 0.9 (status %v)", raw, s.Status)
	}
	if a := s.EffectiveAvailability(); a < 0.995 {
		t.Errorf("effective availability %.4f, want at least 0.995", a)
	}
	if a := s.Amplification(); !near(a, 1.11, 0.02) {
		t.Errorf("amplification %.4f, want about 1.11 (1 + 1/9)", a)
	}
	if s.RetriesBudgetExhausted != 0 {
		t.Errorf("budget exhausted %d times, want none at 20%%", s.RetriesBudgetExhausted)
	}
}

// TestRetryBudget: with a 5% budget (and a floor below it) retries stay
// within 5% of the requests, and each refused retry is counted.
func TestRetryBudget(t *testing.T) {
	t.Parallel()
	srv := everyNth(t, 10, http.StatusBadGateway, 0)
	res, _ := runLoad(t, srv.URL, engine.Rate(1000), engine.Duration(2*time.Second),
		engine.Retries(engine.RetryPolicy{Max: 2, Initial: time.Millisecond, Budget: 0.05, MinPerSecond: 1}))
	s := res.Total
	checkRetryTotals(t, s)
	if a := s.Amplification(); a > 1.05 {
		t.Errorf("amplification %.4f, want at most 1.05", a)
	}
	if s.RetriesBudgetExhausted == 0 {
		t.Errorf("no retry refused by the budget (%d retries of %d requests)", s.Retries, s.EffectiveRequests)
	}
	if s.EffectiveFailed < s.RetriesBudgetExhausted {
		t.Errorf("%d effective failures, want at least the %d whose retry was refused", s.EffectiveFailed, s.RetriesBudgetExhausted)
	}
	t.Logf("requests %d, retries %d, exhausted %d, effective failed %d", s.EffectiveRequests, s.Retries, s.RetriesBudgetExhausted, s.EffectiveFailed)
}

// TestEffectiveLatencyFromFirstAttempt: every 10th attempt stalls 1 s,
// then 503; its retry is fast, but the request is timed from the first
// attempt's intended send: at least 1 s.
func TestEffectiveLatencyFromFirstAttempt(t *testing.T) {
	t.Parallel()
	srv := everyNth(t, 10, http.StatusServiceUnavailable, time.Second)
	res, _ := runLoad(t, srv.URL, engine.Rate(100), engine.Duration(time.Second),
		engine.Retries(engine.RetryPolicy{Max: 2}))
	s := res.Total
	checkRetryTotals(t, s)
	stalled := s.Status[503]
	if stalled == 0 {
		t.Fatalf("no stalled attempt (status %v)", s.Status)
	}
	slow := uint64(0)
	for _, b := range s.Effective.Distribution() {
		if b.From >= time.Second.Microseconds() {
			slow += uint64(b.Count)
		}
	}
	// A retry may be a 10th attempt too: a request stalls once or twice.
	if slow == 0 || 2*slow < stalled {
		t.Errorf("%d requests took 1 s or more, want one per stalled attempt or two (%d)", slow, stalled)
	}
	if s.Effective.Max() < s.Latency.Max() {
		t.Errorf("slowest request %d µs, faster than its slowest attempt %d µs", s.Effective.Max(), s.Latency.Max())
	}
	if s.EffectiveFailed != 0 {
		t.Errorf("%d requests failed, want their retries to succeed", s.EffectiveFailed)
	}
}

// TestRetryAfter: a 429 with Retry-After 1 is retried after a second
// when 429 is retried; past MaxBackoff it is not retried.
func TestRetryAfter(t *testing.T) {
	t.Parallel()
	var k atomic.Uint64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if k.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	t.Cleanup(srv.Close)
	on, err := engine.ParseRetryOn("429")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		max     time.Duration
		retries uint64
	}{{"honoured", time.Second, 1}, {"too long", 500 * time.Millisecond, 0}} {
		k.Store(0)
		res, _ := runLoad(t, srv.URL, engine.Concurrency(1), engine.Duration(50*time.Millisecond),
			engine.Retries(engine.RetryPolicy{Max: 1, On: on, Initial: time.Millisecond, MaxBackoff: tc.max}))
		s := res.Total
		checkRetryTotals(t, s)
		if s.Retries != tc.retries {
			t.Errorf("%s: %d retries, want %d", tc.name, s.Retries, tc.retries)
		}
		if tc.retries == 1 && s.Effective.Max() < time.Second.Microseconds() {
			t.Errorf("%s: slowest request %d µs, want the Retry-After's second at least", tc.name, s.Effective.Max())
		}
	}
}

// TestRetriesOffNoEffective: without retries nothing effective is
// counted.
func TestRetriesOffNoEffective(t *testing.T) {
	t.Parallel()
	srv := everyNth(t, 10, http.StatusServiceUnavailable, 0)
	res, _ := runLoad(t, srv.URL, engine.Concurrency(2), engine.Duration(100*time.Millisecond))
	s := res.Total
	if s.EffectiveRequests != 0 || s.Retries != 0 || (s.Effective != nil && s.Effective.TotalCount() != 0) {
		t.Errorf("effective figures without retries: %d requests, %d retries", s.EffectiveRequests, s.Retries)
	}
}

// TestParseRetryOn is the list's items and its bad input.
func TestParseRetryOn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		list   string
		status int
		class  engine.ErrorClass
		want   bool
		bad    bool
	}{
		{list: "5xx", status: 500, want: true},
		{list: "5xx", status: 429},
		{list: "429,reset", status: 429, want: true},
		{list: "429,reset", class: engine.ErrReset, want: true},
		{list: "429,reset", class: engine.ErrTimeout},
		{list: "4xx", status: 404, want: true},
		{list: "503", status: 502},
		{list: "200", bad: true},
		{list: "bogus", bad: true},
		{list: "5xx,", bad: true},
	} {
		on, err := engine.ParseRetryOn(tc.list)
		if (err != nil) != tc.bad {
			t.Errorf("%q: error %v, want bad %v", tc.list, err, tc.bad)
			continue
		}
		if !tc.bad && on.Retries(tc.status, tc.class) != tc.want {
			t.Errorf("%q retries %d/%s: %v, want %v", tc.list, tc.status, tc.class, !tc.want, tc.want)
		}
	}
	def := engine.DefaultRetryOn()
	for _, c := range []int{502, 503, 504} {
		if !def.Retries(c, 0) {
			t.Errorf("default does not retry %d", c)
		}
	}
	if def.Retries(500, 0) || def.Retries(0, engine.ErrDNS) || !def.Retries(0, engine.ErrRefused) {
		t.Error("default retries 500 or dns, or not refused")
	}
}

// TestRetryPolicyBad: New names a bad policy.
func TestRetryPolicyBad(t *testing.T) {
	t.Parallel()
	for _, p := range []engine.RetryPolicy{{Max: 11}, {Max: -1}, {Max: 1, Budget: -0.1}, {Max: 1, Multiplier: 0.5},
		{Max: 1, Initial: 2 * time.Second, MaxBackoff: time.Second}} {
		if _, err := engine.New(engine.Target{URL: "http://127.0.0.1:1/"}, engine.Rate(1), engine.Retries(p)); err == nil {
			t.Errorf("policy %+v accepted", p)
		}
	}
}

// TestRetryFiguresMergeAndCopy: the effective figures add in Merge and
// MergePacked, and CopyFrom copies them exactly.
func TestRetryFiguresMergeAndCopy(t *testing.T) {
	t.Parallel()
	tick := func(reqs, failed, retries, exhausted uint64, us int64) *engine.Snapshot {
		s := engine.NewSnapshot()
		s.Requests, s.Status = reqs+retries, map[int]uint64{200: reqs + retries}
		s.EffectiveRequests, s.EffectiveFailed, s.Retries, s.RetriesBudgetExhausted = reqs, failed, retries, exhausted
		s.Effective = engine.NewHistogram()
		for i := uint64(0); i < reqs; i++ {
			_ = s.Effective.RecordValue(us)
		}
		return s
	}
	a, b := tick(10, 1, 2, 1, 1000), tick(20, 3, 4, 0, 5000)
	var p engine.Packed
	p.Pack(b)
	for name, merge := range map[string]func(s, o *engine.Snapshot){
		"Merge":       func(s, o *engine.Snapshot) { s.Merge(o) },
		"MergePacked": func(s, o *engine.Snapshot) { s.MergePacked(o, &p) },
	} {
		s := a.Clone()
		merge(s, b)
		if s.EffectiveRequests != 30 || s.EffectiveFailed != 4 || s.Retries != 6 || s.RetriesBudgetExhausted != 1 ||
			s.Effective.TotalCount() != 30 || s.Effective.Max() < 5000 {
			t.Errorf("%s: requests %d failed %d retries %d exhausted %d effective %d", name, s.EffectiveRequests,
				s.EffectiveFailed, s.Retries, s.RetriesBudgetExhausted, s.Effective.TotalCount())
		}
		if got := s.Amplification(); got != 36.0/30 {
			t.Errorf("%s: amplification %g, want 1.2", name, got)
		}
		c := engine.NewSnapshot()
		c.CopyFrom(s)
		if c.EffectiveRequests != s.EffectiveRequests || c.Retries != s.Retries || !c.Effective.Equals(s.Effective) {
			t.Errorf("%s: the copy differs", name)
		}
	}
}
