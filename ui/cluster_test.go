package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/ui/components/menu"
)

// startFleet starts a real local fleet of n replicas with short delays,
// stopped when the test ends, and its event subscription.
func startFleet(t *testing.T, n int) (*fleet.Fleet, <-chan cluster.Event) {
	t.Helper()
	f, err := fleet.New(
		fleet.Replicas(n),
		fleet.ReplicaDefaults(fleet.StartupDelay(50*time.Millisecond), fleet.Drain(300*time.Millisecond)),
		fleet.BalancerOptions(fleet.CheckInterval(50*time.Millisecond), fleet.CheckTimeout(time.Second)),
		fleet.ReplaceDelay(200*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	events := f.Subscribe(ctx)
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if err := f.Start(sctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := f.Stop(sctx); err != nil {
			t.Errorf("fleet stop: %v", err)
		}
		cancel()
	})
	return f, events
}

// drainEvents feeds the events that arrive within a short quiet time to the
// model, through the model's own re-issued command.
func drainEvents(t *testing.T, m Model, events <-chan cluster.Event) Model {
	t.Helper()
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return m
			}
			m = update(t, m, eventMsg(e))
		case <-time.After(300 * time.Millisecond):
			return m
		}
	}
}

// act runs a cluster action's command and checks it succeeded.
func act(t *testing.T, m Model, cmd tea.Cmd, what string) Model {
	t.Helper()
	m, msg := exec(t, m, cmd)
	am, ok := msg.(actionMsg)
	if !ok {
		t.Fatalf("%s: got %T, want the action's outcome", what, msg)
	}
	if am.Err != nil {
		t.Fatalf("%s: %v", what, am.Err)
	}
	if am.What != what {
		t.Fatalf("action %q, want %q", am.What, what)
	}
	return m
}

// choose presses k in a menu, feeds the choice back and returns the model
// and the command the choice gave.
func chooseCmd(t *testing.T, m Model, k string) (Model, tea.Cmd) {
	t.Helper()
	m, cmd := press(t, m, k)
	if cmd == nil {
		t.Fatalf("%s in a menu chose nothing", k)
	}
	msg := cmd()
	if _, ok := msg.(menu.ChosenMsg); !ok {
		t.Fatalf("%s in a menu: got %T", k, msg)
	}
	return step(t, m, msg)
}

// choose is chooseCmd for a choice that opens the next menu or prompt.
func choose(t *testing.T, m Model, k string) Model {
	t.Helper()
	m, _ = chooseCmd(t, m, k)
	return m
}

// liveVersions counts the live replicas by version.
func liveVersions(s cluster.State) map[string]int {
	out := map[string]int{}
	for _, r := range s.Replicas {
		if r.Phase.Live() {
			out[r.Version]++
		}
	}
	return out
}

