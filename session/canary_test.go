package session

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/fleet"
)

// canaryRecorder is a real fleet (never started: the sink does not touch
// it) whose PromoteCanary and AbortCanary record their calls and return
// err (or hang), so that the sink's acting, its bound and its failures
// are seen without a rollout; the real fleet's canary is proved in cli's
// canary tests.
type canaryRecorder struct {
	*fleet.Fleet
	err   error
	hang  bool // wait for the context to end, and return its error
	mu    sync.Mutex
	calls []string
}

func newCanaryRecorder(t *testing.T) *canaryRecorder {
	t.Helper()
	fl, err := fleet.New(fleet.Replicas(2))
	if err != nil {
		t.Fatal(err)
	}
	return &canaryRecorder{Fleet: fl}
}

func (c *canaryRecorder) PromoteCanary(ctx context.Context) error { return c.record(ctx, "promote") }
func (c *canaryRecorder) AbortCanary(ctx context.Context) error   { return c.record(ctx, "abort") }

func (c *canaryRecorder) record(ctx context.Context, call string) error {
	c.mu.Lock()
	c.calls = append(c.calls, call)
	c.mu.Unlock()
	if c.hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return c.err
}

func (c *canaryRecorder) called() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

var canaryT0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// load is one version's requests in each one-second tick: rps of them,
// a fraction failed failing (500s), the i-th taking lat(i) µs.
type load struct {
	version string
	rps     int
	failed  float64
	lat     func(i int) int64
}

// canaryTicks makes n one-second engine snapshots from canaryT0, split
// by version as the engine splits them (ByVersion, Latency recorded by
// RecordValue), each holding every load's requests of that second.
func canaryTicks(t *testing.T, n int, loads ...load) []*engine.Snapshot {
	t.Helper()
	out := make([]*engine.Snapshot, n)
	for k := range n {
		s := engine.NewSnapshot()
		s.Start, s.End = canaryT0.Add(time.Duration(k)*time.Second), canaryT0.Add(time.Duration(k+1)*time.Second)
		for _, l := range loads {
			vs := s.VersionEntry(l.version)
			vs.Latency = engine.NewHistogram()
			failed := int(float64(l.rps) * l.failed)
			for i := range l.rps {
				us := l.lat(k*l.rps + i)
				if err := vs.Latency.RecordValue(us); err != nil {
					t.Fatal(err)
				}
				_ = s.Latency.RecordValue(us)
				if i < failed {
					s.Status[500]++
					vs.Failed++
				} else {
					s.Status[200]++
				}
			}
			vs.Requests += uint64(l.rps)
			s.Requests += uint64(l.rps)
		}
		out[k] = s
	}
	return out
}

// steady is 10 to 14 ms, spread evenly: every version's shape here.
func steady(i int) int64 { return 10_000 + int64(i*37%4000) }

// canaryStep is the canary step's result as its events carry it.
var canaryStep = experiments.Result{Name: "canary", Spec: "canary=v2:25%", Action: ActionCanary}

// runCanary hands the sink, through a real fan-out and beside a witness,
// the canary step's start and ticks, then finishes the run: the result
// with its verdict, and the FromCanary events every sink saw, in order.
func runCanary(t *testing.T, s *CanarySink, cl cluster.Cluster, ticks []*engine.Snapshot) (*Result, []Event) {
	t.Helper()
	return runCanaryThen(t, s, cl, ticks)
}

