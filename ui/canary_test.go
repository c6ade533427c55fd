package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/session"
	"github.com/scalelab/scalelab/ui/components/header"
)

// canaryFleet is a real fleet, never started (the screens are the
// scenario's), whose PromoteCanary and AbortCanary record their calls and
// succeed at once: the judge's acting without a rollout. The real
// fleet's canary is driven in cli's tmux test.
type canaryFleet struct {
	*fleet.Fleet
	mu    sync.Mutex
	calls []string
}

func newCanaryFleet(t *testing.T) *canaryFleet {
	t.Helper()
	f, err := fleet.New(fleet.Replicas(4))
	if err != nil {
		t.Fatal(err)
	}
	return &canaryFleet{Fleet: f}
}

func (c *canaryFleet) PromoteCanary(context.Context) error { return c.record("promote") }
func (c *canaryFleet) AbortCanary(context.Context) error   { return c.record("abort") }

func (c *canaryFleet) record(call string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, call)
	return nil
}

func (c *canaryFleet) called() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

// canaryTick is one second of requests from t0+at: v1 (the baseline)
// answers base of them, v2 (the canary) can, the canary's latency slow
// times the baseline's and failing a share failed.
func canaryTick(t testing.TB, at time.Duration, base, can int, slow, failed float64) *engine.Snapshot {
	t.Helper()
	s := engine.NewSnapshot()
	s.Start, s.End = t0.Add(at), t0.Add(at+time.Second)
	for _, v := range []struct {
		name   string
		n      int
		slow   float64
		failed float64
	}{{"v1", base, 1, 0}, {"v2", can, slow, failed}} {
		vs := s.VersionEntry(v.name)
		vs.Latency = engine.NewHistogram()
		for i := range v.n {
			us := int64(float64(10_000+i*37%4000) * v.slow)
			if err := vs.Latency.RecordValue(us); err != nil {
				t.Fatal(err)
			}
			_ = s.Latency.RecordValue(us)
			if float64(i) < float64(v.n)*v.failed {
				s.Status[500]++
				vs.Failed++
			} else {
				s.Status[200]++
			}
		}
		vs.Requests += uint64(v.n)
		s.Requests += uint64(v.n)
	}
	return s
}

// judged runs a real canary judge (intervals of 2 s, 4 of them) over
// secs seconds of the canary v2 beside v1 from t0+50s, as a session
// hands them: the step's start, then the ticks.
func judged(t testing.TB, cl *canaryFleet, secs int, slow, failed float64, opts ...session.CanaryOption) *session.CanarySink {
	t.Helper()
	cfg := canary.DefaultConfig()
	cfg.Interval, cfg.Count = 2*time.Second, 4
	s := session.NewCanary(cfg, opts...)
	if err := s.Open(session.Info{Cluster: cl}); err != nil {
		t.Fatal(err)
	}
	step := experiments.Result{Spec: "canary=v2:25%", Action: session.ActionCanary}
	s.Event(session.Event{Time: t0.Add(50 * time.Second), Source: session.FromOperator, Kind: experiments.StateStarted, Step: &step})
	for k := range secs {
		s.Tick(session.Tick{Snapshot: canaryTick(t, time.Duration(50+k)*time.Second, 300, 100, slow, failed)})
	}
	return s
}

// canaryModel is the cluster scenario with the judge s attached and its
// analysis read at a frame.
func canaryModel(t *testing.T, cl *canaryFleet, s *session.CanarySink, asks <-chan CanaryAsk) Model {
	t.Helper()
	m := clusterScenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute, Cluster: cl, Canary: s, Asks: asks}, 120, 40))
	return update(t, m, FrameMsg{})
}

// TestGoldenCanary: the canary panel while the judge judges, once it
// promoted, once it rolled back, and the operator's question.
func TestGoldenCanary(t *testing.T) {
	t.Run("judging", func(t *testing.T) {
		cl := newCanaryFleet(t)
		m := canaryModel(t, cl, judged(t, cl, 5, 1, 0), nil)
		goldenScreens(t, m, []goldenCase{{"canary_judging_120x40", 120, 40, nil}, {"canary_judging_80x24", 80, 24, nil}})
	})
	t.Run("promoted", func(t *testing.T) {
		cl := newCanaryFleet(t)
		s := judged(t, cl, 9, 1, 0)
		s.Finish(&session.Result{}) // waits for the promotion
		goldenScreens(t, canaryModel(t, cl, s, nil), []goldenCase{{"canary_promoted_120x40", 120, 40, nil}})
	})
	t.Run("rolled back", func(t *testing.T) {
		cl := newCanaryFleet(t)
		s := judged(t, cl, 5, 3, 0.02)
		s.Finish(&session.Result{}) // waits for the rollback
		goldenScreens(t, canaryModel(t, cl, s, nil), []goldenCase{{"canary_rolled_back_120x40", 120, 40, nil}})
	})
	t.Run("asked", func(t *testing.T) {
		cl := newCanaryFleet(t)
		asker := NewCanaryAsker()
		s := judged(t, cl, 5, 3, 0, session.CanaryConfirm(asker.Ask))
		ask := <-asker.Asks()
		m := update(t, canaryModel(t, cl, s, asker.Asks()), ask)
		goldenScreens(t, m, []goldenCase{{"canary_asked_120x40", 120, 40, nil}})
		m, cmd := press(t, m, "y")
		exec(t, m, cmd)
		s.Finish(&session.Result{})
	})
}

