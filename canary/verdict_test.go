package canary

import (
	"testing"
)

// TestDecide: Argo Rollouts' semantics over the outcomes, in order.
func TestDecide(t *testing.T) {
	P, F, I := Pass, Fail, Inconclusive
	for _, tc := range []struct {
		name             string
		count, fl, il    int
		outcomes         []Outcome
		action           Action
		judged           int
		passed, failed   int
		inconclusiveSeen int
	}{
		{"none yet", 6, 0, 1, nil, Undecided, 0, 0, 0, 0},
		{"passing so far", 6, 0, 1, []Outcome{P, P, P}, Undecided, 3, 3, 0, 0},
		{"count passes", 6, 0, 1, []Outcome{P, P, P, P, P, P}, Promote, 6, 6, 0, 0},
		{"one inconclusive tolerated", 3, 0, 1, []Outcome{P, I, P}, Promote, 3, 2, 0, 1},
		{"first failure rolls back, early", 6, 0, 1, []Outcome{P, F, P, P}, Rollback, 2, 1, 1, 0},
		{"failure_limit 1 tolerates one", 4, 1, 1, []Outcome{F, P, P, P}, Promote, 4, 3, 1, 0},
		{"failure_limit 1: the second rolls back", 6, 1, 1, []Outcome{F, P, F, P}, Rollback, 3, 1, 2, 0},
		{"too many inconclusive", 6, 0, 1, []Outcome{I, P, I, P}, InconclusiveDecision, 3, 1, 0, 2},
		{"inconclusive_limit 0", 6, 0, 0, []Outcome{P, I}, InconclusiveDecision, 2, 1, 0, 1},
		{"a failure after the limit's inconclusive", 6, 0, 1, []Outcome{I, F}, Rollback, 2, 0, 1, 1},
		{"the last interval decides by count", 2, 0, 1, []Outcome{P, I, F}, Promote, 2, 1, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Count, cfg.FailureLimit, cfg.InconclusiveLimit = tc.count, tc.fl, tc.il
			var rs []IntervalResult
			for _, o := range tc.outcomes {
				r := Judge(cfg, sample(t, "v1", span(1000, 1299), 0), sample(t, "v2", span(1000, 1299), 0))
				r.Outcome = o
				if o == Fail {
					r.Metric = MetricP99
				}
				rs = append(rs, r)
			}
			d := Decide(cfg, rs)
			if d.Action != tc.action || d.Judged != tc.judged || d.Passed != tc.passed || d.Failed != tc.failed ||
				d.Inconclusive != tc.inconclusiveSeen {
				t.Errorf("%q after %d (%d passed, %d failed, %d inconclusive), want %q after %d (%d, %d, %d)",
					d.Action, d.Judged, d.Passed, d.Failed, d.Inconclusive, tc.action, tc.judged, tc.passed, tc.failed, tc.inconclusiveSeen)
			}
			if (d.Reason == "") != (tc.action == Undecided) {
				t.Errorf("reason %q for %q", d.Reason, d.Action)
			}
			if d.Overall.Baseline.Requests != uint64(300*tc.judged) || d.Overall.Canary.Requests != uint64(300*tc.judged) {
				t.Errorf("overall requests %d, %d; want %d each (the judged intervals)", d.Overall.Baseline.Requests,
					d.Overall.Canary.Requests, 300*tc.judged)
			}
		})
	}
}

// TestDecideOverall: a promotion's figures are over every interval's
// requests: the histograms merged, not the last interval's.
func TestDecideOverall(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Count = 2
	rs := []IntervalResult{
		Judge(cfg, sample(t, "v1", span(1000, 1999), 1), sample(t, "v2", span(1000, 1999), 2)),
		Judge(cfg, sample(t, "v1", span(3000, 3999), 1), sample(t, "v2", span(3000, 3999), 0)),
	}
	d := Decide(cfg, rs)
	want := "v2 p99 3.98 ms vs v1 3.98 ms (1.00×), errors 0.10% vs 0.10% over 2 intervals: promote"
	if d.Action != Promote || d.Reason != want {
		t.Fatalf("%s: %q\nwant %q", d.Action, d.Reason, want)
	}
	if o := d.Overall; o.Baseline.P50 != 1.999 || o.Canary.Failed != 2 || o.Latency.U != 2e6 {
		t.Errorf("overall %+v, want p50 1.999 ms (of 1..4 ms), 2 failed, U 2e6", o)
	}
}

func TestHeadless(t *testing.T) {
	cfg := DefaultConfig()
	for _, tc := range []struct {
		on   string
		d    Action
		want Action
	}{
		{OnInconclusiveRollback, InconclusiveDecision, Rollback},
		{OnInconclusivePromote, InconclusiveDecision, Promote},
		{OnInconclusivePromote, Rollback, Rollback},
		{OnInconclusiveRollback, Promote, Promote},
		{OnInconclusiveRollback, Undecided, Undecided},
	} {
		cfg.OnInconclusive = tc.on
		if got := cfg.Headless(Decision{Action: tc.d}); got != tc.want {
			t.Errorf("on_inconclusive %s, %q: %q, want %q", tc.on, tc.d, got, tc.want)
		}
	}
}
