package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/engine"
)

// TestVersionSplitComesAndGoes feeds a rollout v1 → v2 second by second:
// the by-version line appears once two versions answer, follows the
// shares, fits every size, and goes when v1 has been gone for the window.
func TestVersionSplitComesAndGoes(t *testing.T) {
	m := newModel(t, Config{Load: idleEngine(t)}, 120, 40)
	sec := func(i int, n map[string]int) {
		d := time.Duration(i) * time.Second
		m = update(t, m, versionFrame(d, d+time.Second, n, nil))
	}
	for i := range 5 {
		sec(i, map[string]int{"v1": 800})
	}
	if strings.Contains(view(m), "by version") {
		t.Fatal("one version: no split line")
	}
	for i := range 6 {
		sec(5+i, map[string]int{"v1": 800 - 100*i, "v2": 100 * i})
	}
	v := view(m)
	l := lineWith(t, v, "by version")
	for _, want := range []string{"v1 75% 600/s p99 2.00ms 0 failed/s", "v2 25% 200/s p99 3.00ms"} {
		if !strings.Contains(l, want) {
			t.Errorf("split line %q lacks %q", l, want)
		}
	}
	for _, sz := range [][2]int{{120, 40}, {80, 24}, {100, 32}, {200, 60}} {
		r := update(t, m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		lines := strings.Split(r.View(), "\n")
		if len(lines) != sz[1] {
			t.Fatalf("%dx%d: %d lines", sz[0], sz[1], len(lines))
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w != sz[0] {
				t.Fatalf("%dx%d: line %d is %d cells", sz[0], sz[1], i, w)
			}
		}
		if !strings.Contains(view(r), "v2 ") || !strings.Contains(view(r), "Throughput") {
			t.Fatalf("%dx%d: the split or the charts are missing:\n%s", sz[0], sz[1], view(r))
		}
	}
	// Without a resize, the layout made room for the line: the help bar
	// is still the last line.
	if bar := helpBar(v); !strings.Contains(bar, "q quit") {
		t.Fatalf("the split line pushed the help bar off:\n%s", v)
	}
	for i := range 6 {
		sec(11+i, map[string]int{"v2": 800})
	}
	if strings.Contains(view(m), "by version") {
		t.Fatalf("v1 gone for the window: the split line must go:\n%s", view(m))
	}
	if bar := helpBar(view(m)); !strings.Contains(bar, "q quit") {
		t.Fatalf("after the split went the help bar is not last:\n%s", view(m))
	}
}

// TestVersionSplitLiveRollout runs a real engine against a real local
// fleet whose replicas name their version in each answer, rolls it from
// v1 to v2, and follows the screen: the split line shows both versions
// during the rollout and goes once v1 stopped answering.
func TestVersionSplitLiveRollout(t *testing.T) {
	f, events := startFleet(t, 2)
	feed := NewFeed()
	eng := engineOn(t, f.URL(), engine.Rate(200), engine.Tick(250*time.Millisecond), engine.OnSnapshot(feed.Push))
	m := newModel(t, Config{Load: eng, Feed: feed, Cluster: f, Events: events}, 120, 40)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// until feeds frames until the screen satisfies ok, or fails.
	until := func(what string, ok func(string) bool) string {
		t.Helper()
		for ctx.Err() == nil {
			m, _ = exec(t, m, waitFrame(feed))
			if v := view(m); ok(v) {
				return v
			}
		}
		t.Fatalf("no %s in 30 s:\n%s", what, view(m))
		return ""
	}
	until("request from v1", func(string) bool { return m.History().Requests() > 100 })
	upgraded := make(chan error, 1)
	go func() { upgraded <- f.Upgrade(ctx, "v2") }()
	v := until("split by version", func(v string) bool { return strings.Contains(v, "▓ v2 ") })
	l := lineWith(t, v, "by version")
	if !strings.Contains(l, "█ v1 ") || strings.Index(l, "v1") > strings.Index(l, "v2") {
		t.Errorf("split line %q: want v1 then v2", l)
	}
	if err := <-upgraded; err != nil {
		t.Fatal(err)
	}
	until("end of the split", func(v string) bool { return !strings.Contains(v, "by version") })
	if got := m.History().Versions(); len(got) != 1 || got[0].Name != "v2" || got[0].Share != 1 {
		t.Errorf("after the rollout: %+v, want v2 alone", got)
	}
}