// runCanaryThen is runCanary with more events handed out after the
// ticks, before the run finishes.
func runCanaryThen(t *testing.T, s *CanarySink, cl cluster.Cluster, ticks []*engine.Snapshot, then ...Event) (*Result, []Event) {
	t.Helper()
	var events []Event
	witness := &funcSink{open: func(Info) {}, event: func(e Event) {
		if e.Source == FromCanary {
			events = append(events, e)
		}
	}}
	f := newFanout([]Sink{s, witness})
	info := Info{Command: "test", Cluster: cl, Interval: time.Second, Control: Control{fan: f}}
	for _, sink := range []Sink{s, witness} {
		if err := sink.Open(info); err != nil {
			t.Fatal(err)
		}
	}
	f.opened(nil) // the ticks carry no cluster state: the sink reads none
	step := canaryStep
	f.event(Event{Time: canaryT0, Source: FromStep, Kind: experiments.StateStarted, Step: &step})
	for _, snap := range ticks {
		f.tick(snap)
	}
	for _, e := range then {
		f.event(e)
	}
	res := &Result{Command: "test", Steps: []experiments.Result{canaryStep}}
	f.finish(res)
	res.Verdict = VerdictOf(res)
	return res, events
}

// canaryConfig is the default analysis in intervals of 2 s, 3 of them.
func canaryConfig() canary.Config {
	cfg := canary.DefaultConfig()
	cfg.Interval, cfg.Count = 2*time.Second, 3
	return cfg
}

// kinds lists the events' kinds.
func kinds(events []Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Kind
	}
	return out
}

func TestCanarySink(t *testing.T) {
	slow := func(i int) int64 { return 3 * steady(i) }
	for _, tc := range []struct {
		name     string
		ticks    int
		loads    []load
		decision canary.Action
		action   canary.Action
		call     string
		kinds    []string
		reason   string // the decision's line, as canary.Decide writes it
		verdict  analysis.Verdict
	}{
		{name: "good canary promoted", ticks: 7,
			// unknown answers the most: never the baseline.
			loads: []load{{version: "v1", rps: 300, lat: steady}, {version: "v2", rps: 100, lat: steady},
				{version: engine.UnknownVersion, rps: 900, lat: steady}, {version: "v0", rps: 20, lat: steady}},
			decision: canary.Promote, action: canary.Promote, call: "promote",
			kinds:  []string{CanaryIntervalJudged, CanaryIntervalJudged, CanaryIntervalJudged, CanaryDecided, CanaryPromoted},
			reason: "v2 p99 14.0 ms vs v1 14.0 ms (1.00×), errors 0.00% vs 0.00% over 3 intervals: promote", verdict: analysis.VerdictPass},
		{name: "slow canary rolled back", ticks: 7,
			loads:    []load{{version: "v1", rps: 300, lat: steady}, {version: "v2", rps: 100, lat: slow}},
			decision: canary.Rollback, action: canary.Rollback, call: "abort",
			kinds:  []string{CanaryIntervalJudged, CanaryDecided, CanaryRolledBack},
			reason: "v2 p99 41.8 ms vs v1 14.0 ms (3.0×, U-test p < 0.001, in 1 of 1 interval): roll back", verdict: analysis.VerdictFail},
		{name: "sparse canary inconclusive, rolled back", ticks: 7,
			loads:    []load{{version: "v1", rps: 300, lat: steady}, {version: "v2", rps: 5, lat: steady}},
			decision: canary.InconclusiveDecision, action: canary.Rollback, call: "abort",
			kinds:   []string{CanaryIntervalJudged, CanaryIntervalJudged, CanaryDecided, CanaryRolledBack},
			reason:  "v2 10 requests, v1 600: fewer than 200 (min_samples) in 2 of 2 intervals (inconclusive_limit 1): inconclusive",
			verdict: analysis.VerdictFail},
		{name: "run ended before the decision", ticks: 3,
			loads:    []load{{version: "v1", rps: 300, lat: steady}, {version: "v2", rps: 100, lat: steady}},
			decision: canary.InconclusiveDecision, action: canary.Rollback, call: "abort",
			kinds:  []string{CanaryIntervalJudged, CanaryDecided, CanaryRolledBack},
			reason: "the run ended after 1 interval of 3: inconclusive", verdict: analysis.VerdictFail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := newCanaryRecorder(t)
			res, events := runCanary(t, NewCanary(canaryConfig()), cl, canaryTicks(t, tc.ticks, tc.loads...))
			c := res.Canary
			if c == nil {
				t.Fatal("no canary in the result")
			}
			if c.Version != "v2" || c.Baseline != "v1" || c.Step != "canary" {
				t.Errorf("canary %q, baseline %q, step %q; want v2 against v1, step canary", c.Version, c.Baseline, c.Step)
			}
			if c.Decision.Action != tc.decision || c.Action != tc.action || c.Decision.Reason != tc.reason {
				t.Errorf("decision %s, action %s: %q\nwant %s, %s: %q", c.Decision.Action, c.Action, c.Decision.Reason,
					tc.decision, tc.action, tc.reason)
			}
			if got := cl.called(); len(got) != 1 || got[0] != tc.call {
				t.Errorf("the cluster was called %q, want [%s]", got, tc.call)
			}
			if !c.Acted || c.ActionFailed || c.Note != "" {
				t.Errorf("acted %v, failed %v, note %q: want acted", c.Acted, c.ActionFailed, c.Note)
			}
			if strings.Join(kinds(events), " ") != strings.Join(tc.kinds, " ") {
				t.Fatalf("events %q, want %q", kinds(events), tc.kinds)
			}
			for i, r := range c.Intervals {
				if events[i].Message != r.Reason {
					t.Errorf("interval %d's event %q, want its reason %q", i+1, events[i].Message, r.Reason)
				}
			}
			if d := events[len(c.Intervals)]; d.Message != tc.reason {
				t.Errorf("the decision's event %q, want %q", d.Message, tc.reason)
			}
			if res.Verdict != tc.verdict || c.Passed() != (tc.verdict == analysis.VerdictPass) {
				t.Errorf("verdict %q (passed %v), want %q", res.Verdict, c.Passed(), tc.verdict)
			}
			t.Logf("%s; %s", c.Decision.Reason, events[len(events)-1].Message)
		})
	}
}