// TestClusterKeysDriveTheFleet presses the cluster keys against a real
// local fleet: scale up and down, rolling upgrade through the version
// prompt, a kill and a latency fault through the fault menu, rollback.
func TestClusterKeysDriveTheFleet(t *testing.T) {
	f, events := startFleet(t, 2)
	m := newModel(t, Config{Load: idleEngine(t), Cluster: f, Events: events}, 120, 40)
	m, _ = exec(t, m, fetchState(f))
	m = drainEvents(t, m, events)

	m, cmd := press(t, m, "+")
	m = act(t, m, cmd, "scale to 3")
	if s := f.State(); s.Desired != 3 || s.Count(cluster.Ready) != 3 {
		t.Fatalf("after +: desired %d, ready %d; want 3, 3", s.Desired, s.Count(cluster.Ready))
	}
	m, _ = exec(t, m, fetchState(f))
	m, cmd = press(t, m, "-")
	m = act(t, m, cmd, "scale to 2")
	m, _ = exec(t, m, fetchState(f))

	m, _ = press(t, m, "u")
	if !strings.Contains(view(m), "Rolling upgrade to version") || !strings.Contains(view(m), "› v2") {
		t.Fatalf("u must prompt for the version, v2 offered:\n%s", view(m))
	}
	m, cmd = press(t, m, "enter")
	m, msg := exec(t, m, cmd)
	m, cmd = step(t, m, msg)
	m = act(t, m, cmd, "upgrade to v2")
	if v := liveVersions(f.State()); v["v2"] != 2 || len(v) != 1 {
		t.Fatalf("after the upgrade: %v, want 2 of v2", v)
	}
	m, _ = exec(t, m, fetchState(f))

	// Kill a named replica through the fault menu.
	m, _ = press(t, m, "f")
	m = choose(t, m, "1") // kill
	items := m.menu.Items()
	if len(items) != 3 || items[0].Title != "1 random replica" {
		t.Fatalf("target menu %+v: want random and the 2 live replicas", items)
	}
	victim := items[1].Value
	m, cmd = chooseCmd(t, m, "2")
	if m.mode != modeNormal {
		t.Fatal("a kill needs no argument: the menu must close")
	}
	m = act(t, m, cmd, "kill on "+victim)

	// Add latency to a random replica: the menu asks for the latency.
	m, _ = exec(t, m, fetchState(f))
	m, _ = press(t, m, "f")
	m = choose(t, m, "3") // latency
	m = choose(t, m, "1") // random
	if m.mode != modePrompt || !strings.Contains(view(m), "Latency to add") {
		t.Fatalf("latency must prompt for the latency:\n%s", view(m))
	}
	m, cmd = press(t, m, "enter") // the offered 200ms
	m, msg = exec(t, m, cmd)
	m, cmd = step(t, m, msg)
	m = act(t, m, cmd, "latency 200ms on 1 random replica")
	faulted := 0
	for _, r := range f.State().Replicas {
		if r.Phase.Live() && r.Fault == "latency 200ms" {
			faulted++
		}
	}
	if faulted != 1 {
		t.Fatalf("%d replicas with the latency fault, want 1: %+v", faulted, f.State().Replicas)
	}

	m, cmd = press(t, m, "b")
	m = act(t, m, cmd, "rollback to v1")
	if v := liveVersions(f.State()); v["v1"] != 2 || len(v) != 1 {
		t.Fatalf("after the rollback: %v, want 2 of v1", v)
	}

	m = drainEvents(t, m, events)
	m, _ = exec(t, m, fetchState(f))
	var labels []string
	for _, e := range m.Entries() {
		labels = append(labels, e.Label)
	}
	all := strings.Join(labels, "|")
	for _, want := range []string{"scale 2 → 3", "scale 3 → 2", "upgrade v2", "killed " + shortName(victim), "latency 200", "rollback v1"} {
		if !strings.Contains(all, want) {
			t.Errorf("no marker %q among %s", want, all)
		}
	}
	v := view(m)
	for _, want := range []string{"Replicas 2/2 ready · v1", "rollout v1 done", "+/- scale", "f faults"} {
		if !strings.Contains(v, want) {
			t.Errorf("the screen lacks %q:\n%s", want, v)
		}
	}
	if l := lineWith(t, v, victim+" "); !strings.Contains(l, "✗ killed") {
		t.Errorf("the replicas panel must show %s killed: %q", victim, l)
	}
}

// guardedFleet is a real fleet that asks for confirmation, as a real
// cluster does (the Kubernetes driver implements Confirmer).
type guardedFleet struct{ *fleet.Fleet }

func (guardedFleet) ConfirmActions() (string, bool) { return "deployment demo in namespace test", true }

