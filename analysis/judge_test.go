package analysis

import (
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

const tick = 250 * time.Millisecond

// observer is what the judge and the trigger take.
type observer interface {
	Observe(t time.Duration, s *engine.Snapshot)
}

// feed gives o the ticks from from to to, each with n requests of
// latency lat answered with code (0: a timeout).
func feed(o observer, from, to time.Duration, n int, lat time.Duration, code int) {
	for at := from; at < to; at += tick {
		o.Observe(at+tick, snap(at, at+tick, n, lat, code))
	}
}

func mustThreshold(t *testing.T, key, expr string, set func(*Threshold)) Threshold {
	t.Helper()
	th, err := ParseThreshold(key, expr)
	if err != nil {
		t.Fatal(err)
	}
	if set != nil {
		set(&th)
	}
	return th
}

func mustJudge(t *testing.T, ths ...Threshold) *Judge {
	t.Helper()
	j, err := NewJudge(ths)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestWholeRunAndWindow: a one-second burst of slow answers in ten
// seconds passes a whole-run p(90) but fails a windowed one, which keeps
// the failure although its last window is fast again.
func TestWholeRunAndWindow(t *testing.T) {
	whole := mustThreshold(t, "latency", "p(90)<200", nil)
	win := mustThreshold(t, "latency", "p(90)<200", func(x *Threshold) { x.Window = 2 * time.Second })
	j := mustJudge(t, whole, win)
	feed(j, 0, 4*time.Second, 100, 10*time.Millisecond, 200)
	st := j.Evaluate(4 * time.Second)
	if !st[0].OK || !st[1].OK || st[1].FirstFailed != Never {
		t.Fatalf("before the burst: %+v", st)
	}
	feed(j, 4*time.Second, 5*time.Second, 100, 300*time.Millisecond, 200)
	st = j.Evaluate(5 * time.Second)
	// Whole run: 400 of 2000 are slow (20%): p(90) is 300 ms. Window: 400 of 800.
	if st[0].OK || st[0].Text != "p(90)=300ms" || st[1].OK || st[1].FirstFailed != 5*time.Second {
		t.Fatalf("in the burst: %+v", st)
	}
	feed(j, 5*time.Second, 10*time.Second, 100, 10*time.Millisecond, 200)
	st = j.Evaluate(10 * time.Second)
	// Whole run: 400 of 4000 slow: p(90) is 10 ms again.
	if !st[0].OK || st[0].Text != "p(90)=10ms" || st[0].FirstFailed != 5*time.Second {
		t.Errorf("whole run at the end: %+v, want ok at 10ms, first failed at 5s", st[0])
	}
	if st[1].OK || st[1].Text != "p(90)=10ms" || st[1].NoData {
		t.Errorf("window at the end: %+v, want failed (it failed at 5s) with 10ms now", st[1])
	}
	if v := VerdictOf(st, 0); v != VerdictFail {
		t.Errorf("verdict %s, want fail", v)
	}
}

// TestWindowCounts: rps, requests, errors, availability, dropped and
// late over a window and over the whole run.
func TestWindowCounts(t *testing.T) {
	ths := []Threshold{
		mustThreshold(t, "rps", "value>300", func(x *Threshold) { x.Window = time.Second }),
		mustThreshold(t, "requests", "count>100", func(x *Threshold) { x.Window = time.Second }),
		mustThreshold(t, "requests", "rate>300", nil),
		mustThreshold(t, "errors", "rate<1%", func(x *Threshold) { x.Window = time.Second }),
		mustThreshold(t, "availability", "rate>=99%", nil),
		mustThreshold(t, "dropped", "rate<0.1", nil),
		mustThreshold(t, "late", "count<=20", nil),
		mustThreshold(t, "errors", "count<=100", nil),
	}
	j := mustJudge(t, ths...)
	for i := range 8 { // 2 s of 100 a tick; in the second second, 10 timeouts and 5 dropped a tick
		at := time.Duration(i) * tick
		s := snap(at, at+tick, 100, 5*time.Millisecond, 200)
		if i >= 4 {
			s.Status[200] -= 10
			s.Errors[engine.ErrTimeout] += 10
			s.Dropped, s.Late = 5, 5
		}
		j.Observe(at+tick, s)
	}
	st := j.Evaluate(2 * time.Second)
	want := []struct {
		text string
		ok   bool
	}{
		{"value=400/s", true},
		{"count=400", true},
		{"rate=400/s", true},
		{"rate=10%", false},
		{"rate=95%", false},   // 760 of 800
		{"rate=2.439%", true}, // 20 of 820
		{"count=20", true},    //
		{"count=40", true},    //
	}
	for i, w := range want {
		if st[i].Text != w.text || st[i].OK != w.ok {
			t.Errorf("%s: %s ok=%v, want %s ok=%v", st[i].Threshold, st[i].Text, st[i].OK, w.text, w.ok)
		}
	}
	// Three seconds later with no tick at all, the windows are empty.
	st = j.Evaluate(5 * time.Second)
	if !st[0].NoData || st[0].Text != "value: no data" || st[0].OK {
		t.Errorf("an empty window: %+v, want no data, not ok", st[0])
	}
}

// TestVersionFilter judges each version on its own requests.
func TestVersionFilter(t *testing.T) {
	j := mustJudge(t,
		mustThreshold(t, "latency{version:v1}", "p(99)<5", nil),
		mustThreshold(t, "latency{version:v2}", "p(99)<5", nil),
		mustThreshold(t, "availability{version:v2}", "rate>0.99", nil),
		mustThreshold(t, "requests{version:v2}", "count==150", nil),
		mustThreshold(t, "latency{version:v3}", "p(99)<5", nil),
	)
	lat := map[string]time.Duration{"v1": 2 * time.Millisecond, "v2": 8 * time.Millisecond}
	for sec := range 3 {
		s := versioned(sec, lat, map[string]int{"v1": 50, "v2": 50}, map[string]int{"v2": 5})
		j.Observe(time.Duration(sec+1)*time.Second, s)
	}
	st := j.Evaluate(3 * time.Second)
	if !st[0].OK || st[0].Text != "p(99)=2ms" {
		t.Errorf("v1: %+v", st[0])
	}
	if st[1].OK || st[1].Text != "p(99)=8ms" {
		t.Errorf("v2: %+v", st[1])
	}
	if st[2].OK || st[2].Text != "rate=90%" {
		t.Errorf("v2 availability: %+v", st[2])
	}
	if !st[3].OK || st[3].Text != "count=150" {
		t.Errorf("v2 requests: %+v", st[3])
	}
	if !st[4].NoData || st[4].OK {
		t.Errorf("v3 never answered: %+v, want no data", st[4])
	}
}

// TestStatusFilter counts the answers of a status and of a class.
func TestStatusFilter(t *testing.T) {
	j := mustJudge(t,
		mustThreshold(t, "requests{status:5xx}", "count<10", nil),
		mustThreshold(t, "requests{status:503}", "count==8", nil),
		mustThreshold(t, "errors{status:5xx}", "rate==1", nil),
		mustThreshold(t, "requests{status:4xx}", "count==0", nil),
		mustThreshold(t, "availability{status:2xx}", "rate==1", nil),
	)
	feed(j, 0, time.Second, 25, time.Millisecond, 200)
	feed(j, time.Second, 2*time.Second, 2, time.Millisecond, 503)
	feed(j, 2*time.Second, 2500*time.Millisecond, 2, time.Millisecond, 500)
	st := j.Evaluate(2500 * time.Millisecond)
	for i, want := range []string{"count=12", "count=8", "rate=100%", "count=0", "rate=100%"} {
		if st[i].Text != want {
			t.Errorf("%s: %s, want %s", st[i].Threshold, st[i].Text, want)
		}
	}
	if st[0].OK || !st[1].OK || !st[2].OK || !st[3].OK || st[3].NoData || !st[4].OK {
		t.Errorf("statuses: %+v", st)
	}
}

// TestStepFilter judges only the ticks while the step ran.
func TestStepFilter(t *testing.T) {
	j := mustJudge(t,
		mustThreshold(t, "availability{step:upgrade}", "rate>0.99", nil),
		mustThreshold(t, "availability", "rate>0.9", nil),
		mustThreshold(t, "requests{step:upgrade}", "count==400", nil),
		mustThreshold(t, "latency{step:never}", "p(99)<100", nil),
	)
	feed(j, 0, 2*time.Second, 100, time.Millisecond, 200)
	j.StepStarted("upgrade", 2*time.Second)
	feed(j, 2*time.Second, 3*time.Second, 95, time.Millisecond, 200)
	feed(j, 2*time.Second, 3*time.Second, 5, time.Millisecond, 503) // same ticks' failures, as separate snapshots
	j.StepEnded("upgrade", 3*time.Second)
	feed(j, 3*time.Second, 6*time.Second, 100, time.Millisecond, 200)
	st := j.Evaluate(6 * time.Second)
	if st[0].OK || st[0].Text != "rate=95%" {
		t.Errorf("during the upgrade: %+v, want 95%%, failed", st[0])
	}
	if !st[1].OK || st[1].Text != "rate=99.167%" {
		t.Errorf("whole run: %+v, want 99.167%%", st[1])
	}
	if !st[2].OK {
		t.Errorf("requests during the upgrade: %+v, want 400 (its four ticks)", st[2])
	}
	if !st[3].NoData || st[3].OK {
		t.Errorf("a step that never ran: %+v, want no data", st[3])
	}
}

// TestNoData: no samples is not a pass, unless the threshold allows it.
func TestNoData(t *testing.T) {
	j := mustJudge(t,
		mustThreshold(t, "latency", "p(99)<200", nil),
		mustThreshold(t, "latency", "p(99)<200", func(x *Threshold) { x.AllowNoData = true }),
		mustThreshold(t, "availability", "rate>0.99", nil),
		mustThreshold(t, "requests", "count<10", nil),
	)
	feed(j, 0, 2*time.Second, 0, 0, 200) // ticks without any request (a hanging target)
	st := j.Evaluate(2 * time.Second)
	if !st[0].NoData || st[0].OK || st[0].Text != "p(99): no data" || st[0].FirstFailed != Never {
		t.Errorf("no data: %+v", st[0])
	}
	if !st[1].NoData || !st[1].OK {
		t.Errorf("no data allowed: %+v", st[1])
	}
	if !st[2].NoData || st[2].OK || !st[3].NoData || st[3].OK {
		t.Errorf("no data on counts: %+v", st[2:])
	}
	if v := VerdictOf(st, 0); v != VerdictFail {
		t.Errorf("verdict %s, want fail", v)
	}
	if v := VerdictOf(st[1:2], 0); v != VerdictPass {
		t.Errorf("verdict of the allowed one alone %s, want pass", v)
	}
	if v := VerdictOf(st[1:2], 1); v != VerdictFail {
		t.Errorf("verdict with a failed step %s, want fail", v)
	}
}

// TestAbortWithDelay: a failing abortOnFail threshold asks to abort once
// delayAbortEval passed, and then stays aborting, and failed, though its
// value holds again.
func TestAbortWithDelay(t *testing.T) {
	j := mustJudge(t, mustThreshold(t, "errors", "rate<0.1", func(x *Threshold) {
		x.AbortOnFail, x.DelayAbortEval = true, 2*time.Second
	}), mustThreshold(t, "errors", "rate<0.1", nil))
	feed(j, 0, time.Second, 10, time.Millisecond, 503)
	st := j.Evaluate(time.Second)
	if st[0].OK || st[0].Abort || st[0].FirstFailed != time.Second || st[1].Abort {
		t.Fatalf("before the delay: %+v", st)
	}
	if v := VerdictOf(st, 0); v != VerdictFail {
		t.Errorf("verdict before the delay %s, want fail", v)
	}
	feed(j, time.Second, 2*time.Second, 10, time.Millisecond, 503)
	st = j.Evaluate(2 * time.Second)
	if !st[0].Abort || st[1].Abort {
		t.Fatalf("at the delay: %+v, want the first to abort", st)
	}
	feed(j, 2*time.Second, 30*time.Second, 1000, time.Millisecond, 200) // recovers: the abort stays
	st = j.Evaluate(30 * time.Second)
	if !st[0].Abort || st[0].OK || VerdictOf(st, 0) != VerdictAborted {
		t.Errorf("after recovering: %+v, want still aborted, and failed", st[0])
	}
	// The same threshold without abortOnFail holds again on the whole run.
	if !st[1].OK || st[1].Value >= 0.1 || st[0].Value != st[1].Value {
		t.Errorf("after recovering: %+v, want the one that did not abort held, at the same value as the one that did (%+v)", st[1], st[0])
	}
}

// recoverRun feeds 20 s of 100 requests a tick with a kill at 5 s after
// which every request fails for outage, evaluating every second, and
// returns the last statuses.
func recoverRun(j *Judge, outage time.Duration) []Status {
	var st []Status
	for at := time.Duration(0); at < 20*time.Second; at += tick {
		if at == 5*time.Second {
			j.StepStarted("kill", at)
			j.StepEnded("kill", at+time.Millisecond)
		}
		code := 200
		if at >= 5*time.Second && at < 5*time.Second+outage {
			code = 502
		}
		j.Observe(at+tick, snap(at, at+tick, 100, time.Millisecond, code))
		if (at+tick)%time.Second == 0 {
			st = j.Evaluate(at + tick)
		}
	}
	return st
}

// TestRecover: failures within recover after the step are forgiven, and
// a failure that lasts longer fails the threshold.
func TestRecover(t *testing.T) {
	ths := func() []Threshold {
		return []Threshold{
			mustThreshold(t, "availability{step:kill}", "rate>0.999", func(x *Threshold) { x.Recover = 3 * time.Second }),
			mustThreshold(t, "availability", "rate>0.999", func(x *Threshold) { x.Recover, x.RecoverAfter = 3*time.Second, "kill" }),
			mustThreshold(t, "availability", "rate>0.99", func(x *Threshold) {
				x.Recover, x.RecoverAfter, x.Window = 3*time.Second, "kill", 2*time.Second
			}),
			mustThreshold(t, "availability", "rate>0.999", nil),
		}
	}
	j := mustJudge(t, ths()...)
	st := recoverRun(j, 2*time.Second)
	if !st[0].OK || st[0].Text != "rate=100%" {
		t.Errorf("step filter, recovered in 2s of 3: %+v", st[0])
	}
	if !st[1].OK || !st[2].OK || st[2].FirstFailed != Never {
		t.Errorf("recover after kill, recovered in 2s of 3: %+v", st[1:3])
	}
	if st[3].OK {
		t.Errorf("without recover, the outage counts: %+v", st[3])
	}

	j = mustJudge(t, ths()...)
	st2 := recoverRun(j, 5*time.Second) // 2 s more than forgiven
	// Judged from 8 s: 8 failing ticks of 100, then 40 fine ones.
	if st2[0].OK || st2[0].Text != "rate=83.333%" || st2[0].FirstFailed != 9*time.Second {
		t.Errorf("step filter, a 5s outage: %+v, want failed from 9s", st2[0])
	}
	if st2[1].OK || st2[2].OK || st2[2].FirstFailed != 9*time.Second {
		t.Errorf("recover after kill, a 5s outage: %+v", st2[1:3])
	}

	// A step that never fires forgives nothing.
	j = mustJudge(t, ths()...)
	feed(j, 0, 5*time.Second, 100, time.Millisecond, 200)
	feed(j, 5*time.Second, 6*time.Second, 100, time.Millisecond, 502)
	st = j.Evaluate(6 * time.Second)
	if !st[0].NoData || st[1].OK || st[1].Text != "rate=83.333%" {
		t.Errorf("kill never fired: %+v", st[:2])
	}
}

// TestTrigger: a condition holds over its window, and not without data.
func TestTrigger(t *testing.T) {
	c, err := ParseCondition("p(99) > 100ms over 2s")
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTrigger(c)
	if tr.Holds(0) {
		t.Error("holds before any tick")
	}
	feed(tr, 0, 3*time.Second, 100, 10*time.Millisecond, 200)
	if tr.Holds(3 * time.Second) {
		t.Error("holds on fast answers")
	}
	feed(tr, 3*time.Second, 4*time.Second, 100, 300*time.Millisecond, 200)
	if !tr.Holds(4 * time.Second) {
		t.Error("does not hold in the burst")
	}
	feed(tr, 4*time.Second, 5500*time.Millisecond, 100, 10*time.Millisecond, 200)
	if !tr.Holds(5500 * time.Millisecond) {
		t.Error("the burst left the 2s window too soon") // window (3.5, 5.5]: 2 slow ticks of 8
	}
	feed(tr, 5500*time.Millisecond, 6*time.Second, 100, 10*time.Millisecond, 200)
	if tr.Holds(6 * time.Second) {
		t.Error("still holds once the burst left the window")
	}
	if tr.Holds(20 * time.Second) {
		t.Error("holds without data")
	}

	c, err = ParseCondition("availability < 99%")
	if err != nil {
		t.Fatal(err)
	}
	tr = NewTrigger(c)
	feed(tr, 0, time.Second, 100, time.Millisecond, 200)
	feed(tr, time.Second, 1500*time.Millisecond, 100, time.Millisecond, 0)
	if v, ok := tr.Value(1500 * time.Millisecond); !ok || v != 0.5 || !tr.Holds(1500*time.Millisecond) {
		t.Errorf("availability over the last second: %g %v, want 0.5, holding", v, ok)
	}
}

// TestObserveAllocatesNothing: once the windows' rings are full, a tick
// allocates nothing.
func TestObserveAllocatesNothing(t *testing.T) {
	j := mustJudge(t,
		mustThreshold(t, "latency", "p(99)<200", nil),
		mustThreshold(t, "latency", "p(99)<200", func(x *Threshold) { x.Window = 5 * time.Second }),
		mustThreshold(t, "availability", "rate>0.99", func(x *Threshold) { x.Window = 5 * time.Second }),
		mustThreshold(t, "requests{status:5xx}", "count<10", nil),
	)
	s := snap(0, tick, 1000, 5*time.Millisecond, 200)
	for i := range 1000 {
		_ = s.Latency.RecordValue(int64(i * 100))
	}
	at := time.Duration(0)
	step := func() { at += tick; s.Start, s.End = t0.Add(at-tick), t0.Add(at); j.Observe(at, s) }
	for range 100 {
		step()
	}
	if n := testing.AllocsPerRun(200, step); n != 0 {
		t.Errorf("%g allocations a tick, want 0", n)
	}
}

// TestDeadTargetLatencyNoData: against a dead target (every request
// refused at once) latency has no data, not a pass on the fast
// refusals; availability has data and fails; with one answer among the
// refusals latency has data again.
func TestDeadTargetLatencyNoData(t *testing.T) {
	refused := func(from time.Duration, answered int) *engine.Snapshot {
		s := engine.NewSnapshot()
		s.Start, s.End = t0.Add(from), t0.Add(from+250*time.Millisecond)
		s.Requests = 100
		s.Errors[engine.ErrRefused] = uint64(100 - answered)
		s.Status = map[int]uint64{}
		if answered > 0 {
			s.Status[200] = uint64(answered)
		}
		for i := 0; i < 100; i++ {
			_ = s.Latency.RecordValue(300)
			_ = s.Service.RecordValue(300)
		}
		return s
	}
	for _, c := range []struct {
		name     string
		answered int
		noData   bool
	}{{"all refused", 0, true}, {"one answer", 1, false}} {
		j := mustJudge(t,
			mustThreshold(t, "latency", "p(99)<200", nil),
			mustThreshold(t, "availability", "rate>0.99", nil),
		)
		for i := 0; i < 4; i++ {
			j.Observe(time.Duration(i+1)*250*time.Millisecond, refused(time.Duration(i)*250*time.Millisecond, c.answered))
		}
		st := j.Evaluate(time.Second)
		if st[0].NoData != c.noData || (c.noData && st[0].OK) {
			t.Errorf("%s: latency %+v, want no data %v (and not ok)", c.name, st[0], c.noData)
		}
		if st[1].NoData || st[1].OK {
			t.Errorf("%s: availability %+v, want data and a failure", c.name, st[1])
		}
	}
}
