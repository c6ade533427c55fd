package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/fleet"
)

// kubeFleet is a real local fleet dressed as a Kubernetes Deployment, as
// guardedFleet is: it implements the optional interfaces (pause, resume,
// restart, autoscaler) and Confirmer, records what the UI called, refuses
// the faults Kubernetes cannot inject (hang, latency, errors) as the
// driver does, and gives its replicas Kubernetes-like fields: a revision
// per version, a node, restarts and endpoints.
type kubeFleet struct {
	*fleet.Fleet
	ask bool

	mu     sync.Mutex
	calls  []string
	faults []cluster.Fault
	paused bool
	revs   map[string]string // version → revision, in order of appearance
	fail   error             // returned by the optional actions when set
}

// nodes are the test nodes: a short name and a cloud one with a domain.
var nodes = []string{"kind-worker", "gke-lab-default-pool-6f1c2a9b-k2x7.c.proj.internal"}

func newKubeFleet(f *fleet.Fleet, ask bool) *kubeFleet {
	return &kubeFleet{Fleet: f, ask: ask, revs: map[string]string{}}
}

func (k *kubeFleet) ConfirmActions() (string, bool) {
	return "deployment demo in namespace test of cluster e2e", k.ask
}

func (k *kubeFleet) record(call string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = append(k.calls, call)
	return k.fail
}

// Calls are the optional actions called so far.
func (k *kubeFleet) Calls() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.calls)
}

func (k *kubeFleet) PauseRollout(context.Context) error {
	if err := k.record("pause"); err != nil {
		return err
	}
	k.mu.Lock()
	k.paused = true
	k.mu.Unlock()
	return nil
}

func (k *kubeFleet) ResumeRollout(context.Context) error {
	if err := k.record("resume"); err != nil {
		return err
	}
	k.mu.Lock()
	k.paused = false
	k.mu.Unlock()
	return nil
}

func (k *kubeFleet) Restart(context.Context) error { return k.record("restart") }

func (k *kubeFleet) Autoscaler() (cluster.Autoscaler, bool) {
	s := k.Fleet.State()
	live := 0
	for _, r := range s.Replicas {
		if r.Phase.Live() {
			live++
		}
	}
	return cluster.Autoscaler{Name: "demo", Min: 2, Max: 6, Current: live, Desired: s.Desired, Metrics: []string{"cpu 45%/60%"}}, true
}

// Inject records the fault; kills go to the fleet (a share or a force
// becomes a count: the fleet's kills are always abrupt), the faults a
// Deployment cannot inject are refused.
func (k *kubeFleet) Inject(ctx context.Context, f cluster.Fault) error {
	k.mu.Lock()
	k.faults = append(k.faults, f)
	k.mu.Unlock()
	switch f.Kind {
	case cluster.FaultHang, cluster.FaultLatency, cluster.FaultErrors:
		return fmt.Errorf("%s: a Kubernetes Deployment cannot inject it (kill and bad-version only)", f.Kind)
	case cluster.FaultKill:
		live := 0
		for _, r := range k.Fleet.State().Replicas {
			if r.Phase.Live() {
				live++
			}
		}
		if f.Replica == "" {
			n, err := f.Targets(live)
			if err != nil {
				return err
			}
			f.Count = n
		}
		f.Percent, f.Force = 0, false
	}
	return k.Fleet.Inject(ctx, f)
}

// Faults are the faults injected so far.
func (k *kubeFleet) Faults() []cluster.Fault {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.faults)
}

// State is the fleet's state with Kubernetes fields.
func (k *kubeFleet) State() cluster.State {
	s := k.Fleet.State()
	k.mu.Lock()
	defer k.mu.Unlock()
	s.Rollout.Paused = k.paused
	for i := range s.Replicas {
		r := &s.Replicas[i]
		if k.revs[r.Version] == "" {
			k.revs[r.Version] = fmt.Sprint(len(k.revs) + 1)
		}
		r.Revision = k.revs[r.Version]
		r.Node = nodes[i%len(nodes)]
		r.EndpointsKnown, r.InEndpoints = true, r.Phase == cluster.Ready
	}
	return s
}