// TestCanaryConfirmGates: the judge decided, the cluster is not touched
// until the operator answers; y takes the action the question names, n
// the other; esc does not answer.
func TestCanaryConfirmGates(t *testing.T) {
	for _, tc := range []struct {
		key, call, status string
		action            canary.Action
	}{
		{"y", "abort", "canary v2: roll back…", canary.Rollback},
		{"n", "promote", "canary v2: promote…", canary.Promote},
	} {
		t.Run(tc.key, func(t *testing.T) {
			cl := newCanaryFleet(t)
			asker := NewCanaryAsker()
			s := judged(t, cl, 5, 3, 0, session.CanaryConfirm(asker.Ask))
			ask := <-asker.Asks()
			if ask.Question.Proposed != canary.Rollback {
				t.Fatalf("asked to %s, want roll back", ask.Question.Proposed)
			}
			m := update(t, canaryModel(t, cl, s, asker.Asks()), ask)
			if !strings.Contains(view(m), "canary v2: roll back? [y/n]") || !strings.Contains(view(m), "y roll back") ||
				!strings.Contains(view(m), "n promote") {
				t.Fatalf("no question with its keys on the screen:\n%s", view(m))
			}
			m, cmd := press(t, m, "esc")
			if cmd != nil || m.mode != modeConfirm {
				t.Fatal("esc answered the canary's question")
			}
			time.Sleep(50 * time.Millisecond)
			if got := cl.called(); len(got) != 0 || !s.Result().Awaiting {
				t.Fatalf("the cluster was called %q before the operator answered (awaiting %v)", got, s.Result().Awaiting)
			}
			m, cmd = press(t, m, tc.key)
			if m.status != tc.status {
				t.Errorf("status %q, want %q", m.status, tc.status)
			}
			exec(t, m, cmd)
			s.Finish(&session.Result{}) // waits for the action
			if got := cl.called(); len(got) != 1 || got[0] != tc.call {
				t.Errorf("the cluster was called %q, want [%s]", got, tc.call)
			}
			if r := s.Result(); r.Action != tc.action || !r.Confirmed || !r.Acted {
				t.Errorf("action %s, confirmed %v, acted %v; want %s by the operator", r.Action, r.Confirmed, r.Acted, tc.action)
			}
		})
	}
}

// TestCanaryPanelFigures: the panel's figures are the judge's own (the
// last interval's while judging, every interval's merged once decided),
// not the UI's.
func TestCanaryPanelFigures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		slow   float64
		failed float64
		state  string
	}{{"judging", 1.1, 0, "judging 2/4"}, {"decided", 1, 0.05, "decided after 1/4"}} {
		t.Run(tc.name, func(t *testing.T) {
			cl := newCanaryFleet(t)
			s := judged(t, cl, 5, tc.slow, tc.failed)
			m := canaryModel(t, cl, s, nil)
			r := s.Result()
			fig, span := r.Intervals[len(r.Intervals)-1], r.Spans[len(r.Spans)-1]
			if r.Decision.Action != canary.Undecided {
				fig = r.Decision.Overall
			}
			for _, row := range []struct {
				name string
				f    canary.Figures
			}{{"v2 canary", fig.Canary}, {"v1 baseline", fig.Baseline}} {
				line := lineWith(t, view(m), row.name)
				share := float64(row.f.Requests) / float64(fig.Canary.Requests+fig.Baseline.Requests)
				for _, want := range []string{fmt.Sprintf("%.1f%%", share*100), header.Rate(float64(row.f.Requests) / span.Seconds()),
					fmt.Sprintf("%.2f%%", row.f.ErrorRate*100), header.Ms(row.f.P50), header.Ms(row.f.P99)} {
					if !strings.Contains(line, want) {
						t.Errorf("row %q lacks the judge's %s", line, want)
					}
				}
			}
			if !strings.Contains(view(m), tc.state) {
				t.Errorf("no %q in:\n%s", tc.state, view(m))
			}
			s.Finish(&session.Result{})
		})
	}
}