// TestConfirmOnRealCluster checks that destructive actions wait for y on a
// cluster that asks, n cancels them, and scaling up does not ask.
func TestConfirmOnRealCluster(t *testing.T) {
	f, events := startFleet(t, 2)
	g := guardedFleet{f}
	m := newModel(t, Config{Load: idleEngine(t), Cluster: g, Events: events}, 120, 40)
	m, _ = exec(t, m, fetchState(g))

	m, cmd := press(t, m, "-")
	if cmd != nil || m.mode != modeConfirm {
		t.Fatal("scale down on a guarded cluster must ask first")
	}
	if v := view(m); !strings.Contains(v, "scale to 1 on deployment demo in namespace test?") || !strings.Contains(v, "y to go ahead") {
		t.Fatalf("the question must name the action and the cluster:\n%s", v)
	}
	m, cmd = press(t, m, "n")
	if cmd != nil || m.mode != modeNormal || !strings.Contains(view(m), "scale to 1: cancelled") {
		t.Fatal("n must cancel")
	}
	if f.State().Desired != 2 {
		t.Fatal("a cancelled scale changed the fleet")
	}

	m, _ = press(t, m, "b")
	m, _ = press(t, m, "esc")
	if m.mode != modeNormal {
		t.Fatal("esc must cancel a question too")
	}

	m, _ = press(t, m, "f")
	m = choose(t, m, "1") // kill
	m, cmd = chooseCmd(t, m, "1")
	if cmd != nil || m.mode != modeConfirm || !strings.Contains(view(m), "kill on 1 random replica on deployment demo") {
		t.Fatalf("a kill on a guarded cluster must ask first:\n%s", view(m))
	}
	m, _ = press(t, m, "n")

	m, cmd = press(t, m, "-")
	m, cmd = press(t, m, "y")
	if m.mode != modeNormal {
		t.Fatal("y must close the question")
	}
	m = act(t, m, cmd, "scale to 1")
	if s := f.State(); s.Desired != 1 || s.Count(cluster.Ready) != 1 {
		t.Fatalf("after yes: desired %d, ready %d; want 1, 1", s.Desired, s.Count(cluster.Ready))
	}
	m, _ = exec(t, m, fetchState(g))
	m, cmd = press(t, m, "+")
	if m.mode != modeNormal || cmd == nil {
		t.Fatal("scaling up is not destructive: no question")
	}
	act(t, m, cmd, "scale to 2")
}

// injectFleet is a real fleet whose Inject only records the faults asked
// (the fleet's own heal is tested in its package), accepting kinds.
type injectFleet struct {
	*fleet.Fleet
	kinds    []cluster.FaultKind
	injected *[]cluster.Fault
}

func (f injectFleet) Inject(_ context.Context, fault cluster.Fault) error {
	*f.injected = append(*f.injected, fault)
	return nil
}

func (f injectFleet) FaultKinds() []cluster.FaultKind { return f.kinds }

// TestHealInFaultMenu checks the fault menu's heal: offered when the
// cluster supports it, for every replica or a named one (its fault
// shown), sent through Inject as a FaultHeal.
func TestHealInFaultMenu(t *testing.T) {
	f, err := fleet.New()
	if err != nil {
		t.Fatal(err)
	}
	var injected []cluster.Fault
	c := injectFleet{Fleet: f, kinds: cluster.FaultKinds(), injected: &injected}
	m := newModel(t, Config{Load: idleEngine(t), Cluster: c}, 120, 40)
	st := cluster.State{Desired: 2, Version: "v1", Replicas: []cluster.Replica{
		{Name: "replica-1", Version: "v1", Phase: cluster.Ready},
		{Name: "replica-2", Version: "v1", Phase: cluster.Ready, Fault: "errors 30%"},
	}}
	m = update(t, m, stateMsg{State: st})
	m, _ = press(t, m, "f")
	if !strings.Contains(view(m), "6  heal: clear a replica's faults, or every replica's") {
		t.Fatalf("the fault menu must offer heal:\n%s", view(m))
	}
	m = choose(t, m, "6")
	items := m.menu.Items()
	if len(items) != 3 || items[0].Title != "every replica" || items[2].Title != "replica-2 (v1, ready) errors 30%" {
		t.Fatalf("heal's targets %+v: want every replica, then each live one with its fault", items)
	}
	m, cmd := chooseCmd(t, m, "1")
	m = act(t, m, cmd, "heal on every replica")
	m, _ = press(t, m, "f")
	m = choose(t, m, "6")
	m, cmd = chooseCmd(t, m, "3")
	act(t, m, cmd, "heal on replica-2")
	want := []cluster.Fault{{Kind: cluster.FaultHeal}, {Kind: cluster.FaultHeal, Replica: "replica-2"}}
	if !slices.Equal(injected, want) {
		t.Fatalf("injected %+v, want %+v", injected, want)
	}

	c.kinds = []cluster.FaultKind{cluster.FaultKill}
	m = newModel(t, Config{Load: idleEngine(t), Cluster: c}, 120, 40)
	m, _ = press(t, m, "f")
	if strings.Contains(view(m), "heal") {
		t.Fatalf("a cluster that does not heal must not be offered it:\n%s", view(m))
	}
}