var (
	_ cluster.RolloutPauser = (*kubeFleet)(nil)
	_ cluster.Restarter     = (*kubeFleet)(nil)
	_ cluster.Autoscaled    = (*kubeFleet)(nil)
	_ Confirmer             = (*kubeFleet)(nil)
)

var errForbidden = errors.New(`deployments.apps "demo" is forbidden: needs patch on deployments`)

// helpBar is the screen's last line.
func helpBar(v string) string {
	lines := strings.Split(v, "\n")
	return lines[len(lines)-1]
}

// TestKubeKeysOnlyWhenAvailable checks that the pause, resume and
// restart keys appear in the help bar and the help screen only on a
// cluster that offers them, resume only while paused, and do nothing
// elsewhere but say why.
func TestKubeKeysOnlyWhenAvailable(t *testing.T) {
	f, err := fleet.New()
	if err != nil {
		t.Fatal(err)
	}
	plain := newModel(t, Config{Load: idleEngine(t), Cluster: f}, 120, 40)
	plain, _ = exec(t, plain, fetchState(f))
	v := view(plain)
	for _, absent := range []string{"resume rollout", "restart", "HPA"} {
		if strings.Contains(v, absent) {
			t.Errorf("the local fleet's screen shows %q:\n%s", absent, v)
		}
	}
	if !strings.Contains(helpBar(v), "P pause rollout") { // the fleet pauses rollouts too
		t.Errorf("the local fleet's help bar has no pause rollout: %q", helpBar(v))
	}
	for _, k := range []string{"R"} {
		m, cmd := press(t, plain, k)
		if cmd != nil || m.mode != modeNormal {
			t.Fatalf("%s on the local fleet must do nothing", k)
		}
		if l := lineWith(t, view(m), "✗ "); !strings.Contains(l, k+" (") || !strings.Contains(l, "this cluster does not offer it") {
			t.Errorf("%s on the local fleet: status %q", k, l)
		}
	}
	h, _ := press(t, plain, "?")
	if v := view(h); strings.Contains(v, "rolling restart") {
		t.Errorf("the local fleet's help lists the Kubernetes keys:\n%s", v)
	}
	none := newModel(t, Config{Load: idleEngine(t)}, 120, 40)
	if m, _ := press(t, none, "R"); !strings.Contains(view(m), "no cluster attached: R needs one") {
		t.Errorf("R without a cluster:\n%s", view(m))
	}

	k := newKubeFleet(f, false)
	m := newModel(t, Config{Load: idleEngine(t), Cluster: k}, 120, 40)
	m, _ = exec(t, m, fetchState(k))
	bar := helpBar(view(m))
	if !strings.Contains(bar, "P pause rollout") || !strings.Contains(bar, "R restart") || strings.Contains(bar, "resume") {
		t.Errorf("help bar on Kubernetes: %q", bar)
	}
	h, _ = press(t, m, "?")
	if v := view(h); !strings.Contains(v, "P pause rollout") || !strings.Contains(v, "R rolling restart") || strings.Contains(v, "resume rollout") {
		t.Errorf("help screen on Kubernetes:\n%s", v)
	}
	k.paused = true
	m, _ = exec(t, m, fetchState(k))
	if bar := helpBar(view(m)); !strings.Contains(bar, "P resume rollout") || strings.Contains(bar, "pause rollout") {
		t.Errorf("help bar while paused: %q", bar)
	}
	narrow := update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if bar := helpBar(view(narrow)); strings.Contains(bar, "rollout") || strings.Contains(bar, "…") {
		t.Errorf("the narrow help bar must leave the optional keys to the help screen: %q", bar)
	}
	h, _ = press(t, narrow, "?")
	if v := view(h); !strings.Contains(v, "P resume rollout") {
		t.Errorf("narrow help screen lacks the resume key:\n%s", v)
	}
}

