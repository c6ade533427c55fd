package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/session"
)

// judgedRun is the scenario judged for real by a session.ThresholdSink on
// three thresholds (latency p(99)<200 holds, availability rate>0.99 fails
// in the burst of errors at 0:40, latency{version:v2} has no data: no
// answer named a version), its statuses read by the model at each frame,
// and the judge's changes of state handed over in the frames as the
// session's would be; steps at 1:40 and 2:00 are to come.
func judgedRun(t testing.TB, w, h int, exprs ...[2]string) (Model, *session.ThresholdSink) {
	t.Helper()
	var ths []analysis.Threshold
	for _, e := range exprs {
		th, err := analysis.ParseThreshold(e[0], e[1])
		if err != nil {
			t.Fatal(err)
		}
		ths = append(ths, th)
	}
	judge, err := session.NewThresholds(ths, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps := []TimedStep{{Step: mustStep(t, "120s:kill=1")}, {Step: mustStep(t, "100s:upgrade=v2")}}
	m := newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute, Thresholds: ths, Statuses: judge.Statuses, Steps: steps}, w, h)
	ok := make([]bool, len(ths))
	for i := range ok {
		ok[i] = true
	}
	m = judgedScenario(t, m, func(f FrameMsg) FrameMsg {
		judge.Tick(session.Tick{Snapshot: f.Snapshot})
		for i, s := range judge.Statuses() {
			if s.OK == ok[i] {
				continue
			}
			ok[i] = s.OK
			kind := session.ThresholdPassed
			if !s.OK {
				kind = session.ThresholdFailed
			}
			j, _ := judgeEvent(session.Event{Time: f.Snapshot.End, Source: session.FromJudge, Kind: kind, Threshold: &s})
			f.Judged = append(f.Judged, j)
		}
		return f
	})
	return m, judge
}

func mustStep(t testing.TB, spec string) experiments.Step {
	t.Helper()
	s, err := experiments.ParseStep(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// threeThresholds are judgedRun's: one holds, one fails, one has no data.
var threeThresholds = [][2]string{{"latency", "p(99)<200"}, {"availability", "rate>0.99"}, {"latency{version:v2}", "p(99)<100"}}

// TestGoldenThresholds shows the thresholds' line under the charts while
// the run goes on (✓, ✗ with the value, no data, the next step's
// countdown, 2 ✗ in the header, the failure in the events and on the time
// axis) at the documented sizes, and the header's verdict at the end.
func TestGoldenThresholds(t *testing.T) {
	base, judge := judgedRun(t, 120, 40, threeThresholds...)
	st := judge.Statuses()
	if len(st) != 3 || !st[0].OK || st[1].OK || st[1].NoData || st[2].OK || !st[2].NoData {
		t.Fatalf("the scenario's statuses %v: want ✓, ✗ and no data", st)
	}
	goldenScreens(t, base, []goldenCase{
		{"running_120x40", 120, 40, nil},
		{"running_100x32", 100, 32, nil},
		{"running_80x24", 80, 24, nil},
	})
	end := func(m Model, v analysis.Verdict, statuses []analysis.Status) Model {
		return update(t, m, FrameMsg{End: &Outcome{Verdict: v, Thresholds: statuses}})
	}
	var res session.Result
	judge.Finish(&res)
	failed := end(base, session.VerdictOf(&res), res.Thresholds)
	if failed.Quitting() || failed.verdict != analysis.VerdictFail {
		t.Fatalf("a judged run stays on its verdict at the end: quitting %v, verdict %q", failed.Quitting(), failed.verdict)
	}
	goldenScreens(t, failed, []goldenCase{{"fail_120x40", 120, 40, nil}, {"fail_80x24", 80, 24, nil}})

	passing, judge := judgedRun(t, 120, 40, [2]string{"latency", "p(99)<200"}, [2]string{"availability", "rate>0.9"})
	res = session.Result{}
	judge.Finish(&res)
	goldenScreens(t, end(passing, session.VerdictOf(&res), res.Thresholds), []goldenCase{{"pass_120x40", 120, 40, nil}})

	// The abort: its event, aborting… until the load's end, then ABORTED.
	abort := slices.Clone(st)
	abort[1].Abort = true
	at := t0.Add(90 * time.Second)
	aborting := update(t, base, FrameMsg{Judged: []JudgeEvent{{Time: at, Kind: session.Aborted, Threshold: abort[1].Threshold.String(), Value: ValueText(abort[1])}}})
	goldenScreens(t, aborting, []goldenCase{{"aborting_120x40", 120, 40, nil}})
	goldenScreens(t, end(aborting, analysis.VerdictOf(abort, 0), abort), []goldenCase{{"aborted_120x40", 120, 40, nil}, {"aborted_80x24", 80, 24, nil}})
}

// TestThresholdsKeepGoldens checks that a run without thresholds or steps
// draws no thresholds' line: the screens are the ones without.
func TestThresholdsKeepGoldens(t *testing.T) {
	plain := scenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute}, 120, 40))
	judged := update(t, plain, FrameMsg{End: &Outcome{}})
	if !judged.Quitting() {
		t.Fatal("a run without thresholds quits at its end")
	}
	for _, sz := range [][2]int{{120, 40}, {80, 24}} {
		a := update(t, plain, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		if a.thresholdRows() != 0 {
			t.Fatalf("%dx%d: %d thresholds' rows without thresholds", sz[0], sz[1], a.thresholdRows())
		}
	}
}

