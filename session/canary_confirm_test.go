package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/experiments"
)

// TestCanaryConfirm: with a confirmer the sink asks before acting, with
// the judge's decision and the action it proposes, and does what the
// answer says; unanswered when the run ends, it takes the headless action.
func TestCanaryConfirm(t *testing.T) {
	slow := func(i int) int64 { return 3 * steady(i) }
	bad := []load{{version: "v1", rps: 300, lat: steady}, {version: "v2", rps: 100, lat: slow}}
	for _, tc := range []struct {
		name      string
		answer    canary.Action // "": never answers
		call      string
		action    canary.Action
		confirmed bool
		said      string
	}{
		{name: "yes: roll back", answer: canary.Rollback, call: "abort", action: canary.Rollback, confirmed: true,
			said: "canary v2: the operator answered roll back"},
		{name: "no: promote", answer: canary.Promote, call: "promote", action: canary.Promote, confirmed: true,
			said: "canary v2: the operator answered promote"},
		{name: "unanswered", call: "abort", action: canary.Rollback,
			said: "canary v2: the run ended unanswered: roll back"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked []CanaryQuestion
			ask := func(ctx context.Context, q CanaryQuestion) (canary.Action, error) {
				asked = append(asked, q)
				if tc.answer == "" {
					<-ctx.Done()
					return "", ctx.Err()
				}
				return tc.answer, nil
			}
			cl := newCanaryRecorder(t)
			res, events := runCanary(t, NewCanary(canaryConfig(), CanaryConfirm(ask)), cl, canaryTicks(t, 7, bad...))
			c := res.Canary
			if len(asked) != 1 || asked[0].Proposed != canary.Rollback || asked[0].Other() != canary.Promote ||
				asked[0].Version != "v2" || asked[0].Baseline != "v1" || asked[0].Decision.Reason != c.Decision.Reason {
				t.Fatalf("asked %+v, want once: roll back v2 against v1 for %q", asked, c.Decision.Reason)
			}
			if got := cl.called(); len(got) != 1 || got[0] != tc.call {
				t.Errorf("the cluster was called %q, want [%s]", got, tc.call)
			}
			if c.Action != tc.action || c.Confirmed != tc.confirmed || c.Awaiting || !c.Acted {
				t.Errorf("action %s, confirmed %v, awaiting %v, acted %v; want %s, confirmed %v, acted", c.Action,
					c.Confirmed, c.Awaiting, c.Acted, tc.action, tc.confirmed)
			}
			want := []string{CanaryIntervalJudged, CanaryDecided, CanaryAnswered, CanaryRolledBack}
			if tc.action == canary.Promote {
				want[3] = CanaryPromoted
			}
			if strings.Join(kinds(events), " ") != strings.Join(want, " ") {
				t.Fatalf("events %q, want %q", kinds(events), want)
			}
			if events[2].Message != tc.said {
				t.Errorf("the answer's event %q, want %q", events[2].Message, tc.said)
			}
			if c.Passed() != (tc.action == canary.Promote) {
				t.Errorf("passed %v for %s", c.Passed(), tc.action)
			}
		})
	}
}

// TestCanaryStartRefused: an operator's canary that cannot start says
// why, and starts nothing.
func TestCanaryStartRefused(t *testing.T) {
	s := NewCanary(canaryConfig())
	if err := s.Open(Info{}); err != nil {
		t.Fatal(err)
	}
	for action, want := range map[string]string{
		"canary=v2":     "the cluster cannot run a canary",
		"upgrade=v2":    "want canary=VERSION",
		"canary=v2:0%x": "canary:",
	} {
		if err := s.Start(context.Background(), action); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Start(%q): %v, want %q", action, err, want)
		}
	}
	if s.Result() != nil {
		t.Errorf("a refused start began an analysis: %+v", s.Result())
	}
}

// TestCanaryQuestionPreempted: a plan's rollback step that starts while
// the operator is asked answers for them: the question is withdrawn, the
// sink does not act (the step does: the cluster is called once, by it),
// and the result says so.
func TestCanaryQuestionPreempted(t *testing.T) {
	slow := func(i int) int64 { return 3 * steady(i) }
	bad := []load{{version: "v1", rps: 300, lat: steady}, {version: "v2", rps: 100, lat: slow}}
	asked := make(chan struct{}, 1)
	ask := func(ctx context.Context, q CanaryQuestion) (canary.Action, error) {
		asked <- struct{}{}
		<-ctx.Done()
		return "", ctx.Err()
	}
	cl := newCanaryRecorder(t)
	rollback := experiments.Result{Spec: "9s:rollback", Action: "rollback"}
	res, events := runCanaryThen(t, NewCanary(canaryConfig(), CanaryConfirm(ask)), cl, canaryTicks(t, 7, bad...),
		Event{Time: canaryT0.Add(9 * time.Second), Source: FromStep, Kind: experiments.StateStarted, Step: &rollback})
	select {
	case <-asked:
	default:
		t.Fatal("the operator was never asked")
	}
	c := res.Canary
	if got := cl.called(); len(got) != 0 {
		t.Errorf("the sink called the cluster %q: want the plan's step alone to act", got)
	}
	if c.Action != canary.Rollback || c.Acted || c.Awaiting || c.Confirmed || !strings.Contains(c.Note, "9s:rollback acted (roll back)") || c.Passed() {
		t.Errorf("result %+v: want the step's rollback, not acted by the sink, not passed", c)
	}
	want := []string{CanaryIntervalJudged, CanaryDecided, CanaryAnswered}
	if strings.Join(kinds(events), " ") != strings.Join(want, " ") || !strings.Contains(events[2].Message, "the question is withdrawn") {
		t.Fatalf("events %+v, want %q, the answer withdrawn", events, want)
	}
}
