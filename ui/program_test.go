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

// waitOutput waits until the program's output contains s and the more
// strings, in any order (what names them in the failure). The output
// read is consumed: a later wait sees only what is drawn after it.
func waitOutput(t *testing.T, tm *teatest.TestModel, s, what string, more ...string) {
	t.Helper()
	t.Logf("waiting for %s", what)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, want := range append([]string{s}, more...) {
			if !bytes.Contains(b, []byte(want)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(50*time.Millisecond))
}

var _ tea.Model = Model{}

// TestProgramOnKubernetesLikeCluster runs the UI as a real program on a
// real engine and a real fleet dressed as a Deployment: the optional keys
// show in the help bar, P pauses the rollout through the cluster and the
// screen turns to PAUSED and offers the resume.
func TestProgramOnKubernetesLikeCluster(t *testing.T) {
	f, events := startFleet(t, 2)
	k := newKubeFleet(f, false)
	feed := NewFeed()
	eng := runningEngine(t, engine.Rate(100), engine.Tick(250*time.Millisecond), engine.OnSnapshot(feed.Push))
	cfg := Config{Target: "http://loopback/", Model: "open loop, 100 req/s", Load: eng, Feed: feed,
		Cluster: k, Events: events, Renderer: asciiRenderer()}
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(120, 40))

	waitOutput(t, tm, "P pause rollout • R restart", "the optional keys in the help bar")
	waitOutput(t, tm, "HPA demo 2–6", "the autoscaler line")
	tm.Send(keyMsg("P"))
	waitOutput(t, tm, "PAUSED", "the paused rollout", "P resume rollout • R restart", "› pause rollout: done in")
	if got := k.Calls(); len(got) != 1 || got[0] != "pause" {
		t.Fatalf("calls %v, want one pause", got)
	}
	tm.Send(keyMsg("q"))
	if fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model); !fm.Quitting() {
		t.Fatal("the final model must be quitting")
	}
}

// TestRapidPressesEachCount sends bursts of keys to a real program, faster
// than the engine and the fleet answer: each + adds a replica to the count
// last asked and each ↑ steps up from the rate last asked, in the order
// pressed.
func TestRapidPressesEachCount(t *testing.T) {
	f, events := startFleet(t, 2)
	feed := NewFeed()
	eng := runningEngine(t, engine.Rate(100), engine.Tick(250*time.Millisecond), engine.OnSnapshot(feed.Push))
	cfg := Config{Target: "http://loopback/", Model: "open loop, 100 req/s", Load: eng, Feed: feed,
		Cluster: f, Events: events, Renderer: asciiRenderer()}
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(120, 40))
	waitOutput(t, tm, "Replicas 2/2 ready", "the fleet's state", "target 100/s")

	for range 6 {
		tm.Send(keyMsg("+"))
	}
	for range 5 {
		tm.Send(keyMsg("up")) // 120, 150, 200, 250, 300
	}
	waitOutput(t, tm, "Replicas 8/8 ready", "six replicas more", "target 300/s")
	if got := f.State().Desired; got != 8 {
		t.Errorf("after 6 presses of + from 2 the fleet wants %d replicas, want 8", got)
	}
	if got := eng.TargetRate(); got != 300 {
		t.Errorf("after 5 presses of ↑ from 100 the rate is %g, want 300", got)
	}
	for range 3 {
		tm.Send(keyMsg("-"))
	}
	waitOutput(t, tm, "Replicas 5/5 ready", "three replicas fewer")
	tm.Send(keyMsg("q"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	if got := f.State().Desired; got != 5 {
		t.Errorf("after 3 presses of - from 8 the fleet wants %d replicas, want 5", got)
	}
	if fm.model != "open loop, 300 req/s" {
		t.Errorf("the header's model is %q, want the rate now", fm.model)
	}
}