// TestKubeOptionalActionsCallTheCluster presses the optional keys on a
// real fleet dressed as a Deployment: pause and resume at once, restart
// after the operator's yes, each outcome in the event log, a refusal
// reported without stopping the UI.
func TestKubeOptionalActionsCallTheCluster(t *testing.T) {
	f, events := startFleet(t, 2)
	k := newKubeFleet(f, true)
	m := newModel(t, Config{Load: idleEngine(t), Cluster: k, Events: events}, 120, 40)
	m, _ = exec(t, m, fetchState(k))

	m, cmd := press(t, m, "P")
	if m.mode != modeNormal || cmd == nil {
		t.Fatal("pausing a rollout is not destructive: no question")
	}
	m = act(t, m, cmd, "pause rollout")
	m, _ = exec(t, m, fetchState(k))
	v := view(m)
	if !strings.Contains(lineWith(t, v, "Replicas 2/2"), "surge 1 · unavail 0") {
		t.Errorf("the title lacks the rollout bounds:\n%s", v)
	}
	if !strings.Contains(v, "PAUSED changes roll out on resume") {
		t.Errorf("after P the screen must say the rollout is paused:\n%s", v)
	}
	if es := m.Entries(); !strings.HasPrefix(es[len(es)-1].Text, "operator: pause rollout: done in") || es[len(es)-1].Label != "paused" {
		t.Errorf("the event log must say the pause was done: %+v", es[len(es)-1])
	}
	m, cmd = press(t, m, "P")
	m = act(t, m, cmd, "resume rollout")
	m, _ = exec(t, m, fetchState(k))
	if strings.Contains(view(m), "PAUSED") {
		t.Error("after the resume the screen still says PAUSED")
	}

	m, cmd = press(t, m, "R")
	if cmd != nil || m.mode != modeConfirm || !strings.Contains(view(m), "rolling restart on deployment demo in namespace test of cluster e2e?") {
		t.Fatalf("a restart must ask first, naming the cluster:\n%s", view(m))
	}
	m, _ = press(t, m, "n")
	if got := k.Calls(); !slices.Equal(got, []string{"pause", "resume"}) {
		t.Fatalf("calls %v after a cancelled restart, want pause, resume", got)
	}
	m, _ = press(t, m, "R")
	m, cmd = press(t, m, "y")
	m = act(t, m, cmd, "rolling restart")
	if got := k.Calls(); !slices.Equal(got, []string{"pause", "resume", "restart"}) {
		t.Fatalf("calls %v, want pause, resume, restart", got)
	}

	// A driver that refuses (RBAC): the failure is logged, the UI goes on.
	k.mu.Lock()
	k.fail = errForbidden
	k.mu.Unlock()
	m, cmd = press(t, m, "P")
	m, msg := exec(t, m, cmd)
	if am, ok := msg.(actionMsg); !ok || !errors.Is(am.Err, errForbidden) {
		t.Fatalf("got %#v, want the refusal", msg)
	}
	es := m.Entries()
	last := es[len(es)-1]
	if last.Kind != "failed" || last.Level == 0 || !strings.Contains(last.Text, "pause rollout failed: "+errForbidden.Error()) {
		t.Fatalf("last entry %+v, want the refusal", last)
	}
	var kinds []string
	for _, e := range es {
		kinds = append(kinds, e.Kind)
	}
	for _, want := range []string{"rollout-pause", "rollout-resume", "restart"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("no %s entry among %v", want, kinds)
		}
	}
	if !strings.Contains(view(m), "✗ pause rollout failed") {
		t.Errorf("the status line must show the refusal:\n%s", view(m))
	}
}

