package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
)

// mixServer is a loopback server that names a version in
// engine.VersionHeader as answer(i) says for request i, and counts what it
// answered by version and status.
type mixServer struct {
	url    string
	answer func(i int) (version string, code int)
	enough int           // answers after which served closes
	served chan struct{} // closed after enough answers

	mu     sync.Mutex
	n      int
	counts map[string]map[int]uint64 // version ("" without the header) → status → count
}

// newMixServer starts a mixServer that closes served after enough
// answers.
func newMixServer(t *testing.T, enough int, answer func(i int) (string, int)) *mixServer {
	t.Helper()
	s := &mixServer{answer: answer, enough: enough, served: make(chan struct{}), counts: map[string]map[int]uint64{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		v, code := s.answer(s.n)
		s.n++
		if s.n == s.enough {
			close(s.served)
		}
		if s.counts[v] == nil {
			s.counts[v] = map[int]uint64{}
		}
		s.counts[v][code]++
		s.mu.Unlock()
		if v != "" {
			w.Header().Set(engine.VersionHeader, v)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// run sends closed-loop load with 4 connections until the server
// answered enough requests (and the ones in flight came back): a count, not
// a time, so that a loaded machine only makes the test slower.
func (s *mixServer) run(t *testing.T) *engine.Result {
	t.Helper()
	e, err := engine.New(engine.Target{URL: s.url}, engine.Concurrency(4), engine.Tick(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.served:
		case <-ctx.Done():
		}
		cancel()
	}()
	res, _ := runEngineBounded(t, ctx, e)
	return res
}

// answered returns how many requests version v answered, and how many of
// them with a 5xx.
func (s *mixServer) answered(v string) (requests, failed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for code, n := range s.counts[v] {
		requests += n
		if code >= 500 {
			failed += n
		}
	}
	return requests, failed
}

// TestByVersionFromHeader: the engine splits requests by the version
// header of the answer, exactly as the server answered them; answers
// without it are counted as unknown, so the split sums to the requests;
// the summary reports each version.
func TestByVersionFromHeader(t *testing.T) {
	t.Parallel()
	srv := newMixServer(t, 100, func(i int) (string, int) {
		switch i % 10 {
		case 0, 1, 2, 3:
			return "v1", 200
		case 4, 5, 6:
			return "v2", 200
		case 7:
			return "v2", 503
		case 8:
			return "v10", 500
		default:
			return "", 200
		}
	})
	res := srv.run(t)
	total := res.Total
	checkTotals(t, total)
	if total.Requests < 100 {
		t.Fatalf("only %d requests", total.Requests)
	}
	if got, want := total.Versions(), []string{"v1", "v2", "v10", engine.UnknownVersion}; !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	var sum uint64
	for _, v := range total.Versions() {
		vs := total.ByVersion[v]
		answeredAs := v
		if v == engine.UnknownVersion {
			answeredAs = ""
		}
		req, failed := srv.answered(answeredAs)
		if vs.Errors != 0 {
			t.Errorf("%s: %d transport errors, want none", v, vs.Errors)
		}
		if vs.Requests != req || vs.Failed != failed {
			t.Errorf("%s: engine counted %d requests, %d failed; the server answered %d, %d failed", v, vs.Requests, vs.Failed, req, failed)
		}
		if vs.Latency == nil || uint64(vs.Latency.TotalCount()) != vs.Requests {
			t.Errorf("%s: latency histogram does not hold one value per request", v)
		}
		sum += vs.Requests
	}
	if sum != total.Requests {
		t.Errorf("versions sum to %d, want %d requests", sum, total.Requests)
	}

	s := engine.Summarize(total, res.Window.Seconds())
	v2 := s.ByVersion["v2"]
	req, failed := srv.answered("v2")
	if len(s.ByVersion) != 4 || v2.Requests != req || v2.Failed != failed || v2.Errors != 0 || v2.LatencyMs.P50 <= 0 ||
		v2.Availability != float64(req-failed)/float64(req) || s.ByVersion["v10"].Availability != 0 ||
		s.ByVersion["v1"].Availability != 1 {
		t.Fatalf("by version %+v", s.ByVersion)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ByVersion map[string]map[string]json.RawMessage `json:"by_version"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"requests", "errors", "failed", "availability", "latency_ms"} {
		if _, ok := m.ByVersion["v1"][k]; !ok {
			t.Errorf("by_version.v1 has no %q: %s", k, b)
		}
	}
}

// TestNoVersionNoField: a target that names no version gives no ByVersion
// and no by_version in the JSON.
func TestNoVersionNoField(t *testing.T) {
	t.Parallel()
	srv := newMixServer(t, 20, func(int) (string, int) { return "", 200 })
	res := srv.run(t)
	if res.Total.Requests == 0 || res.Total.ByVersion != nil {
		t.Fatalf("%d requests, by version %v", res.Total.Requests, res.Total.ByVersion)
	}
	b, _ := json.Marshal(engine.Summarize(res.Total, 1))
	if strings.Contains(string(b), "by_version") {
		t.Fatalf("by_version without versions: %s", b)
	}
}

// TestVersionCap: a target naming a new version in every answer (some of
// them very long) cannot grow the counts: MaxVersions names are kept, the
// rest are counted under OtherVersion, and nothing is lost.
func TestVersionCap(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 1000)
	srv := newMixServer(t, 4*engine.MaxVersions, func(i int) (string, int) { return fmt.Sprintf("v%d-%s", i, long), 200 })
	total := srv.run(t).Total
	if total.Requests < 4*engine.MaxVersions {
		t.Fatalf("only %d requests: the cap is not reached", total.Requests)
	}
	if len(total.ByVersion) != engine.MaxVersions+1 || total.ByVersion[engine.OtherVersion] == nil {
		t.Fatalf("%d versions kept (other: %v), want %d names and %q", len(total.ByVersion),
			total.ByVersion[engine.OtherVersion] != nil, engine.MaxVersions, engine.OtherVersion)
	}
	var sum uint64
	for name, vs := range total.ByVersion {
		if len(name) > 64 {
			t.Errorf("version name of %d bytes kept", len(name))
		}
		if uint64(vs.Latency.TotalCount()) != vs.Requests {
			t.Errorf("%s: %d latencies for %d requests", name, vs.Latency.TotalCount(), vs.Requests)
		}
		sum += vs.Requests
	}
	if sum != total.Requests {
		t.Fatalf("versions sum to %d, want all %d requests", sum, total.Requests)
	}
}

// versioned returns a snapshot over [from, to) seconds with n requests of
// random versions among names and random latencies; all records the same
// into histograms per version.
func versioned(rng *rand.Rand, from, to float64, n int, names []string, all map[string]*engine.VersionStats) *engine.Snapshot {
	s := window(from, to)
	s.ByVersion = map[string]*engine.VersionStats{}
	for range n {
		name := names[rng.IntN(len(names))]
		us := int64(1) << rng.IntN(25)
		us += rng.Int64N(us)
		failed := rng.IntN(20) == 0
		for _, m := range []map[string]*engine.VersionStats{s.ByVersion, all} {
			vs := m[name]
			if vs == nil {
				vs = &engine.VersionStats{Latency: engine.NewHistogram()}
				m[name] = vs
			}
			vs.Requests++
			if failed {
				vs.Failed++
			}
			_ = vs.Latency.RecordValue(us)
		}
	}
	return s
}

// TestMergeVersionsExact: merged snapshots hold, version by version, the
// counts and the histogram of one snapshot of all requests, in any merge
// order; MergeCounts adds the counts only; a merged snapshot shares nothing
// with its parts.
func TestMergeVersionsExact(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	all := map[string]*engine.VersionStats{}
	// A rollout's story: v1 alone, v1 and v2, v2 alone, then v3.
	story := [][]string{{"v1"}, {"v1"}, {"v1", "v2"}, {"v1", "v2"}, {"v2"}, {"v3"}}
	parts := make([]*engine.Snapshot, len(story))
	for i, names := range story {
		parts[i] = versioned(rng, float64(i), float64(i+1), 500+rng.IntN(2000), names, all)
	}
	check := func(what string, got *engine.Snapshot, hist bool) {
		t.Helper()
		if len(got.ByVersion) != len(all) {
			t.Fatalf("%s: versions %v, want %d", what, got.Versions(), len(all))
		}
		for name, want := range all {
			vs := got.ByVersion[name]
			if vs == nil || vs.Requests != want.Requests || vs.Failed != want.Failed {
				t.Fatalf("%s: %s = %+v, want %d requests, %d failed", what, name, vs, want.Requests, want.Failed)
			}
			if hist && !vs.Latency.Equals(want.Latency) {
				t.Fatalf("%s: %s: merged histogram differs from one of all values", what, name)
			}
			if !hist && vs.Latency != nil {
				t.Fatalf("%s: %s: MergeCounts made a histogram", what, name)
			}
		}
	}
	forward := engine.NewSnapshot()
	for _, p := range parts {
		forward.Merge(p)
	}
	check("in order", forward, true)
	left, right := engine.NewSnapshot(), engine.NewSnapshot()
	for i := len(parts) - 1; i >= 0; i-- {
		if i%2 == 0 {
			left.Merge(parts[i])
		} else {
			right.Merge(parts[i])
		}
	}
	left.Merge(right)
	check("pairwise", left, true)
	var counts engine.Snapshot
	for _, p := range parts {
		counts.MergeCounts(p)
	}
	check("counts", &counts, false)

	// The merge copied: changing a part changes nothing merged.
	before := forward.ByVersion["v3"].Latency.TotalCount()
	_ = parts[5].ByVersion["v3"].Latency.RecordValue(42)
	parts[5].ByVersion["v3"].Requests++
	if forward.ByVersion["v3"].Latency.TotalCount() != before || forward.ByVersion["v3"].Requests != all["v3"].Requests {
		t.Fatal("a merged snapshot shares a part's version entry")
	}
}

// TestMergeVersionsCap: merging more than MaxVersions versions keeps the
// first MaxVersions names merged and counts the rest under OtherVersion,
// in any merge order; nothing is lost.
func TestMergeVersionsCap(t *testing.T) {
	t.Parallel()
	var names []string
	for i := range engine.MaxVersions + 5 {
		names = append(names, fmt.Sprintf("v%02d", i))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	all := map[string]*engine.VersionStats{}
	var parts []*engine.Snapshot
	for i, name := range names {
		parts = append(parts, versioned(rng, float64(i), float64(i+1), 100, []string{name}, all))
	}
	backward := slices.Clone(parts)
	slices.Reverse(backward)
	for _, order := range [][]*engine.Snapshot{parts, backward} {
		s := engine.NewSnapshot()
		for _, p := range order {
			s.Merge(p)
		}
		if len(s.ByVersion) != engine.MaxVersions+1 {
			t.Fatalf("%d versions, want %d and %q", len(s.ByVersion), engine.MaxVersions, engine.OtherVersion)
		}
		other := s.ByVersion[engine.OtherVersion]
		if other == nil || other.Requests != 500 || other.Latency.TotalCount() != 500 {
			t.Fatalf("other: %+v, want the 5 versions beyond the cap's 500 requests", other)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	got := []string{"v10", "v2", "v1.10", "v1.9", "v1", "beta", "v01", "2", "10"}
	slices.SortFunc(got, engine.CompareVersions)
	want := []string{"2", "10", "beta", "v01", "v1", "v1.9", "v1.10", "v2", "v10"}
	if !slices.Equal(got, want) {
		t.Fatalf("sorted %v, want %v", got, want)
	}
	names := []string{"v2", engine.OtherVersion, "a", "v10"}
	slices.SortFunc(names, engine.CompareVersionNames)
	if want := []string{"a", "v2", "v10", engine.OtherVersion}; !slices.Equal(names, want) {
		t.Fatalf("names sorted %v, want %v", names, want)
	}
}

// TestBalancedErrorsByVersion: with Balance, a request that fails on an
// endpoint's connection (here, reset without an answer) counts as a
// failure of the endpoint's version.
func TestBalancedErrorsByVersion(t *testing.T) {
	t.Parallel()
	good := newVersionServer(t, "v1")
	bad := enginetest.NewResetServer(t)
	eps := engine.NewEndpoints(endpointsOf(good)[0], engine.Endpoint{Addr: strings.TrimPrefix(bad.URL, "http://"), Version: "v2"})
	stop := startBalanced(t, eps, 4)
	eventually(t, 20*time.Second, "requests on both endpoints", func() bool {
		return good.requests.Load() >= 20 && bad.Requests() >= 20
	})
	total := stop().Total
	v1, v2 := total.ByVersion["v1"], total.ByVersion["v2"]
	if len(total.ByVersion) != 2 || v1 == nil || v2 == nil {
		t.Fatalf("versions %v", total.Versions())
	}
	if v1.Requests != good.requests.Load() || v1.Failed != 0 || v1.Requests != total.Status[200] {
		t.Errorf("v1: %d requests, %d failed; its server answered %d", v1.Requests, v1.Failed, good.requests.Load())
	}
	if v2.Requests == 0 || v2.Failed != v2.Requests || v2.Requests != total.TotalErrors() {
		t.Errorf("v2: %d requests, %d failed; the engine counted %d errors %v", v2.Requests, v2.Failed, total.TotalErrors(), total.Errors)
	}
	if v1.Requests+v2.Requests != total.Requests {
		t.Errorf("versions sum to %d of %d requests", v1.Requests+v2.Requests, total.Requests)
	}
}
