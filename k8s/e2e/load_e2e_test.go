//go:build k8se2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// loadTick is the load's snapshot interval in the proofs.
const loadTick = 250 * time.Millisecond

// loadRun is scalelab's engine sending load in the background through its
// endpoint-following balancer, at a constant rate, until stop (or its
// bounding window) ends it.
type loadRun struct {
	eng    *engine.Engine
	cancel context.CancelFunc
	done   chan struct{}
	res    *engine.Result
	err    error

	mu    sync.Mutex
	ticks []*engine.Snapshot
	// steady is the number of ticks at full rate, before stop.
	steady int
}

// startLoad sends rate requests a second to url's scheme, Host and path,
// balanced across eps, for at most limit. The test stops it with stop.
func startLoad(t *testing.T, url string, eps *engine.Endpoints, rate float64, limit time.Duration) *loadRun {
	t.Helper()
	l := &loadRun{done: make(chan struct{})}
	e, err := engine.New(engine.Target{URL: url},
		engine.Balance(eps), engine.Rate(rate), engine.Duration(limit),
		engine.Timeout(5*time.Second), engine.Tick(loadTick),
		engine.OnSnapshot(func(s *engine.Snapshot) {
			l.mu.Lock()
			l.ticks = append(l.ticks, s)
			l.mu.Unlock()
		}))
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	ctx, cancel := context.WithCancel(runCtx)
	l.cancel, l.eng = cancel, e
	go func() {
		defer close(l.done)
		l.res, l.err = e.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-l.done })
	return l
}

// stop ends the load and returns what it measured. It first sets the
// rate to 0 and waits until the requests already due were sent and
// answered, so that a sender running behind on a busy machine does not
// leave due requests unsent (the engine counts those as dropped when it
// is cancelled).
func (l *loadRun) stop(t *testing.T) *engine.Result {
	t.Helper()
	if err := l.eng.SetRate(0); err != nil {
		t.Fatalf("load: %v", err)
	}
	seen := len(l.snapshots())
	l.mu.Lock()
	l.steady = seen
	l.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		snaps := l.snapshots()
		if len(snaps) > seen+1 {
			last := snaps[len(snaps)-1]
			if last.Requests == 0 && last.InFlight == 0 {
				break
			}
		}
		time.Sleep(loadTick / 5)
	}
	l.cancel()
	<-l.done
	if l.err != nil {
		t.Fatalf("load: %v", l.err)
	}
	return l.res
}

// snapshots returns the ticks so far.
func (l *loadRun) snapshots() []*engine.Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ticks)
}

// atRate returns the ticks at full rate: those before stop.
func (l *loadRun) atRate() []*engine.Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ticks[:l.steady])
}

// waitUntil waits until the load has measured up to at least the time
// at (its last tick ended then or later).
func (l *loadRun) waitUntil(t *testing.T, at time.Time) {
	t.Helper()
	deadline := time.Now().Add(time.Until(at) + 30*time.Second)
	for time.Now().Before(deadline) {
		if snaps := l.snapshots(); len(snaps) > 0 && !snaps[len(snaps)-1].End.Before(at) {
			return
		}
		time.Sleep(loadTick / 5)
	}
	t.Fatalf("the load measured nothing up to %s", at.Format("15:04:05.000"))
}

// waitRequests waits until the load has answered at least n requests.
func (l *loadRun) waitRequests(t *testing.T, n uint64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var got uint64
		for _, s := range l.snapshots() {
			got += s.Requests
		}
		if got >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the load did not reach %d requests in 30 s", n)
}

// merged adds up snapshots (counts and versions).
func merged(snaps []*engine.Snapshot) *engine.Snapshot {
	out := engine.NewSnapshot()
	for _, s := range snaps {
		out.Merge(s)
	}
	return out
}

// versionsOf lists the versions that answered requests in s.
func versionsOf(s *engine.Snapshot) []string {
	var out []string
	for v, vs := range s.ByVersion {
		if vs.Requests > 0 {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// describe is the snapshot's outcome in one line, for failures and logs.
func describe(s *engine.Snapshot) string {
	var parts []string
	for code, n := range s.Status {
		parts = append(parts, fmt.Sprintf("%d×%d", n, code))
	}
	for _, c := range engine.ErrorClasses() {
		if n := s.ErrorCount(c); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c))
		}
	}
	sort.Strings(parts)
	var vs []string
	for _, v := range versionsOf(s) {
		vs = append(vs, fmt.Sprintf("%s %d (%d failed)", v, s.ByVersion[v].Requests, s.ByVersion[v].Failed))
	}
	return fmt.Sprintf("%d requests: %s; dropped %d, late %d (max lag %s); by version: %s",
		s.Requests, strings.Join(parts, ", "), s.Dropped, s.Late, s.LagMax.Round(time.Millisecond), strings.Join(vs, ", "))
}

// assertNoLoss fails the test unless every request of s was answered 200:
// no transport error, no other status, nothing dropped.
func assertNoLoss(t *testing.T, s *engine.Snapshot) {
	t.Helper()
	if s.Requests == 0 {
		t.Fatal("the load sent no requests")
	}
	if s.Failed() != 0 || s.Dropped != 0 || s.Status[200] != s.Requests {
		t.Errorf("requests were lost: %s", describe(s))
	}
}

// tickLines lists the ticks' times and requests by version, one a line.
func tickLines(ticks []*engine.Snapshot) string {
	var b strings.Builder
	for _, s := range ticks {
		fmt.Fprintf(&b, "  %s-%s:", s.Start.Format("15:04:05.000"), s.End.Format("15:04:05.000"))
		for _, v := range versionsOf(s) {
			fmt.Fprintf(&b, " %s %d", v, s.ByVersion[v].Requests)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// endpointHistory records the changes of an endpoint set, polled every
// 10 ms while the test runs.
type endpointHistory struct {
	mu    sync.Mutex
	lines []string
}

// watchEndpoints records eps's changes until the test ends.
func watchEndpoints(t *testing.T, eps *engine.Endpoints) *endpointHistory {
	h := &endpointHistory{}
	ctx, cancel := context.WithCancel(runCtx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var last string
		for ctx.Err() == nil {
			var parts []string
			for _, e := range eps.List() {
				parts = append(parts, e.Addr+"="+e.Version)
			}
			if now := strings.Join(parts, " "); now != last {
				h.mu.Lock()
				h.lines = append(h.lines, time.Now().Format("15:04:05.000")+" "+now)
				h.mu.Unlock()
				last = now
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

// String lists the changes, one a line.
func (h *endpointHistory) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return "  " + strings.Join(h.lines, "\n  ")
}
