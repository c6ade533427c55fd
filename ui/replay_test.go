package ui

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/ui/common"
)

// replayEvents are the synthetic recording's cluster events.
func replayEvents() []cluster.Event {
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	return []cluster.Event{
		{Time: at(50), Kind: cluster.ReplicaKilled, Replica: "replica-2", Version: "v1", Message: "replica-2 killed (fault)"},
		{Time: at(50.3), Kind: cluster.ReplicaReplaced, Replica: "replica-4", Version: "v1", Message: "replica-4 started (v1), replacing replica-2"},
		{Time: at(51), Kind: cluster.ReplicaReady, Replica: "replica-4", Version: "v1", Message: "replica-4 ready (v1)"},
		{Time: at(70), Kind: cluster.RolloutStarted, Version: "v2", Message: "rollout v1 → v2"},
		{Time: at(70.1), Kind: cluster.ReplicaStarted, Replica: "replica-5", Version: "v2", Message: "replica-5 started (v2)"},
		{Time: at(71), Kind: cluster.ReplicaReady, Replica: "replica-5", Version: "v2", Message: "replica-5 ready (v2)"},
		{Time: at(73.3), Kind: cluster.RolloutDone, Version: "v2", Message: "rollout v2 done"},
	}
}

// replayState is the fleet's state s seconds in.
func replayState(s int) cluster.State {
	st := cluster.State{Desired: 3, Version: "v1", MaxSurge: 1}
	names := []string{"replica-1", "replica-2", "replica-3"}
	version := "v1"
	switch {
	case s >= 73:
		st.Version, st.Previous, version = "v2", "v1", "v2"
		names = []string{"replica-5", "replica-6", "replica-7"}
	case s >= 50:
		names = []string{"replica-1", "replica-3", "replica-4"}
	}
	for _, n := range names {
		st.Replicas = append(st.Replicas, cluster.Replica{Name: n, Version: version, Phase: cluster.Ready, Share: 1.0 / 3, ShareKnown: true})
	}
	return st
}

