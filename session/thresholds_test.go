package session

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/fleet"
)

func mustThreshold(t *testing.T, key, expr string) analysis.Threshold {
	t.Helper()
	th, err := analysis.ParseThreshold(key, expr)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// failingAfter is a loopback server that answers 200 until after, then
// 500; failing is when it first answered 500.
type failingAfter struct {
	srv     *httptest.Server
	start   time.Time
	failing atomic.Int64 // UnixNano of the first 500
}

func newFailingAfter(t *testing.T, after time.Duration) *failingAfter {
	f := &failingAfter{start: time.Now()}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if time.Since(f.start) >= after {
			f.failing.CompareAndSwap(0, time.Now().UnixNano())
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// TestThresholdAbortStopsTheLoadWithinASecond runs a load of 5 s against
// a server that starts failing after 1 s, with an abortOnFail
// availability threshold: the judge stops the load at the tick that saw
// the breach, and the load ends within 1 s plus the drain of it; the
// verdict is aborted, the result names the threshold, its value and the
// time, and every sink saw the judge's failed and aborted events.
func TestThresholdAbortStopsTheLoadWithinASecond(t *testing.T) {
	const drain = 300 * time.Millisecond
	srv := newFailingAfter(t, time.Second)
	abort := mustThreshold(t, "availability", "rate>0.99")
	abort.AbortOnFail = true
	held := mustThreshold(t, "latency", "p(99)<5000")
	judge, err := NewThresholds([]analysis.Threshold{held, abort}, nil)
	if err != nil {
		t.Fatal(err)
	}
	witness := &logSink{}
	s, err := New(Config{
		Command: "test",
		Target:  engine.Target{Method: "GET", URL: srv.srv.URL},
		Options: []engine.Option{engine.Rate(200), engine.Duration(5 * time.Second)},
		Window:  5 * time.Second,
		Sinks:   []Sink{judge, witness},
		Drain:   drain,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.start = time.Now()
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != analysis.VerdictAborted || res.Aborted == nil {
		t.Fatalf("verdict %q, aborted %+v; want aborted", res.Verdict, res.Aborted)
	}
	a := res.Aborted
	if a.Threshold.String() != "availability rate>0.99" || a.Status.NoData || a.Status.Value > 0.99 || !strings.HasPrefix(a.Status.Text, "rate=") {
		t.Fatalf("aborted by %s with %+v", a.Threshold, a.Status)
	}
	failing := time.Unix(0, srv.failing.Load())
	breach := res.Load.Total.Start.Add(a.At)
	fromBreach, fromFailing := res.End.Sub(breach), res.End.Sub(failing)
	t.Logf("failing at %.3fs, breach judged at %.3fs (%s), load ended %s after the breach, %s after the first 500, stop→end %s",
		failing.Sub(res.Start).Seconds(), a.At.Seconds(), a.Status.Text, fromBreach.Round(time.Millisecond),
		fromFailing.Round(time.Millisecond), res.End.Sub(a.Time).Round(time.Millisecond))
	if fromBreach > time.Second+drain || fromFailing > time.Second+drain {
		t.Fatalf("the load ended %s after the breach, %s after the first failure: want at most %s", fromBreach, fromFailing, time.Second+drain)
	}
	if res.Load.Window > 3*time.Second || !strings.Contains(res.Stopped, "availability rate>0.99") {
		t.Fatalf("window %s, stopped %q: the load was not stopped by the judge", res.Load.Window, res.Stopped)
	}
	if len(res.Thresholds) != 2 || !res.Thresholds[0].OK || res.Thresholds[1].OK || !res.Thresholds[1].Abort {
		t.Fatalf("final statuses %+v", res.Thresholds)
	}
	var failed, aborted, ended int
	for _, l := range witness.lines {
		switch {
		case strings.HasPrefix(l, "event judge threshold-failed threshold failed: ✗ availability rate>0.99 rate="):
			failed++
		case strings.HasPrefix(l, "event judge aborted aborted: availability rate>0.99 = rate="):
			aborted++
			if failed != 1 || ended != 0 {
				t.Fatalf("aborted after %d failed events and the load's end %d: %q", failed, ended, witness.lines)
			}
		case strings.HasPrefix(l, "event session load-ended"):
			ended++
		case strings.HasPrefix(l, "event judge"):
			t.Fatalf("unexpected judge event %q", l)
		}
	}
	if failed != 1 || aborted != 1 || ended != 1 {
		t.Fatalf("%d failed, %d aborted, %d load-ended events: %q", failed, aborted, ended, witness.lines)
	}
}

// TestThresholdsPassAndFailOnAFleet runs a fleet under load with a step:
// the thresholds that hold pass, one on a version nobody answers has no
// data and fails, and one filtered by the step's span judges its
// requests only; the verdict fails, and Statuses gives the live
// statuses.
func TestThresholdsPassAndFailOnAFleet(t *testing.T) {
	fl, err := fleet.New(fleet.Replicas(2), fleet.ReplicaDefaults(fleet.StartupDelay(50*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	steps, err := experiments.ParseSteps([]string{"500ms:scale=3"})
	if err != nil {
		t.Fatal(err)
	}
	ths := []analysis.Threshold{
		mustThreshold(t, "latency", "p(99)<2000"),
		mustThreshold(t, "availability", "rate>0.99"),
		mustThreshold(t, "latency{version:nope}", "p(99)<100"),
		mustThreshold(t, "requests{step:500ms:scale=3}", "count>0"),
	}
	judge, err := NewThresholds(ths, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(judge.Statuses()) != 0 {
		t.Fatal("statuses before the first tick")
	}
	var live []analysis.Status
	peek := &funcSink{open: func(Info) {}, tick: func(Tick) { live = judge.Statuses() }}
	s, err := New(Config{
		Command: "test",
		Resolve: func() (engine.Target, []engine.Option, error) {
			return engine.Target{Method: "GET", URL: fl.URL()}, nil, nil
		},
		Options: []engine.Option{engine.Rate(200), engine.Duration(1500 * time.Millisecond)},
		Window:  1500 * time.Millisecond,
		Cluster: fl,
		Steps:   experiments.AtSteps(steps),
		Sinks:   []Sink{judge, peek},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != analysis.VerdictFail || res.Aborted != nil {
		t.Fatalf("verdict %q aborted %+v, want fail", res.Verdict, res.Aborted)
	}
	want := []struct{ ok, noData bool }{{true, false}, {true, false}, {false, true}, {true, false}}
	if len(res.Thresholds) != len(want) || len(live) != len(want) {
		t.Fatalf("%d final statuses, %d live ones", len(res.Thresholds), len(live))
	}
	for i, w := range want {
		st := res.Thresholds[i]
		if st.OK != w.ok || st.NoData != w.noData {
			t.Errorf("%s: %+v, want ok %v no data %v", st.Threshold, st, w.ok, w.noData)
		}
	}
	if step := res.Thresholds[3].Value; step <= 0 || step >= float64(res.Load.Total.Requests) {
		t.Fatalf("requests during the step: %v of %d", step, res.Load.Total.Requests)
	}
	if res.Thresholds[2].Text != "p(99): no data" {
		t.Fatalf("no data reads %q", res.Thresholds[2].Text)
	}
}

// funcSink is a sink of functions.
type funcSink struct {
	open  func(Info)
	tick  func(Tick)
	event func(Event)
}

func (f *funcSink) Open(i Info) error {
	f.open(i)
	return nil
}
func (f *funcSink) Tick(t Tick) {
	if f.tick != nil {
		f.tick(t)
	}
}
func (f *funcSink) Event(e Event) {
	if f.event != nil {
		f.event(e)
	}
}
func (f *funcSink) Close(*Result) error { return nil }

// TestControlEmitFromASinkReachesEverySinkInOrder has a sink emit an
// event from inside its Tick: every sink sees the tick, then the event
// (no deadlock), in the same order.
func TestControlEmitFromASinkReachesEverySinkInOrder(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	var ctl Control
	n := 0
	emitter := &funcSink{open: func(i Info) { ctl = i.Control }}
	emitter.tick = func(Tick) {
		n++
		if n == 2 {
			ctl.Emit(Event{Source: FromSession, Kind: "mark", Message: "second tick"})
		}
	}
	a, b := &logSink{}, &logSink{}
	s, err := New(Config{
		Command: "test",
		Target:  engine.Target{Method: "GET", URL: srv.URL},
		Options: []engine.Option{engine.Rate(100), engine.Duration(time.Second)},
		Sinks:   []Sink{a, emitter, b},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, sink := range []*logSink{a, b} {
		if len(sink.lines) < 3 || !strings.HasPrefix(sink.lines[0], "tick") || !strings.HasPrefix(sink.lines[1], "tick") ||
			sink.lines[2] != "event session mark second tick" {
			t.Fatalf("lines %q: want two ticks, then the mark", sink.lines[:min(3, len(sink.lines))])
		}
	}
}