// TestJudgedEnd checks the end of a judged run: the load keys say that
// the load ended, the feed's close does not quit (the operator does), q
// quits; the statuses are the final ones, not read again.
func TestJudgedEnd(t *testing.T) {
	m, judge := judgedRun(t, 120, 40, threeThresholds...)
	var res session.Result
	judge.Finish(&res)
	final := slices.Clone(res.Thresholds)
	final[0].Text = "p(99)=1s" // what the model shows must be the outcome's
	m = update(t, m, FrameMsg{End: &Outcome{Verdict: analysis.VerdictFail, Thresholds: final}})
	if m.state != "finished" || !strings.Contains(view(m), "✓ latency p(99)<200 1s") {
		t.Fatalf("state %q, the final statuses not shown:\n%s", m.state, view(m))
	}
	m = update(t, m, frame(90*time.Second, 91*time.Second, 10, time.Millisecond, 200, 800)) // a late frame
	if !strings.Contains(view(m), "✓ latency p(99)<200 1s") {
		t.Fatal("after the end the statuses are the outcome's")
	}
	m, _ = press(t, m, "up")
	if !m.statusErr || m.status != "the load ended: q quits and prints the summary" {
		t.Fatalf("↑ after the end: %q", m.status)
	}
	m, cmd := step(t, m, LoadEndedMsg{})
	if cmd != nil || m.Quitting() {
		t.Fatal("the feed's close must not quit a judged run: the operator reads the verdict")
	}
	if _, cmd = press(t, m, "q"); cmd == nil || cmd() != tea.Quit() {
		t.Fatal("q must quit")
	}
}

func TestNextStep(t *testing.T) {
	// A named step (a plan's) is shown by its name and action; one
	// without (a --step flag) by its time and action.
	steps := []TimedStep{{Step: mustStep(t, "40s:kill=1")}, {Step: mustStep(t, "20s:upgrade=v2"), Name: "upgrade"}}
	for _, tc := range []struct {
		elapsed time.Duration
		want    string
	}{
		{0, "next: upgrade (upgrade=v2) in 20s"},
		{12500 * time.Millisecond, "next: upgrade (upgrade=v2) in 8s"},
		{20 * time.Second, "next: 40s kill=1 in 20s"},
		{39900 * time.Millisecond, "next: 40s kill=1 in 1s"},
		{40 * time.Second, ""},
	} {
		if got := NextStep(steps, tc.elapsed); got != tc.want {
			t.Errorf("at %s: %q, want %q", tc.elapsed, got, tc.want)
		}
	}
	if got := NextStep(nil, 0); got != "" {
		t.Errorf("no steps: %q", got)
	}
}

// TestThresholdSizes checks that with thresholds and steps every screen
// size keeps exactly its lines and cells, and the charts stay.
func TestThresholdSizes(t *testing.T) {
	base, _ := judgedRun(t, 120, 40, threeThresholds...)
	for _, sz := range [][2]int{{120, 40}, {100, 32}, {80, 24}, {81, 25}, {200, 60}} {
		m := update(t, base, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		lines := strings.Split(m.View(), "\n")
		if len(lines) != sz[1] {
			t.Fatalf("%dx%d: %d lines", sz[0], sz[1], len(lines))
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w != sz[0] {
				t.Fatalf("%dx%d: line %d is %d cells", sz[0], sz[1], i, w)
			}
		}
		s := view(m)
		for _, want := range []string{"Throughput", "Latency", "Errors", "thresholds ", "next: 100s upgrade=v2 in 10s"} {
			if !strings.Contains(s, want) {
				t.Fatalf("%dx%d lacks %q:\n%s", sz[0], sz[1], want, s)
			}
		}
	}
}