// TestCanaryKey: c opens the prompt with the next version at 25%, and a
// bad answer is refused in the prompt (a good one starts the canary on
// the real fleet in cli's tmux test).
func TestCanaryKey(t *testing.T) {
	cl := newCanaryFleet(t)
	cfg := canary.DefaultConfig()
	s := session.NewCanary(cfg)
	if err := s.Open(session.Info{Cluster: cl}); err != nil {
		t.Fatal(err)
	}
	m := canaryModel(t, cl, s, nil)
	if !strings.Contains(view(m), "c canary") {
		t.Errorf("the help bar lacks the canary key:\n%s", view(m))
	}
	m, _ = press(t, m, "c")
	if m.mode != modePrompt || m.prompt.Value() != "v3:25%" {
		t.Fatalf("mode %d, prompt %q: want the canary prompt with v3:25%%", m.mode, m.prompt.Value())
	}
	for range len("v3:25%") {
		m = update(t, m, keyMsg("backspace"))
	}
	m = typeText(t, m, "v3 x")
	m, cmd := press(t, m, "enter")
	m, _ = exec(t, m, cmd)
	if m.mode != modePrompt || !strings.Contains(view(m), "want VERSION[:SHARE]") {
		t.Fatalf("a bad canary was not refused in the prompt:\n%s", view(m))
	}
}

// TestCanaryEventsLogged: the canary judge's events reach the event log
// through the sink, the decision marked through the charts.
func TestCanaryEventsLogged(t *testing.T) {
	s := NewSink()
	defer s.Close(nil)
	at := t0.Add(60 * time.Second)
	s.Event(session.Event{Time: at, Source: session.FromCanary, Kind: session.CanaryIntervalJudged, Title: "canary 1/6 fail",
		Message: "v2 errors 30.9% vs v1 0.00% (+30.9 pp > 0.5 pp, p < 0.001)"})
	s.Event(session.Event{Time: at, Source: session.FromCanary, Kind: session.CanaryDecided, Title: "canary rollback",
		Message: "v2 errors 30.9% vs v1 0.00% (+30.9 pp, p < 0.001, in 1 of 1 interval): roll back"})
	s.Event(session.Event{Time: at.Add(time.Second), Source: session.FromCanary, Kind: session.CanaryRolledBack,
		Title: "canary rolled back", Message: "canary v2: rolled back in 1.2s"})
	fr, ok := s.Feed.take()
	if !ok || len(fr.Judged) != 3 {
		t.Fatalf("the feed has %d canary events, want 3", len(fr.Judged))
	}
	m := update(t, scenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute}, 120, 40)), FrameMsg(fr))
	es := m.Entries()
	got := es[len(es)-3:]
	if got[0].Text != "canary 1/6 fail: v2 errors 30.9% vs v1 0.00% (+30.9 pp > 0.5 pp, p < 0.001)" || got[0].Major {
		t.Errorf("interval entry %+v", got[0])
	}
	if !got[1].Major || !strings.HasSuffix(got[1].Text, "): roll back") || got[1].Label != "rollback" {
		t.Errorf("decision entry %+v: want a major mark with the verdict", got[1])
	}
	if got[2].Text != "canary v2: rolled back in 1.2s" {
		t.Errorf("action entry %+v", got[2])
	}
}

// TestCanaryQuestionWithdrawn: a plan's rollback step that acts while the
// operator is asked withdraws the question: the box closes at the next
// frame and the status line says why, the cluster left to the step.
func TestCanaryQuestionWithdrawn(t *testing.T) {
	cl := newCanaryFleet(t)
	asker := NewCanaryAsker()
	s := judged(t, cl, 5, 3, 0, session.CanaryConfirm(asker.Ask))
	ask := <-asker.Asks()
	m := update(t, canaryModel(t, cl, s, asker.Asks()), ask)
	if m.mode != modeConfirm {
		t.Fatalf("no question on the screen:\n%s", view(m))
	}
	step := experiments.Result{Spec: "60s:rollback", Action: "rollback"}
	s.Event(session.Event{Time: t0.Add(60 * time.Second), Source: session.FromStep, Kind: experiments.StateStarted, Step: &step})
	for deadline := time.Now().Add(5 * time.Second); s.Result().Awaiting; {
		if time.Now().After(deadline) {
			t.Fatal("the question was not withdrawn")
		}
		time.Sleep(5 * time.Millisecond)
	}
	m = update(t, m, FrameMsg{})
	if m.mode == modeConfirm || !strings.Contains(m.status, "canary v2: the question is withdrawn: the plan's step 60s:rollback acted") {
		t.Fatalf("mode %v, status %q: want the box closed and why", m.mode, m.status)
	}
	s.Finish(&session.Result{})
	if got := cl.called(); len(got) != 0 {
		t.Errorf("the judge called the cluster %q: the step acts alone", got)
	}
}
