package engine_test

import (
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TestUnknownVersionCountsUnversioned: answers without a version header
// (a balancer's own 502s) and transport errors are counted under
// UnknownVersion, with their errors and failures, so the split sums to the
// requests; Errors in a version's entry counts transport errors, Failed
// those and the 5xx answers.
func TestUnknownVersionCountsUnversioned(t *testing.T) {
	t.Parallel()
	srv := newMixServer(t, 60, func(i int) (string, int) {
		switch i % 3 {
		case 0:
			return "v1", 200
		case 1:
			return "v1", 500
		default:
			return "", 502
		}
	})
	res := srv.run(t)
	s := res.Total
	checkTotals(t, s)
	u := s.ByVersion[engine.UnknownVersion]
	if u == nil {
		t.Fatalf("no %s entry: %v", engine.UnknownVersion, s.Versions())
	}
	var sum uint64
	for _, vs := range s.ByVersion {
		sum += vs.Requests
	}
	if sum != s.Requests {
		t.Errorf("split sums to %d of %d requests", sum, s.Requests)
	}
	if u.Requests != s.Status[502] || u.Failed != u.Requests || u.Errors != 0 || uint64(u.Latency.TotalCount()) != u.Requests {
		t.Errorf("unknown %+v, want the %d 502s, all failed, no transport errors, one latency each", *u, s.Status[502])
	}
	if v1 := s.ByVersion["v1"]; v1.Failed != s.Status[500] || v1.Errors != 0 {
		t.Errorf("v1: %d failed, %d errors; want the %d 500s, no transport errors", v1.Failed, v1.Errors, s.Status[500])
	}
	sv := engine.Summarize(s, res.Window.Seconds())
	if su := sv.ByVersion[engine.UnknownVersion]; su.Requests != u.Requests || su.Failed != u.Failed || su.Errors != 0 || su.Availability != 0 {
		t.Errorf("summary unknown %+v", su)
	}
	if sv.Failed != s.Status[500]+s.Status[502] {
		t.Errorf("summary failed %d, want the %d 5xx", sv.Failed, s.Status[500]+s.Status[502])
	}
}

// TestUnknownVersionWithBalance: with Balance, a request that found no
// connection has no version and counts under unknown, as a transport
// error.
func TestUnknownVersionWithBalance(t *testing.T) {
	t.Parallel()
	v1 := newVersionServer(t, "v1")
	eps := engine.NewEndpoints(engine.Endpoint{Addr: v1.addr, Version: "v1"})
	e, err := engine.New(engine.Target{URL: "http://demo.test/"}, engine.Balance(eps), engine.Rate(200),
		engine.Duration(600*time.Millisecond), engine.Tick(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		eps.Set(nil) // nowhere to send: refused, without a version
	}()
	res, _ := runEngineBounded(t, t.Context(), e)
	s := res.Total
	checkTotals(t, s)
	u, v := s.ByVersion[engine.UnknownVersion], s.ByVersion["v1"]
	if u == nil || v == nil {
		t.Fatalf("versions %v, want v1 and unknown", s.Versions())
	}
	if u.Requests+v.Requests != s.Requests || u.Errors != s.Errors[engine.ErrRefused] || u.Errors != u.Requests || u.Failed != u.Requests {
		t.Errorf("v1 %d, unknown %+v of %d requests (errors %v)", v.Requests, *u, s.Requests, s.Errors)
	}
}

// TestMergeUnknownWithoutSplit: a snapshot without a split (no request
// had a version) merged with one that has one counts all its requests as
// unknown, in either order, so the merged split still sums to the
// requests.
func TestMergeUnknownWithoutSplit(t *testing.T) {
	t.Parallel()
	plain := window(0, 1)
	plain.Requests, plain.Status[200], plain.Errors[engine.ErrTimeout] = 5, 3, 2
	for range 5 {
		_ = plain.Latency.RecordValue(1000)
	}
	_ = plain.FailedLatency.RecordValue(1000)
	_ = plain.FailedLatency.RecordValue(1000)
	split := window(1, 2)
	split.Requests, split.Status[200] = 4, 4
	vs := split.VersionEntry("v1")
	vs.Requests, vs.Latency = 4, engine.NewHistogram()
	for range 4 {
		_ = split.Latency.RecordValue(2000)
		_ = vs.Latency.RecordValue(2000)
	}
	for name, order := range map[string][]*engine.Snapshot{"plain first": {plain, split}, "split first": {split, plain}} {
		m := engine.NewSnapshot()
		for _, s := range order {
			m.Merge(s)
		}
		u := m.ByVersion[engine.UnknownVersion]
		if u == nil || u.Requests != 5 || u.Errors != 2 || u.Failed != 2 || u.Latency.TotalCount() != 5 || u.Latency.Max() < 1000 || u.Latency.Max() > 1001 {
			t.Errorf("%s: unknown %+v, want plain's 5 requests, 2 errors, 2 failed at 1 ms", name, u)
		}
		if m.ByVersion["v1"].Requests != 4 || m.Latency.TotalCount() != 9 {
			t.Errorf("%s: v1 %d requests, latency %d values", name, m.ByVersion["v1"].Requests, m.Latency.TotalCount())
		}
		c := engine.NewSnapshot()
		for _, s := range order {
			c.MergeCounts(s)
		}
		if u := c.ByVersion[engine.UnknownVersion]; u == nil || u.Requests != 5 || u.Failed != 2 {
			t.Errorf("%s: MergeCounts unknown %+v", name, u)
		}
	}
	if plain.Latency.TotalCount() != 5 {
		t.Errorf("merge changed its source: %d latencies", plain.Latency.TotalCount())
	}
}