// TestCanarySinkIntervals: an interval lasts cfg.Interval of ticks from
// the first the canary answers in (the ticks before it are not judged),
// its figures are its requests only, and the sink's Result is a copy.
func TestCanarySinkIntervals(t *testing.T) {
	s := NewCanary(canaryConfig())
	// Two seconds of v1 alone (the canary is coming up), then both.
	ticks := append(canaryTicks(t, 2, load{version: "v1", rps: 300, lat: steady}),
		canaryTicks(t, 4, load{version: "v1", rps: 300, lat: steady}, load{version: "v2", rps: 250, lat: steady})...)
	for k, snap := range ticks {
		snap.Start, snap.End = canaryT0.Add(time.Duration(k)*time.Second), canaryT0.Add(time.Duration(k+1)*time.Second)
	}
	res, _ := runCanary(t, s, nil, ticks)
	c := res.Canary
	if len(c.Intervals) != 2 {
		t.Fatalf("%d intervals, want 2 (4 s of the canary in intervals of 2 s)", len(c.Intervals))
	}
	for i, r := range c.Intervals {
		if r.Baseline.Requests != 600 || r.Canary.Requests != 500 || r.Outcome != canary.Pass {
			t.Errorf("interval %d: %s with %d and %d requests, want a pass of 600 and 500", i+1, r.Outcome,
				r.Baseline.Requests, r.Canary.Requests)
		}
	}
	got := s.Result()
	got.Intervals[0].Outcome = canary.Fail
	if s.Result().Intervals[0].Outcome != canary.Pass {
		t.Error("Result shares its intervals")
	}
}