// replayFile opens the recording of the golden tests' 90 s scenario.
func replayFile(t testing.TB) *recordings.Recording {
	t.Helper()
	data, err := replayData()
	if err != nil {
		t.Fatal(err)
	}
	r, err := recordings.ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// replayData records the scenario (4 frames a second) on a fleet, with
// the operator's rate change and note, once per test binary.
var replayData = sync.OnceValues(func() ([]byte, error) {
	var buf bytes.Buffer
	w, err := recordings.NewWriter(&buf, recordings.Header{
		Scalelab: "test", Start: t0, Command: "demo", Target: "http://127.0.0.1:8080/", Model: "open loop, 500 req/s",
		Window: 5 * time.Minute, Tick: 250 * time.Millisecond, Cluster: "fleet",
	}, recordings.FlushEvery(time.Hour))
	if err != nil {
		return nil, err
	}
	events := replayEvents()
	q := 250 * time.Millisecond
	for i := range 360 {
		from, to := time.Duration(i)*q, time.Duration(i+1)*q
		sec := i / 4
		rate := 500.0
		if sec >= 20 {
			rate = 800
		}
		code, lat := 200, time.Duration(2000+(i%7)*300)*time.Microsecond
		if sec >= 40 && sec < 45 {
			code, lat = 503, lat*4
		}
		for len(events) > 0 && !events[0].Time.After(t0.Add(to)) {
			w.Event(recordings.ClusterEvent(events[0]))
			events = events[1:]
		}
		if i == 80 {
			w.Event(recordings.Event{Time: t0.Add(20 * time.Second), Source: recordings.FromOperator, Kind: "rate",
				Message: "operator: rate → 800/s", Label: "rate 800", Major: true})
		}
		if i == 168 {
			w.Event(recordings.Event{Time: t0.Add(42 * time.Second), Source: recordings.FromOperator, Kind: "note",
				Message: "note: 503s start", Label: "503s start", Major: true})
		}
		fm := frame(from, to, int(rate/4), lat, code, rate)
		st := replayState(sec)
		w.Frame(recordings.Frame{Snapshot: fm.Snapshot, CPU: fm.CPU, CPUKnown: true, Procs: 2, State: &st})
	}
	err = w.Close()
	return buf.Bytes(), err
})

// newReplay returns a paused replay of the scenario, sized w x h, without
// colour.
func newReplay(t testing.TB, w, h int) *Replay {
	t.Helper()
	r := NewReplay(ReplayConfig{Recording: replayFile(t), File: "recordings/20260304-100000-demo.scalelab",
		Renderer: asciiRenderer(), Paused: true})
	r.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return r
}

// replayKey applies a key to the replay.
func replayKey(r *Replay, k string) tea.Cmd {
	_, cmd := r.Update(keyMsg(k))
	return cmd
}

// TestReplayGolden compares the replay's screen at a fixed position with
// the files in testdata (go test ./ui -run TestReplayGolden -update).
func TestReplayGolden(t *testing.T) {
	r := newReplay(t, 120, 40)
	r.Seek(75 * time.Second)
	for _, tc := range []struct {
		name string
		w, h int
		keys []string
	}{
		{"at_1m15_120x40", 120, 40, nil},
		{"at_1m15_80x24", 80, 24, nil},
		{"help_120x40", 120, 40, []string{"?"}},
		{"cluster_key_120x40", 120, 40, []string{"esc", "u"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.Update(tea.WindowSizeMsg{Width: tc.w, Height: tc.h})
			for _, k := range tc.keys {
				replayKey(r, k)
			}
			golden.RequireEqual(t, []byte(ansi.Strip(r.View())))
		})
	}
}

// TestReplayIsTheLiveScreen feeds a live model the recording's frames,
// events and states directly, as the engine and the cluster would: its
// screen is the replay's at the same position, but for the last line (the
// help bar, replaced by the position bar) and the header's player state.
func TestReplayIsTheLiveScreen(t *testing.T) {
	r := newReplay(t, 120, 40)
	r.Seek(75 * time.Second)
	rec := replayFile(t)
	m := newModel(t, Config{Load: replayLoad{connects: true}, Window: 5 * time.Minute, Cluster: &replayCluster{},
		Recording: "recordings/20260304-100000-demo.scalelab"}, 120, 40)
	ev := rec.Events
	for i := range rec.Seek(75 * time.Second) {
		f, err := rec.Frame(i, recordings.Full)
		if err != nil {
			t.Fatal(err)
		}
		for len(ev) > 0 && !ev[0].Time.After(f.Snapshot.End) {
			if ce, ok := ev[0].Cluster(); ok {
				m = update(t, m, eventMsg(ce))
			} else {
				en, _ := replayEntry(ev[0])
				m.log.Add(en)
			}
			ev = ev[1:]
		}
		m = update(t, m, FrameMsg{Snapshot: f.Snapshot, CPU: f.CPU, CPUKnown: true, Procs: f.Procs})
		m = update(t, m, stateMsg{State: *f.State})
	}
	m.state, m.status = r.m.state, r.m.status
	live := strings.Split(view(m), "\n")
	replay := strings.Split(ansi.Strip(r.View()), "\n")
	for i := range len(live) - 1 {
		if live[i] != replay[i] {
			t.Fatalf("line %d differs:\nlive:   %q\nreplay: %q", i, live[i], replay[i])
		}
	}
}

// TestReplaySeekBack rebuilds from the start: seeking back gives the same
// screen as seeking there directly, and so does playing there.
func TestReplaySeekBack(t *testing.T) {
	direct := newReplay(t, 120, 40)
	direct.Seek(55 * time.Second)
	back := newReplay(t, 120, 40)
	back.Seek(65 * time.Second)
	replayKey(back, "left")
	if back.Position() != 55*time.Second {
		t.Fatalf("position %s after ← from 1:05", back.Position())
	}
	if ansi.Strip(back.View()) != ansi.Strip(direct.View()) {
		t.Fatalf("seek back:\n%s\n\ndirect:\n%s", ansi.Strip(back.View()), ansi.Strip(direct.View()))
	}
	played := newReplay(t, 120, 40)
	replayKey(played, ">")
	replayKey(played, ">") // 4×
	if cmd := replayKey(played, " "); cmd == nil || !played.Playing() {
		t.Fatal("space did not start playing")
	}
	at := time.Unix(1000, 0)
	for range 56 { // 55 s at 4×: a tick each quarter of a second
		played.Update(replayTickMsg{gen: played.gen, at: at})
		at = at.Add(250 * time.Millisecond)
	}
	if played.Position() != 55*time.Second || played.Speed() != 4 {
		t.Fatalf("position %s at %d× after 13.75 s of ticks", played.Position(), played.Speed())
	}
	replayKey(played, "p")
	if played.Playing() {
		t.Fatal("p did not pause")
	}
	replayKey(played, "<")
	replayKey(played, ",") // back to 1×, as direct
	if ansi.Strip(played.View()) != ansi.Strip(direct.View()) {
		t.Fatalf("played:\n%s\n\ndirect:\n%s", ansi.Strip(played.View()), ansi.Strip(direct.View()))
	}
}

// TestReplaySpanAndResize: a jump feeds only the frames the charts show
// into columns (the older ones count in the totals), which draws the same
// screen as feeding them all; widening the terminal afterwards rebuilds
// the columns the wider charts need.
func TestReplaySpanAndResize(t *testing.T) {
	narrow := newReplay(t, 80, 24)
	narrow.Seek(90 * time.Second)
	if narrow.columnsFrom <= 0 {
		t.Fatalf("columns from %s: the jump fed every frame into columns", narrow.columnsFrom)
	}
	wide := newReplay(t, 120, 40)
	wide.Seek(90 * time.Second)
	if wide.columnsFrom != 0 {
		t.Fatalf("columns from %s at 120x40", wide.columnsFrom)
	}
	wide.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if a, b := ansi.Strip(narrow.View()), ansi.Strip(wide.View()); a != b {
		t.Fatalf("jumped:\n%s\n\nfed every frame:\n%s", a, b)
	}
	narrow.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	wide.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	if a, b := ansi.Strip(narrow.View()), ansi.Strip(wide.View()); a != b || narrow.columnsFrom != 0 {
		t.Fatalf("widened (columns from %s):\n%s\n\nfed every frame:\n%s", narrow.columnsFrom, a, b)
	}
}

// TestReplayKeys checks the player's keys and that the load, cluster and
// note keys only explain why they do nothing.
func TestReplayKeys(t *testing.T) {
	r := newReplay(t, 120, 40)
	if r.Playing() || r.Position() != 0 || !strings.Contains(ansi.Strip(r.View()), "● REPLAY PAUSED") {
		t.Fatal("not paused at the start")
	}
	r.Seek(0)
	var got []time.Duration
	for range 8 {
		replayKey(r, "]")
		got = append(got, r.Position())
	}
	want := []time.Duration{20 * time.Second, 42 * time.Second, 50 * time.Second, 70 * time.Second,
		73*time.Second + 300*time.Millisecond, 90 * time.Second, 90 * time.Second, 90 * time.Second}
	if !equalDurations(got, want) {
		t.Fatalf("] goes to %v, want %v", got, want)
	}
	r.Seek(43 * time.Second)
	var back []time.Duration
	for range 3 {
		replayKey(r, "[")
		back = append(back, r.Position())
	}
	if want := []time.Duration{20 * time.Second, 0, 0}; !equalDurations(back, want) {
		t.Fatalf("[ from 0:43 goes to %v, want %v (a marker less than a second back is skipped)", back, want)
	}
	r.Seek(52 * time.Second)
	if replayKey(r, "["); r.Position() != 50*time.Second {
		t.Fatalf("[ from 0:52 goes to %s", r.Position())
	}
	replayKey(r, "home")
	replayKey(r, "right")
	replayKey(r, "l")
	if r.Position() != 20*time.Second {
		t.Fatalf("two → from 0: %s", r.Position())
	}
	replayKey(r, "end")
	replayKey(r, "right")
	if r.Position() != 90*time.Second || !strings.Contains(ansi.Strip(r.View()), "● REPLAY END") {
		t.Fatalf("past the end: %s", r.Position())
	}
	if cmd := replayKey(r, " "); cmd == nil || r.Position() != 0 || !r.Playing() {
		t.Fatalf("space at the end: position %s, playing %v", r.Position(), r.Playing())
	}
	for k, want := range map[string]string{
		"up": "the load cannot be changed", "k": "the load cannot be changed", "r": "the load cannot be changed",
		"+": "cluster actions are unavailable", "-": "cluster actions are unavailable", "u": "cluster actions are unavailable",
		"b": "cluster actions are unavailable", "f": "cluster actions are unavailable",
		"n": "notes cannot be added",
	} {
		replayKey(r, k)
		if !strings.Contains(ansi.Strip(r.View()), "✗ replay: "+want) || r.m.mode != modeNormal {
			t.Errorf("%s: status %q, mode %d", k, r.m.status, r.m.mode)
		}
	}
	for _, k := range []string{">", ">", ">", ">"} {
		replayKey(r, k)
	}
	if r.Speed() != 10 {
		t.Fatalf("speed %d after four >", r.Speed())
	}
	replayKey(r, "<")
	if r.Speed() != 4 {
		t.Fatalf("speed %d after <", r.Speed())
	}
	replayKey(r, "2")
	if r.m.show[1] {
		t.Fatal("2 did not hide the latency chart")
	}
	if cmd := replayKey(r, "q"); cmd == nil {
		t.Fatal("q did not quit")
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRecordingInTheUI shows where a live session is recorded, tells the
// recording of the operator's entries and shows a recording's warning.
func TestRecordingInTheUI(t *testing.T) {
	var told []common.Entry
	m := newModel(t, Config{Load: idleEngine(t), Recording: "recordings/20260304-100000-run.scalelab",
		OnEntry: func(e common.Entry) { told = append(told, e) }}, 120, 40)
	m = scenario(t, m)
	s := view(m)
	if !strings.Contains(s, "● rec 20260304-100000-run.scalelab") {
		t.Fatalf("no recording in the header:\n%s", s)
	}
	if len(told) != 2 || told[0].Kind != "rate" || told[0].Label != "rate 800" || !told[0].Major ||
		told[1].Kind != "note" || told[1].Text != "note: 503s start" {
		t.Fatalf("told %+v", told)
	}
	m = update(t, m, pausedMsg{At: t0.Add(90 * time.Second)})
	if len(told) != 3 || told[2].Kind != "pause" {
		t.Fatalf("told %+v", told)
	}
	m = update(t, m, tea.KeyMsg{Type: tea.KeyEsc})
	if !strings.Contains(view(m), "recording to recordings/20260304-100000-run.scalelab") {
		t.Fatalf("no recording on the idle status line:\n%s", view(m))
	}
	m = update(t, m, WarningMsg{Text: "recording x: no space left on device (the session goes on)"})
	if s := view(m); !strings.Contains(s, "✗ recording x: no space left on device") {
		t.Fatalf("warning not shown:\n%s", s)
	}
}
