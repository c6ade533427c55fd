package ui

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/scalelab/scalelab/engine"
)

// TestProgramWithEngine runs the UI as a real bubbletea program (teatest)
// on a real engine sending to a loopback server: frames arrive through the
// feed, a key changes the engine's rate, q quits.
func TestProgramWithEngine(t *testing.T) {
	feed := NewFeed()
	eng := runningEngine(t, engine.Rate(200), engine.Tick(250*time.Millisecond), engine.OnSnapshot(feed.Push))
	cfg := Config{Target: "http://loopback/", Model: "open loop, 200 req/s", Load: eng, Feed: feed, Renderer: asciiRenderer()}
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(120, 40))

	waitOutput(t, tm, "target 200/s", "the target rate")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return regexp.MustCompile(`achieved [1-9][0-9]*/s`).Match(b)
	}, teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(50*time.Millisecond))
	tm.Send(keyMsg("up"))
	waitOutput(t, tm, "operator: rate → 250/s", "the rate change in the event log")
	if got := eng.TargetRate(); got != 250 {
		t.Fatalf("engine rate %g after ↑, want 250", got)
	}
	tm.Send(keyMsg("q"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	if !fm.Quitting() {
		t.Fatal("the final model must be quitting")
	}
	if fm.History().Requests() == 0 {
		t.Fatal("the model saw no requests")
	}
}

// waitOutput waits until the program's output contains s (what names it
// in the failure).
func waitOutput(t *testing.T, tm *teatest.TestModel, s, what string) {
	t.Helper()
	t.Logf("waiting for %s", what)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte(s))
	}, teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(50*time.Millisecond))
}

var _ tea.Model = Model{}
