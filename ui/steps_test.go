package ui

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/session"
	"github.com/scalelab/scalelab/ui/common"
)

// stepAt is t0 plus s seconds.
func stepAt(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// stepUpdate is a step's session event: its state's kind and text as the
// session emits them (session.StepState).
func stepUpdate(at float64, r experiments.Result) session.Event {
	kind, msg := session.StepState(r)
	return session.Event{Time: stepAt(at), Source: session.FromStep, Kind: kind, Message: msg, Step: &r}
}

// planEvents are a 20 s plan's steps as the session reports them: an
// upgrade from 2 s to 9.5 s, a latency fault at 4 s whose effect a heal
// ended at 11 s, a note= step at 12 s (and the note it makes, the
// operator's as planLoad.Note emits it), an unnamed set-rate at 13 s, a
// scale that failed at 16 s after starting at 14 s.
func planEvents() []session.Event {
	up := experiments.Result{Name: "upgrade", Spec: "upgrade=v2", Action: "upgrade", StartS: 2, From: stepAt(2)}
	upDone := up
	upDone.Completed, upDone.DurationS, upDone.To = true, 7.5, stepAt(9.5)
	slow := experiments.Result{Spec: "4s:latency=200ms", Action: "latency", StartS: 4, From: stepAt(4)}
	slowDone := slow
	slowDone.Completed, slowDone.To = true, stepAt(4)
	slowHealed := slowDone
	slowHealed.EffectS, slowHealed.Until, slowHealed.To = 7, "healed", stepAt(11)
	note := experiments.Result{Name: "back", Spec: "note=back to two", Action: "note", StartS: 12, From: stepAt(12)}
	noteDone := note
	noteDone.Completed, noteDone.To = true, stepAt(12)
	rate := experiments.Result{Spec: "13s:set-rate=150", Action: "set-rate", StartS: 13, From: stepAt(13)}
	rateDone := rate
	rateDone.Completed, rateDone.To = true, stepAt(13)
	grow := experiments.Result{Name: "grow", Spec: "scale=4", Action: "scale", StartS: 14, From: stepAt(14)}
	growFailed := grow
	growFailed.Error, growFailed.DurationS, growFailed.To = "scale 4: the cluster refused", 2, stepAt(16)
	return []session.Event{
		stepUpdate(2, up),
		stepUpdate(4, slow), stepUpdate(4, slowDone),
		stepUpdate(9.5, upDone), stepUpdate(11, slowHealed),
		stepUpdate(12, note),
		{Time: stepAt(12), Source: session.FromOperator, Kind: "note", Message: "note: back to two", Title: "note"},
		stepUpdate(12, noteDone),
		stepUpdate(13, rate), stepUpdate(13, rateDone),
		stepUpdate(14, grow), stepUpdate(16, growFailed),
	}
}

// planFrames is the plan's run: 20 s at 100 req/s, 4 frames a second.
func planFrames() []FrameMsg {
	q := 250 * time.Millisecond
	var out []FrameMsg
	for i := range 80 {
		out = append(out, frame(time.Duration(i)*q, time.Duration(i+1)*q, 25, 2*time.Millisecond, 200, 100))
	}
	return out
}

// livePlan runs the plan's frames and events through a Sink into a
// model, as a session does, until the frame ending at until.
func livePlan(t *testing.T, w, h int, until time.Duration) Model {
	t.Helper()
	sink := NewSink()
	m := newModel(t, Config{Load: replayLoad{connects: true}, Feed: sink.Feed, Window: 20 * time.Second}, w, h)
	events := planEvents()
	for _, f := range planFrames() {
		if f.Snapshot.End.After(t0.Add(until)) {
			break
		}
		for len(events) > 0 && !events[0].Time.After(f.Snapshot.End) {
			sink.Event(events[0])
			events = events[1:]
		}
		sink.Tick(session.Tick{Snapshot: f.Snapshot, CPU: f.CPU, CPUKnown: true, Procs: f.Procs})
		fr, ok := sink.Feed.next()
		if !ok {
			t.Fatal("the feed closed")
		}
		m = update(t, m, FrameMsg(fr))
	}
	return m
}

// planRecording records the plan's run as cli's recorder does: the
// steps FromStep with their results, the note as the operator's.
func planRecording(t *testing.T) *recordings.Recording {
	t.Helper()
	var buf bytes.Buffer
	w, err := recordings.NewWriter(&buf, recordings.Header{Scalelab: "test", Start: t0, Command: "demo",
		Target: "http://127.0.0.1:8080/", Model: "open loop, 500 req/s", Window: 20 * time.Second, Tick: 250 * time.Millisecond},
		recordings.FlushEvery(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	events := planEvents()
	for _, f := range planFrames() {
		for len(events) > 0 && !events[0].Time.After(f.Snapshot.End) {
			e := events[0]
			events = events[1:]
			if e.Step != nil {
				data, _ := json.Marshal(*e.Step)
				w.Event(recordings.Event{Time: e.Time, Source: recordings.FromStep, Kind: e.Kind, Message: e.Message, Data: data})
				continue
			}
			w.Event(recordings.Event{Time: e.Time, Source: recordings.FromOperator, Kind: e.Kind, Message: e.Message, Label: e.Title})
		}
		w.Frame(recordings.Frame{Snapshot: f.Snapshot, CPU: f.CPU, CPUKnown: true, Procs: 2})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := recordings.ReadBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// texts are the entries' lines.
func texts(es []common.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Text)
	}
	return out
}

// wantPlanLines are the event log's lines of the plan's steps, in order:
// each step's start, the upgrade's completion, the fault's effect's end,
// the failure; the note once, as its step's line; no completion of the
// steps that acted at once (the load actions, the fault).
var wantPlanLines = []string{
	"step upgrade (upgrade=v2) started",
	"step 4s:latency=200ms started",
	"step upgrade completed in 7.5s",
	"step 4s:latency=200ms: effect ended after 7.0s (healed)",
	"step back: note: back to two",
	"step set-rate 150/s",
	"step grow (scale=4) started",
	"step grow failed: scale 4: the cluster refused",
}

// TestStepsInTheEventLog runs a plan's step events through the UI's Sink:
// the event log lists each step as wantPlanLines says, the note's text
// once (the note the step made is the operator's event, which the model
// does not take twice), the failure an error drawn through the charts,
// the load actions' marks labelled on the time axis.
func TestStepsInTheEventLog(t *testing.T) {
	m := livePlan(t, 120, 40, 20*time.Second)
	got := texts(m.Entries())
	if strings.Join(got, "\n") != strings.Join(wantPlanLines, "\n") {
		t.Fatalf("event log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantPlanLines, "\n"))
	}
	levels := map[string]common.Level{}
	major := map[string]bool{}
	for _, e := range m.Entries() {
		levels[e.Text], major[e.Text] = e.Level, e.Major
	}
	if levels["step grow failed: scale 4: the cluster refused"] != common.Error || !major["step grow failed: scale 4: the cluster refused"] {
		t.Fatal("a failed step is an error drawn through the charts")
	}
	if !major["step back: note: back to two"] || major["step upgrade (upgrade=v2) started"] {
		t.Fatal("a load action draws a line, a cluster action's start only marks (its cluster's events draw)")
	}
	s := view(m)
	for _, want := range []string{"step back: note: back to two", "step grow failed: scale 4: the"} {
		lineWith(t, s, want)
	}
	marks := lineWith(t, s, " events ")
	marks += "\n" + lineAfter(t, s, marks)
	labels := map[string]string{}
	for _, e := range m.Entries() {
		labels[e.Text] = e.Label
	}
	if labels["step back: note: back to two"] != "back to two" || labels["step set-rate 150/s"] != "rate 150" {
		t.Fatalf("the load actions' marks: %q", labels)
	}
	if !strings.Contains(marks, "✗ grow") || strings.Count(marks, "▲") != 3 {
		t.Fatalf("the marker rows: want the note's, the rate's and the failure's lines, the failure labelled:\n%s", marks)
	}
}

// TestReplayShowsStepsAsLive replays the plan's recording: the event log
// has the live UI's lines (the note once, though the recording has the
// step's start and the note), and the screen is the live one.
func TestReplayShowsStepsAsLive(t *testing.T) {
	r := NewReplay(ReplayConfig{Recording: planRecording(t), Renderer: asciiRenderer(), Paused: true})
	r.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	r.Seek(20 * time.Second)
	got := texts(r.Model().Entries())
	if strings.Join(got, "\n") != strings.Join(wantPlanLines, "\n") {
		t.Fatalf("replay's event log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantPlanLines, "\n"))
	}
	live := livePlan(t, 120, 40, 20*time.Second)
	live.state, live.status = r.m.state, r.m.status
	lv := strings.Split(view(live), "\n")
	rp := strings.Split(ansi.Strip(r.View()), "\n")
	for i := 1; i < len(lv)-1; i++ { // the header's elapsed and the last line are the player's
		if lv[i] != rp[i] {
			t.Fatalf("line %d differs:\nlive:   %q\nreplay: %q", i, lv[i], rp[i])
		}
	}
}

// TestStepEntries: the entries of the steps' events the plan's run does
// not have: a step cut, a fault's effect ended, a rollback started and
// failed.
func TestStepEntries(t *testing.T) {
	cut := experiments.Result{Spec: "5s:upgrade=v3", Action: "upgrade", Error: "the run ended while it ran", Cut: true}
	kind, msg := session.StepState(cut)
	en, ok := stepEntry(StepEvent{Time: t0, Kind: kind, Message: msg, Step: &cut})
	if !ok || en.Text != "step 5s:upgrade=v3 did not complete: the run ended while it ran" || en.Level != common.Warn || en.Major {
		t.Fatalf("cut: %+v", en)
	}
	fault := experiments.Result{Name: "slow", Spec: "latency=200ms", Action: "latency", Completed: true, EffectS: 4, Until: "healed"}
	kind, msg = session.StepState(fault)
	en, ok = stepEntry(StepEvent{Time: t0, Kind: kind, Message: msg, Step: &fault})
	if !ok || en.Text != "step slow: effect ended after 4.0s (healed)" || en.Level != common.Info {
		t.Fatalf("effect ended: %+v", en)
	}
	for _, tc := range []struct {
		e     session.Event
		text  string
		level common.Level
	}{
		{session.Event{Time: t0, Source: session.FromRollback, Kind: "started", Title: "rollback scale=4", Message: "rollback scale=4 started"},
			"rollback scale=4 started", common.Warn},
		{session.Event{Time: t0, Source: session.FromRollback, Kind: "failed", Title: "rollback scale=4", Message: "rollback scale=4 failed after 1.0s: no"},
			"rollback scale=4 failed after 1.0s: no", common.Error},
	} {
		s, ok := stepEvent(tc.e)
		if !ok {
			t.Fatalf("%+v is no step's event", tc.e)
		}
		en, _ := stepEntry(s)
		if en.Text != tc.text || en.Level != tc.level || !en.Major || en.Label == "" {
			t.Fatalf("rollback %s: %+v", tc.e.Kind, en)
		}
	}
	if _, ok := stepEvent(session.Event{Source: session.FromOperator, Kind: "note", Message: "note: x"}); ok {
		t.Fatal("an operator's note is the model's own")
	}
	// The operator's canary (the c key): its start is a line, its end the
	// model's own ("operator: canary v2: done in 1.2s"), live and replayed.
	c := experiments.Result{Spec: "canary=v2:25%", Action: "canary", From: t0}
	cDone := c
	cDone.Completed, cDone.DurationS, cDone.To = true, 1.2, t0.Add(1200*time.Millisecond)
	for i, r := range []experiments.Result{c, cDone} {
		e := stepUpdate(float64(i), r)
		e.Source = session.FromOperator
		live, _ := stepEvent(e)
		data, _ := json.Marshal(r)
		replayed, _ := recordedStep(recordings.Event{Time: e.Time, Source: recordings.FromStep, Kind: e.Kind, Message: e.Message, Data: data})
		for _, s := range []StepEvent{live, replayed} {
			en, ok := stepEntry(s)
			if ok != (i == 0) || ok && en.Text != "step canary=v2:25% started" {
				t.Fatalf("the operator's canary %s: listed %v: %+v", e.Kind, ok, en)
			}
		}
	}
	if operatorStep(experiments.Result{Name: "try", Spec: "canary=v2", Action: "canary"}) ||
		operatorStep(experiments.Result{Spec: "10s:canary=v2", Action: "canary"}) {
		t.Fatal("a plan's named or timed canary is no operator's")
	}
}

// TestGoldenSteps compares the plan's screens with the files in testdata
// (go test ./ui -run TestGoldenSteps -update): at its end, the upgrade's
// and the fault's spans on two rows under the marks (they overlapped) in
// the full layout, on one in the reduced, where the second gives way;
// while the scale runs, its span open up to the current column.
func TestGoldenSteps(t *testing.T) {
	goldenScreens(t, livePlan(t, 120, 40, 20*time.Second), []goldenCase{
		{"end_120x40", 120, 40, nil},
		{"end_80x24", 80, 24, nil},
	})
	goldenScreens(t, livePlan(t, 120, 40, 15750*time.Millisecond), []goldenCase{
		{"running_80x24", 80, 24, nil},
	})
}