// TestCanarySinkWithoutCapability: a cluster without the canary
// capability (here none, as in a replay) has the canary judged and
// reported, and the decision's event says it was not acted on; the
// verdict still follows the decision.
func TestCanarySinkWithoutCapability(t *testing.T) {
	slow := func(i int) int64 { return 3 * steady(i) }
	res, events := runCanary(t, NewCanary(canaryConfig()), nil,
		canaryTicks(t, 3, load{version: "v1", rps: 300, lat: steady}, load{version: "v2", rps: 100, lat: slow}))
	c := res.Canary
	if c.Decision.Action != canary.Rollback || c.Acted || c.ActionFailed || c.Note != NoCanaryCapability {
		t.Fatalf("decision %s, acted %v, failed %v, note %q", c.Decision.Action, c.Acted, c.ActionFailed, c.Note)
	}
	if k := kinds(events); len(k) != 2 || k[1] != CanaryDecided {
		t.Fatalf("events %q: want an interval and the decision, no action", k)
	}
	if want := c.Decision.Reason + " (" + NoCanaryCapability + ")"; events[1].Message != want {
		t.Errorf("decision event %q, want %q", events[1].Message, want)
	}
	if res.Verdict != analysis.VerdictFail {
		t.Errorf("verdict %q, want fail", res.Verdict)
	}
}

// TestCanarySinkActionFails: a promotion the cluster fails is said in
// an event and in the result, and fails the run.
func TestCanarySinkActionFails(t *testing.T) {
	cl := newCanaryRecorder(t)
	cl.err = errors.New("rollout stuck")
	res, events := runCanary(t, NewCanary(canaryConfig()), cl,
		canaryTicks(t, 6, load{version: "v1", rps: 300, lat: steady}, load{version: "v2", rps: 100, lat: steady}))
	c := res.Canary
	if c.Action != canary.Promote || c.Acted || !c.ActionFailed || c.Note != "promote v2: rollout stuck" {
		t.Fatalf("action %s, acted %v, failed %v, note %q", c.Action, c.Acted, c.ActionFailed, c.Note)
	}
	last := events[len(events)-1]
	if last.Kind != CanaryActionFailed || last.Message != "canary: promote v2: rollout stuck" {
		t.Errorf("last event %s %q", last.Kind, last.Message)
	}
	if res.Verdict != analysis.VerdictFail {
		t.Errorf("verdict %q, want fail", res.Verdict)
	}
}

// TestCanarySinkActionBounded: the rollback is bounded: one that does
// not end within its bound fails the canary's action, said in an event
// and in the result, and Finish waits for the bound, no longer.
func TestCanarySinkActionBounded(t *testing.T) {
	const bound = 200 * time.Millisecond
	cl := newCanaryRecorder(t)
	cl.hang = true
	slow := func(i int) int64 { return 3 * steady(i) }
	start := time.Now()
	res, events := runCanary(t, NewCanary(canaryConfig(), CanaryActionBound(bound)), cl,
		canaryTicks(t, 3, load{version: "v1", rps: 300, lat: steady}, load{version: "v2", rps: 100, lat: slow}))
	took := time.Since(start)
	c := res.Canary
	if c.Action != canary.Rollback || c.Acted || !c.ActionFailed || c.Note != "roll back v2: context deadline exceeded" {
		t.Fatalf("action %s, acted %v, failed %v, note %q", c.Action, c.Acted, c.ActionFailed, c.Note)
	}
	if last := events[len(events)-1]; last.Kind != CanaryActionFailed {
		t.Errorf("last event %s %q", last.Kind, last.Message)
	}
	if took < bound || took > bound+2*time.Second {
		t.Errorf("the run took %s with a rollback bound by %s", took, bound)
	}
}

func TestCanaryVersion(t *testing.T) {
	for spec, want := range map[string]string{
		"canary=v2": "v2", "canary=v2:25%": "v2", "10s:canary=v3:1": "v3", "upgrade=v2": "", "canary= v2 :25%": "v2",
	} {
		if got := CanaryVersion(spec); got != want {
			t.Errorf("CanaryVersion(%q) = %q, want %q", spec, got, want)
		}
	}
}
