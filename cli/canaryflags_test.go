package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/session"
)

// TestCanarySinkRegistration: the canary's sink comes with a canary step
// (and --canary-interval sets its interval), none without one; a bad
// interval, or one without a canary step, is bad input in one line.
func TestCanarySinkRegistration(t *testing.T) {
	canaryStep := experiments.PlanStep{Step: experiments.Step{Spec: "10s:canary=v2:25%", Action: session.ActionCanary}}
	scale := experiments.PlanStep{Step: experiments.Step{Spec: "5s:scale=3", Action: "scale"}}
	for _, tc := range []struct {
		name     string
		interval time.Duration
		steps    []experiments.PlanStep
		sink     bool
		err      string
	}{
		{name: "a canary step", steps: []experiments.PlanStep{scale, canaryStep}, sink: true},
		{name: "an interval", interval: 2 * time.Second, steps: []experiments.PlanStep{canaryStep}, sink: true},
		{name: "no canary step", steps: []experiments.PlanStep{scale}},
		{name: "no step", steps: nil},
		{name: "an interval without a canary", interval: time.Second, steps: []experiments.PlanStep{scale},
			err: "--canary-interval 1s: no step is a canary (canary=VERSION)"},
		{name: "a negative interval", interval: -time.Second, steps: []experiments.PlanStep{canaryStep},
			err: "--canary-interval: interval -1s: must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := canaryFlags{interval: tc.interval}.canarySink(tc.steps, canaryUI{})
			var usage usageError
			switch {
			case tc.err != "":
				if err == nil || err.Error() != tc.err || !errors.As(err, &usage) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %v, want the bad input %q", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			case (s != nil) != tc.sink:
				t.Fatalf("sink %v, want one: %v", s, tc.sink)
			}
		})
	}
}

// TestCanaryResultOfTheSession: the session's analysis becomes the
// summary's as it is, passed as the session judges it.
func TestCanaryResultOfTheSession(t *testing.T) {
	if canaryResult(nil) != nil {
		t.Fatal("a summary canary without one")
	}
	c := &session.CanaryResult{Step: "canary", Version: "v2", Baseline: "v1",
		Decision:  canary.Decision{Action: canary.Rollback, Reason: "v2 p99 41.9 ms vs v1 14.0 ms (3.0×, U-test p < 0.001, in 1 of 1 interval): roll back"},
		Intervals: []canary.IntervalResult{{Outcome: canary.Fail, Metric: canary.MetricP99, Reason: "slow"}},
		Action:    canary.Rollback, Acted: true}
	r := canaryResult(c)
	if r.Step != "canary" || r.Version != "v2" || r.Baseline != "v1" || r.Decision != "rollback" || r.Reason != c.Decision.Reason ||
		r.Action != "rollback" || !r.Acted || r.Passed || len(r.Intervals) != 1 || r.Intervals[0].Outcome != "fail" {
		t.Fatalf("summary canary %+v", r)
	}
}

// TestCanaryEventsPrinted: a headless run prints the canary's events,
// an interval's and the decision's with their title.
func TestCanaryEventsPrinted(t *testing.T) {
	var b bytes.Buffer
	p := newEventsSink(&b)
	t0 := p.origin
	p.Event(session.Event{Time: t0.Add(12 * time.Second), Source: session.FromCanary, Kind: session.CanaryIntervalJudged,
		Title: "canary 1/6 fail", Message: "v2 p99 41.9 ms vs v1 14.0 ms (3.0× > 1.20×, U-test p < 0.001)"})
	p.Event(session.Event{Time: t0.Add(12 * time.Second), Source: session.FromCanary, Kind: session.CanaryDecided,
		Title: "canary rollback", Message: "v2 p99 41.9 ms vs v1 14.0 ms (3.0×, U-test p < 0.001, in 1 of 1 interval): roll back"})
	p.Event(session.Event{Time: t0.Add(14 * time.Second), Source: session.FromCanary, Kind: session.CanaryRolledBack,
		Title: "canary rolled back", Message: "canary v2: rolled back in 2.1s"})
	want := "  12.0s  canary 1/6 fail: v2 p99 41.9 ms vs v1 14.0 ms (3.0× > 1.20×, U-test p < 0.001)\n" +
		"  12.0s  canary rollback: v2 p99 41.9 ms vs v1 14.0 ms (3.0×, U-test p < 0.001, in 1 of 1 interval): roll back\n" +
		"  14.0s  canary v2: rolled back in 2.1s\n"
	if b.String() != want {
		t.Errorf("printed:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestCanaryGeneratorBoundFlag: inconclusive (the default) gives the judge
// the generator's probes, ignore does not, anything else is bad input.
func TestCanaryGeneratorBoundFlag(t *testing.T) {
	g := session.NewGenerator(probes.Thresholds{}, probes.Options{})
	for _, tc := range []struct {
		value string
		opts  int
		err   string
	}{
		{"inconclusive", 1, ""}, {"", 1, ""}, {"ignore", 0, ""},
		{"off", 0, `--canary-generator-bound "off": want inconclusive or ignore`},
	} {
		opts, err := canaryFlags{generatorBound: tc.value}.generatorOptions(g)
		var usage usageError
		if len(opts) != tc.opts || (tc.err == "") != (err == nil) || (err != nil && (err.Error() != tc.err || !errors.As(err, &usage))) {
			t.Errorf("%q: %d options, %v; want %d, %q (bad input)", tc.value, len(opts), err, tc.opts, tc.err)
		}
	}
}
