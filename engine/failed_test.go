package engine_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
)

// checkLatencySplit checks that FailedLatency holds one value per failed
// request, OKLatency one per other request, and that together they are
// Latency exactly.
func checkLatencySplit(t *testing.T, s *engine.Snapshot) (ok, failed *hdrhistogram.Histogram) {
	t.Helper()
	ok, failed = s.OKLatency(), s.FailedLatency
	if got := uint64(failed.TotalCount()); got != s.Failed() {
		t.Errorf("failed latency holds %d values, want one per failed request (%d)", got, s.Failed())
	}
	if got := uint64(ok.TotalCount()); got != s.Requests-s.Failed() {
		t.Errorf("ok latency holds %d values, want %d", got, s.Requests-s.Failed())
	}
	both := ok.Clone()
	both.Merge(failed)
	if !both.Equals(s.Latency) {
		t.Error("ok and failed latency together differ from the latency of all requests")
	}
	return ok, failed
}

// TestLatencyOfFailuresApart: slow successes and fast 503s are timed
// apart, so the failures' speed does not pass for the service's.
func TestLatencyOfFailuresApart(t *testing.T) {
	t.Parallel()
	const slow = 30 * time.Millisecond
	var n atomic.Uint64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		time.Sleep(slow)
	}))
	t.Cleanup(srv.Close)
	res, _ := runLoad(t, srv.URL, engine.Concurrency(4), engine.Duration(400*time.Millisecond), engine.Tick(100*time.Millisecond))
	s := res.Total
	checkTotals(t, s)
	if s.Status[503] == 0 || s.Status[200] == 0 {
		t.Fatalf("status %v: want both 200 and 503", s.Status)
	}
	ok, failed := checkLatencySplit(t, s)
	if us := ok.Min(); us < slow.Microseconds() {
		t.Errorf("ok latency min %d µs, want at least the %s the successes took", us, slow)
	}
	// Most 503s, not each: one may wait for a loaded machine's processor
	// as long as a success waits for its answer.
	if us := failed.ValueAtQuantile(90); us >= slow.Microseconds() {
		t.Errorf("failed latency p90 %d µs, want the fast 503s under %s", us, slow)
	}
	sum := engine.Summarize(s, res.Window.Seconds())
	if sum.Failed != s.Status[503] || sum.OKLatencyMs.P50 < 30 || sum.FailedLatencyMs.P50 >= 30 || sum.FailedLatencyMs.P50 <= 0 {
		t.Errorf("summary failed %d, ok latency %+v, failed latency %+v", sum.Failed, sum.OKLatencyMs, sum.FailedLatencyMs)
	}
}

// TestOutageLatencyIsFailed: in a total outage every request is refused in
// microseconds; all of that latency is the failures', none the service's.
func TestOutageLatencyIsFailed(t *testing.T) {
	t.Parallel()
	res, _ := runLoad(t, enginetest.ClosedURL(t), engine.Rate(200), engine.Duration(300*time.Millisecond))
	s := res.Total
	checkTotals(t, s)
	if s.Requests == 0 || s.Errors[engine.ErrRefused] != s.Requests {
		t.Fatalf("requests %d, errors %v: want all refused", s.Requests, s.Errors)
	}
	ok, _ := checkLatencySplit(t, s)
	if ok.TotalCount() != 0 {
		t.Errorf("ok latency holds %d values during an outage", ok.TotalCount())
	}
	sum := engine.Summarize(s, res.Window.Seconds())
	if sum.Failed != s.Requests || sum.OKLatencyMs != (engine.Percentiles{}) || sum.FailedLatencyMs.Max <= 0 || sum.Availability != 0 {
		t.Errorf("summary failed %d of %d, ok latency %+v, failed latency %+v", sum.Failed, s.Requests, sum.OKLatencyMs, sum.FailedLatencyMs)
	}
}

// TestMergeFailedLatencyExact: FailedLatency merges exactly, and OKLatency
// of a merge is the merge of the parts' OKLatency.
func TestMergeFailedLatencyExact(t *testing.T) {
	t.Parallel()
	a, b := window(0, 1), window(1, 2)
	allFailed, allOK := engine.NewHistogram(), engine.NewHistogram()
	for i, s := range []*engine.Snapshot{a, b} {
		for v := int64(1); v < 100000; v = v*3/2 + 1 {
			_ = s.Latency.RecordValue(v)
			if (v+int64(i))%3 == 0 {
				_ = s.FailedLatency.RecordValue(v)
				_ = allFailed.RecordValue(v)
			} else {
				_ = allOK.RecordValue(v)
			}
		}
	}
	m := engine.NewSnapshot()
	m.Merge(a)
	m.Merge(b)
	if !m.FailedLatency.Equals(allFailed) {
		t.Error("merged failed latency differs from one histogram of all failed values")
	}
	if !m.OKLatency().Equals(allOK) {
		t.Error("OKLatency of the merge differs from one histogram of all ok values")
	}
}