// TestKubeKillMenu kills pods through the Kubernetes kill menu: the force
// switch, a share, a count and a refused fault.
func TestKubeKillMenu(t *testing.T) {
	f, events := startFleet(t, 4)
	k := newKubeFleet(f, false)
	m := newModel(t, Config{Load: idleEngine(t), Cluster: k, Events: events}, 120, 40)
	m, _ = exec(t, m, fetchState(k))

	m, _ = press(t, m, "f")
	if !strings.Contains(view(m), "kill: delete pods (gracefully, or forced)") {
		t.Fatalf("the fault menu must say a kill deletes pods:\n%s", view(m))
	}
	m = choose(t, m, "1")
	items := m.menu.Items()
	var titles []string
	for _, it := range items {
		titles = append(titles, it.Title)
	}
	if len(items) != 8 || items[0].Title != "1 random pod" || items[3].Title != "force (grace period 0): off" || !strings.HasPrefix(items[4].Title, "replica-") {
		t.Fatalf("kill menu %q: want random, a number, a share, force and the 4 live pods", titles)
	}
	m = choose(t, m, "4") // force on: the menu stays, highlighting it
	if m.mode != modeMenu || m.menu.Selected() != 3 || m.menu.Items()[3].Title != "force (grace period 0): on" ||
		!strings.Contains(view(m), "force kill: which pods?") {
		t.Fatalf("force must switch on in place:\n%s", view(m))
	}
	m = choose(t, m, "3") // a share
	if m.mode != modePrompt || !strings.Contains(view(m), "Share of the pods to delete") {
		t.Fatalf("a share must be asked for:\n%s", view(m))
	}
	m, cmd := press(t, m, "enter") // the offered 50%
	m, msg := exec(t, m, cmd)
	m, cmd = step(t, m, msg)
	m = act(t, m, cmd, "force kill on 50% of the replicas")
	if got := k.Faults(); len(got) != 1 || got[0] != (cluster.Fault{Kind: cluster.FaultKill, Percent: 50, Force: true}) {
		t.Fatalf("faults %+v, want a forced kill of 50%%", got)
	}
	killed := f.State().Count(cluster.Killed)
	if killed != 2 {
		t.Fatalf("%d replicas killed, want 2 (50%% of 4)", killed)
	}

	// A number of pods; a bad number stays in the prompt.
	m, _ = exec(t, m, fetchState(k))
	m, _ = press(t, m, "f")
	m = choose(t, m, "1")
	m = choose(t, m, "2")
	m, _ = press(t, m, "backspace")
	m = typeText(t, m, "none")
	m, cmd = press(t, m, "enter")
	m, _ = exec(t, m, cmd)
	if m.mode != modePrompt || !strings.Contains(view(m), `"none": want a whole number of pods, at least 1`) {
		t.Fatalf("a bad count must keep the prompt open:\n%s", view(m))
	}
	for range 4 {
		m, _ = press(t, m, "backspace")
	}
	m = typeText(t, m, "1")
	m, cmd = press(t, m, "enter")
	m, msg = exec(t, m, cmd)
	m, cmd = step(t, m, msg)
	m = act(t, m, cmd, "kill on 1 random replica")
	if got := k.Faults(); len(got) != 2 || got[1] != (cluster.Fault{Kind: cluster.FaultKill, Count: 1}) {
		t.Fatalf("faults %+v, want a graceful kill of 1 (force is per kill)", got)
	}

	// Hang is refused by the driver: reported, no crash.
	m, _ = exec(t, m, fetchState(k))
	m, _ = press(t, m, "f")
	m = choose(t, m, "2")
	if items := m.menu.Items(); items[0].Title != "1 random replica" {
		t.Fatalf("hang's target menu %+v: the plain one", items)
	}
	m, cmd = chooseCmd(t, m, "1")
	m, msg = exec(t, m, cmd)
	if am, ok := msg.(actionMsg); !ok || am.Err == nil {
		t.Fatalf("hang on Kubernetes: got %#v, want the driver's refusal", msg)
	}
	if l := lineWith(t, view(m), "hang on 1 random replica failed"); !strings.Contains(l, "cannot inject") {
		t.Errorf("the refusal must be shown: %q", l)
	}
}
