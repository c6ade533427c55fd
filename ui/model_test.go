package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/chart"
	"github.com/scalelab/scalelab/ui/components/header"
)

// TestRateKeysDriveTheEngine presses the rate keys against a real engine
// sending to a loopback server and checks the engine's rate and the
// operator markers.
func TestRateKeysDriveTheEngine(t *testing.T) {
	feed := NewFeed()
	eng := runningEngine(t, engine.Rate(100), engine.Tick(100*time.Millisecond), engine.OnSnapshot(feed.Push))
	m := newModel(t, Config{Load: eng, Feed: feed}, 120, 40)
	m, _ = press(t, m, "up")
	if !strings.Contains(view(m), "the load is starting") {
		t.Fatal("load keys before the first frame must wait for the load to start")
	}
	m, _ = exec(t, m, waitFrame(feed))

	m, cmd := press(t, m, "up")
	m, _ = exec(t, m, cmd)
	if got := eng.TargetRate(); got != 120 {
		t.Fatalf("after ↑ the engine's rate is %g, want 120", got)
	}
	for range 2 {
		m, cmd = press(t, m, "down")
		m, _ = exec(t, m, cmd)
	}
	if got := eng.TargetRate(); got != 80 {
		t.Fatalf("after ↑↓↓ the engine's rate is %g, want 80", got)
	}
	es := m.Entries()
	if len(es) != 3 || es[2].Text != "operator: rate → 80/s" || es[2].Label != "rate 80" || !es[2].Major {
		t.Fatalf("entries %+v, want three major rate markers ending at 80/s", es)
	}

	// Typed rate: a bad value is refused in the prompt, a good one applied.
	m, _ = press(t, m, "r")
	if m.mode != modePrompt {
		t.Fatal("r must open the rate prompt")
	}
	for range 5 {
		m, _ = press(t, m, "backspace")
	}
	m = typeText(t, m, "lots")
	m, cmd = press(t, m, "enter")
	m, _ = exec(t, m, cmd)
	if m.mode != modePrompt || !strings.Contains(view(m), `"lots": want a number >= 0`) {
		t.Fatalf("a bad rate must keep the prompt open with an error:\n%s", view(m))
	}
	for range 4 {
		m, _ = press(t, m, "backspace")
	}
	m = typeText(t, m, "250")
	m, cmd = press(t, m, "enter")
	m, cmd = step(t, m, cmd()) // the submission
	if m.mode != modeNormal {
		t.Fatal("a good rate must close the prompt")
	}
	m, _ = exec(t, m, cmd)
	if got := eng.TargetRate(); got != 250 {
		t.Fatalf("typed rate: the engine's rate is %g, want 250", got)
	}

	// Pause and resume.
	m, cmd = press(t, m, "p")
	m, _ = exec(t, m, cmd)
	if m.state != header.Paused || eng.TargetRate() != 0 {
		t.Fatalf("after p: state %q, engine rate %g; want paused at 0", m.state, eng.TargetRate())
	}
	m, cmd = press(t, m, "up")
	if cmd != nil || !strings.Contains(view(m), "load paused: p resumes it first") {
		t.Fatal("↑ while paused must be refused with a message")
	}
	m, cmd = press(t, m, "p")
	m, _ = exec(t, m, cmd)
	if m.state != header.Running || eng.TargetRate() != 250 {
		t.Fatalf("after p again: state %q, engine rate %g; want running at 250", m.state, eng.TargetRate())
	}
	if !strings.Contains(view(m), "RUNNING") {
		t.Fatal("the header must say RUNNING")
	}
}

func TestConcurrencyKeysInClosedLoop(t *testing.T) {
	feed := NewFeed()
	eng := runningEngine(t, engine.Concurrency(4), engine.Tick(100*time.Millisecond), engine.OnSnapshot(feed.Push))
	m := newModel(t, Config{Load: eng, Feed: feed, Model: "closed loop, 4 connections"}, 120, 40)
	m, _ = exec(t, m, waitFrame(feed))
	m, cmd := press(t, m, "k")
	m, _ = exec(t, m, cmd)
	if got := eng.Concurrency(); got != 5 {
		t.Fatalf("after k the engine has %d connections, want 5", got)
	}
	m, _ = press(t, m, "r")
	for range 3 {
		m, _ = press(t, m, "backspace")
	}
	m = typeText(t, m, "2.5")
	m, cmd = press(t, m, "enter")
	m, _ = exec(t, m, cmd)
	if m.mode != modePrompt {
		t.Fatal("a fractional connection count must be refused")
	}
	m, _ = press(t, m, "backspace")
	m, _ = press(t, m, "backspace")
	m, cmd = press(t, m, "enter")
	m, cmd = step(t, m, cmd()) // the submission
	exec(t, m, cmd)
	if got := eng.Concurrency(); got != 2 {
		t.Fatalf("typed 2: the engine has %d connections, want 2", got)
	}
}

func TestStepRate(t *testing.T) {
	for _, tc := range []struct {
		r    float64
		dir  int
		want float64
	}{
		{0, 1, 10}, {0, -1, 0}, {1, -1, 1}, {8, 1, 10}, {10, 1, 12}, {100, 1, 120}, {100, -1, 80},
		{120, -1, 100}, {250, 1, 300}, {333, 1, 400}, {333, -1, 300}, {8000, 1, 10000}, {1000, -1, 800},
	} {
		if got := StepRate(tc.r, tc.dir); got != tc.want {
			t.Errorf("StepRate(%g, %d) = %g, want %g", tc.r, tc.dir, got, tc.want)
		}
	}
	for _, tc := range []struct{ n, dir, want int }{{1, -1, 1}, {1, 1, 2}, {9, 1, 10}, {10, 1, 12}, {10, -1, 9}, {12, -1, 10}, {50, 1, 60}} {
		if got := StepConcurrency(tc.n, tc.dir); got != tc.want {
			t.Errorf("StepConcurrency(%d, %d) = %d, want %d", tc.n, tc.dir, got, tc.want)
		}
	}
}

func TestNextVersion(t *testing.T) {
	for in, want := range map[string]string{"v1": "v2", "v9": "v10", "1.4": "1.5", "stable": "stable-next", "": "v2"} {
		if got := NextVersion(in); got != want {
			t.Errorf("NextVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFramesFeedCharts checks that snapshots become chart columns and
// header figures.
func TestFramesFeedCharts(t *testing.T) {
	m := newModel(t, Config{Load: idleEngine(t)}, 120, 40)
	q := 250 * time.Millisecond
	for i := range 12 { // three seconds: 100, 200, then 300 requests/s
		n := 25 * (1 + i/4)
		m, _ = step(t, m, frame(time.Duration(i)*q, time.Duration(i+1)*q, n, 4*time.Millisecond, 200, 500))
	}
	cols := m.History().Window(10)
	if len(cols) != 3 || cols[0].RPS != 100 || cols[1].RPS != 200 || cols[2].RPS != 300 {
		t.Fatalf("columns %+v, want 100, 200, 300 req/s", cols)
	}
	v := view(m)
	top := lineWith(t, v, "Throughput")
	if !strings.Contains(top, "achieved") || !strings.Contains(top, "target") {
		t.Fatalf("throughput legend: %q", top)
	}
	// The axis tops at a round value: the target rate of 500/s.
	if !strings.Contains(v, "     500┼") {
		t.Fatalf("throughput axis:\n%s", v)
	}
	if !strings.Contains(lineWith(t, v, "Latency"), "p99") {
		t.Fatal("latency legend lacks p99")
	}
	hdr := lineWith(t, v, "achieved ")
	if !strings.Contains(hdr, "target 500/s") || !strings.Contains(hdr, "achieved 200/s") || !strings.Contains(hdr, "requests 600") {
		t.Fatalf("header: %q", hdr)
	}
	if !strings.Contains(lineWith(t, v, "elapsed"), "elapsed 0:03") {
		t.Fatal("header lacks the elapsed time")
	}
	// m toggles the max line into the latency legend; 3 hides the errors.
	m, _ = press(t, m, "m")
	m, _ = press(t, m, "3")
	v = view(m)
	if !strings.Contains(lineWith(t, v, "Latency"), "max") || strings.Contains(v, "Errors (") {
		t.Fatalf("after m and 3:\n%s", v)
	}
	if got := len(strings.Split(v, "\n")); got != 40 {
		t.Fatalf("%d lines, want 40", got)
	}
}

// TestEventsBecomeMarkers checks that cluster events and notes land in the
// event log and on the time axis at their column.
func TestEventsBecomeMarkers(t *testing.T) {
	m := newModel(t, Config{Load: idleEngine(t)}, 120, 40)
	for i := range 20 {
		d := time.Duration(i) * time.Second
		m = update(t, m, frame(d, d+time.Second, 100, 3*time.Millisecond, 200, 100))
	}
	m = update(t, m, eventMsg(cluster.Event{Time: t0.Add(5200 * time.Millisecond), Kind: cluster.ReplicaKilled, Replica: "replica-2", Message: "replica-2 killed"}))
	m = update(t, m, eventMsg(cluster.Event{Time: t0.Add(12 * time.Second), Kind: cluster.ReplicaReady, Replica: "replica-4", Message: "replica-4 ready"}))
	m, _ = press(t, m, "n")
	m = typeText(t, m, "spike!")
	m, cmd := press(t, m, "enter")
	m, _ = exec(t, m, cmd)

	es := m.Entries()
	if len(es) != 3 {
		t.Fatalf("%d entries, want 3", len(es))
	}
	if es[0].Label != "killed r2" || !es[0].Major || es[0].Level != common.Warn {
		t.Fatalf("kill entry %+v", es[0])
	}
	if es[1].Label != "ready r4" || es[1].Major {
		t.Fatalf("ready entry %+v", es[1])
	}
	if es[2].Text != "note: spike!" || es[2].Time != t0.Add(42*time.Second) {
		t.Fatalf("note entry %+v", es[2])
	}
	v := view(m)
	markerLine := lineWith(t, v, " events")
	marker := []rune(markerLine)
	a := chart.AxisWidth
	if marker[a+5] != '▲' || marker[a+12] != '·' {
		t.Fatalf("marker row %q: want ▲ at column 5 and · at 12", string(marker))
	}
	// The ready glyph blocks the kill's label on the first marker row: it
	// goes to the second, under its glyph.
	second := []rune(lineAfter(t, v, markerLine))
	if got := string(second[a+5 : a+14]); got != "killed r2" {
		t.Fatalf("second marker row %q lacks the kill's label under its glyph", string(second))
	}
	// The kill draws a line through the charts at its column.
	tp := strings.Split(v, "\n")
	var through int
	for _, l := range tp {
		if r := []rune(l); len(r) > a+5 && r[a+5] == '┊' {
			through++
		}
	}
	if through < 10 {
		t.Fatalf("only %d chart rows carry the kill's marker line", through)
	}
	if !strings.Contains(v, "0:05.2 replica-2 killed") || !strings.Contains(v, "0:12.0 replica-4 ready") {
		t.Fatalf("event log lacks the events with their times:\n%s", v)
	}
	// Events past the window's start scroll out with it: none is off by one.
	if m.History().IndexAt(t0.Add(5200*time.Millisecond)) != 5 {
		t.Fatal("5.2 s is in column 5")
	}
}

func TestClusterKeysWithoutCluster(t *testing.T) {
	m := newModel(t, Config{Load: idleEngine(t)}, 120, 40)
	for _, k := range []string{"+", "-", "u", "b", "f"} {
		var cmd tea.Cmd
		m, cmd = press(t, m, k)
		if cmd != nil || m.mode != modeNormal {
			t.Fatalf("%s without a cluster must do nothing", k)
		}
		if !strings.Contains(view(m), "no cluster attached: "+k+" needs one") {
			t.Fatalf("%s without a cluster: no message in\n%s", k, view(m))
		}
	}
	m, _ = press(t, m, "esc")
	if !strings.Contains(view(m), "no cluster attached: scale, upgrade, rollback and faults are unavailable") {
		t.Fatal("the status line must say the cluster actions are unavailable")
	}
	if strings.Contains(lineWith(t, view(m), "↑/↓ load"), "scale") {
		t.Fatal("the short help must leave out the cluster actions")
	}
	m, _ = press(t, m, "?")
	if !strings.Contains(view(m), "Cluster: none attached") || !strings.Contains(view(m), "+ scale up") {
		t.Fatalf("the help must mark the cluster actions unavailable:\n%s", view(m))
	}
}

func TestQuitAndEscape(t *testing.T) {
	m := newModel(t, Config{Load: idleEngine(t)}, 120, 40)
	for _, k := range []string{"q", "ctrl+c"} {
		got, cmd := press(t, m, k)
		if cmd == nil || cmd() != tea.Quit() || !got.Quitting() {
			t.Fatalf("%s must quit at once", k)
		}
		if !strings.Contains(view(got), "STOPPING") {
			t.Fatalf("%s: the header must say STOPPING", k)
		}
	}
	// esc closes the help and prompts; in a prompt q is text, ctrl+c quits.
	h, _ := press(t, m, "?")
	if h.mode != modeHelp || !strings.Contains(view(h), "scalelab keys") {
		t.Fatal("? must open the help")
	}
	h, _ = press(t, h, "esc")
	if h.mode != modeNormal || strings.Contains(view(h), "scalelab keys") {
		t.Fatal("esc must close the help")
	}
	p, _ := press(t, m, "n")
	p, cmd := press(t, p, "q")
	if cmd != nil && cmd() == tea.Quit() {
		t.Fatal("q in a prompt is text")
	}
	if !strings.Contains(view(p), "› q") {
		t.Fatalf("the note prompt must show the typed q:\n%s", view(p))
	}
	_, cmd = press(t, p, "ctrl+c")
	if cmd == nil || cmd() != tea.Quit() {
		t.Fatal("ctrl+c must quit from a prompt")
	}
	p, _ = press(t, p, "esc")
	if p.mode != modeNormal || len(p.Entries()) != 0 {
		t.Fatal("esc must close the prompt without adding the note")
	}
	// The load's end quits too.
	e, cmd := step(t, m, LoadEndedMsg{})
	if cmd == nil || cmd() != tea.Quit() || e.state != header.Finished {
		t.Fatal("the end of the load must quit")
	}
}

func TestSizes(t *testing.T) {
	m := newModel(t, Config{Load: idleEngine(t)}, 120, 40)
	for i := range 8 {
		d := time.Duration(i) * time.Second
		m = update(t, m, frame(d, d+time.Second, 100, 3*time.Millisecond, 200, 100))
	}
	for _, sz := range [][2]int{{120, 40}, {80, 24}, {100, 32}, {200, 60}, {81, 25}} {
		m = update(t, m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		lines := strings.Split(m.View(), "\n")
		if len(lines) != sz[1] {
			t.Fatalf("%dx%d: %d lines", sz[0], sz[1], len(lines))
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w != sz[0] {
				t.Fatalf("%dx%d: line %d is %d cells: %q", sz[0], sz[1], i, w, ansi.Strip(l))
			}
		}
		for _, want := range []string{"Throughput", "Latency", "Errors", " events", "Generator", "q quit"} {
			if want == "Generator" && sz[0] < FullWidth {
				want = "in-flight"
			}
			if !strings.Contains(view(m), want) {
				t.Fatalf("%dx%d: no %q in\n%s", sz[0], sz[1], want, view(m))
			}
		}
	}
	for _, sz := range [][2]int{{79, 24}, {120, 23}, {40, 10}} {
		m = update(t, m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		v := view(m)
		if !strings.Contains(v, "Terminal too small") || !strings.Contains(v, "at least 80×24") {
			t.Fatalf("%dx%d: want the too-small message, got\n%s", sz[0], sz[1], v)
		}
	}
}

// TestBurstOfKeys checks that runes that arrive together (bubbletea
// reports them as one key) each act, in order: a menu's choice before the
// next rune; a paste goes whole into a prompt and is refused elsewhere.
func TestBurstOfKeys(t *testing.T) {
	m := scenario(t, newModel(t, Config{Load: idleEngine(t)}, 120, 40))
	m = update(t, m, keyMsg("123m"))
	if m.show != [3]bool{} || !m.showMax {
		t.Fatalf("after the burst 123m: charts shown %v, max %v; want none shown and the max on", m.show, m.showMax)
	}
	m = update(t, m, keyMsg("13"))
	if m.show != [3]bool{true, false, true} {
		t.Fatalf("after the burst 13: charts shown %v, want throughput and errors", m.show)
	}

	paste := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q2"), Paste: true}
	m = update(t, m, paste)
	if m.quitting || m.show != [3]bool{true, false, true} || !strings.Contains(view(m), "paste ignored") {
		t.Fatalf("a paste outside a prompt must do nothing but say so (quitting %v, shown %v):\n%s", m.quitting, m.show, view(m))
	}
	m, _ = press(t, m, "r")
	for range 5 {
		m, _ = press(t, m, "backspace")
	}
	m = update(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("2500"), Paste: true})
	if m.mode != modePrompt || m.prompt.Value() != "2500" {
		t.Fatalf("a paste into the rate prompt: mode %v, value %q; want 2500 in the prompt", m.mode, m.prompt.Value())
	}

	f, err := fleet.New()
	if err != nil {
		t.Fatal(err)
	}
	c := newModel(t, Config{Load: idleEngine(t), Cluster: f}, 120, 40)
	c = update(t, c, stateMsg{State: f.State()})
	c = update(t, c, keyMsg("f31")) // faults, latency, 1 random replica
	if c.mode != modePrompt || !strings.Contains(view(c), "Latency to add") {
		t.Fatalf("the burst f31 must reach the latency prompt (mode %v):\n%s", c.mode, view(c))
	}
}
