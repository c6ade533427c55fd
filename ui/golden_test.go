package ui

import (
	"math"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/report"
)

// scenario feeds a model 90 seconds of a synthetic run: 500 req/s raised to
// 800 at 0:20, a burst of resets and 503s from 0:40 to 0:45 with slower
// answers, and an operator note at 0:42.
func scenario(t testing.TB, m Model) Model {
	t.Helper()
	return judgedScenario(t, m, nil)
}

// judgedScenario is scenario with each frame passed through judge first
// (nil: none), which may add the judge's events to it.
func judgedScenario(t testing.TB, m Model, judge func(FrameMsg) FrameMsg) Model {
	t.Helper()
	q := 500 * time.Millisecond
	for i := range 180 {
		from, to := time.Duration(i)*q, time.Duration(i+1)*q
		sec := i / 2
		rate := 500.0
		if sec >= 20 {
			rate = 800
		}
		n := int(rate / 2)
		lat := time.Duration(2000+int(800*math.Sin(float64(i)/4.5))) * time.Microsecond
		code := 200
		switch {
		case sec >= 40 && sec < 45 && i%2 == 0:
			code = 0
			lat *= 6
		case sec >= 40 && sec < 45:
			code = 503
			lat *= 4
		}
		f := frame(from, to, n, lat, code, rate)
		if judge != nil {
			f = judge(f)
		}
		m = update(t, m, f)
		if i == 40 {
			m = update(t, m, loadMsg{At: t0.Add(20 * time.Second), Value: 800, What: "rate → 800/s", Label: "rate 800", Model: report.OpenModel(800)})
		}
	}
	m, _ = press(t, m, "n")
	m = typeText(t, m, "503s start")
	m, cmd := press(t, m, "enter")
	m, _ = exec(t, m, cmd)
	return m
}

// TestGolden compares the rendered screen, ANSI stripped, with the files
// in testdata (refresh them with go test ./ui -run TestGolden -update).
func TestGolden(t *testing.T) {
	base := scenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute}, 120, 40))
	goldenScreens(t, base, []goldenCase{
		{"full_120x40", 120, 40, nil},
		{"reduced_80x24", 80, 24, nil},
		{"help_120x40", 120, 40, []string{"?"}},
		{"help_80x24", 80, 24, []string{"?"}},
		{"rate_prompt_80x24", 80, 24, []string{"r"}},
		{"too_small_70x20", 70, 20, nil},
	})
}

// goldenCase is a screen compared with its golden file: the base model at
// a size, after some keys.
type goldenCase struct {
	name string
	w, h int
	keys []string
}

// goldenScreens compares each case's screen, ANSI stripped, with its file
// in testdata.
func goldenScreens(t *testing.T, base Model, cases []goldenCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := update(t, base, tea.WindowSizeMsg{Width: tc.w, Height: tc.h})
			for _, k := range tc.keys {
				m, _ = press(t, m, k)
			}
			golden.RequireEqual(t, []byte(view(m)))
		})
	}
}

// clusterScenario is scenario on a cluster mid-rollout, with a killed
// replica: the replicas panel, cluster markers and the event log.
func clusterScenario(t testing.TB, m Model) Model {
	t.Helper()
	m = scenario(t, m)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	for _, e := range []cluster.Event{
		{Time: at(50), Kind: cluster.ReplicaKilled, Replica: "replica-2", Version: "v1", Message: "replica-2 killed (fault)"},
		{Time: at(50.3), Kind: cluster.ReplicaReplaced, Replica: "replica-4", Version: "v1", Message: "replica-4 started (v1), replacing replica-2"},
		{Time: at(51), Kind: cluster.ReplicaReady, Replica: "replica-4", Version: "v1", Message: "replica-4 ready (v1)"},
		{Time: at(70), Kind: cluster.RolloutStarted, Version: "v2", Message: "rollout v1 → v2"},
		{Time: at(70.1), Kind: cluster.ReplicaStarted, Replica: "replica-5", Version: "v2", Message: "replica-5 started (v2)"},
		{Time: at(71), Kind: cluster.ReplicaReady, Replica: "replica-5", Version: "v2", Message: "replica-5 ready (v2)"},
		{Time: at(71.1), Kind: cluster.ReplicaDraining, Replica: "replica-1", Version: "v1", Message: "replica-1 draining (rollout)"},
		{Time: at(73.2), Kind: cluster.ReplicaStopped, Replica: "replica-1", Version: "v1", Message: "replica-1 stopped"},
		{Time: at(73.3), Kind: cluster.ReplicaStarted, Replica: "replica-6", Version: "v2", Message: "replica-6 started (v2)"},
	} {
		m = update(t, m, eventMsg(e))
	}
	return update(t, m, stateMsg{State: cluster.State{
		Desired: 3, Version: "v2", Previous: "v1", MaxSurge: 1,
		Replicas: []cluster.Replica{
			{Name: "replica-1", Version: "v1", Phase: cluster.Stopped},
			{Name: "replica-2", Version: "v1", Phase: cluster.Killed},
			{Name: "replica-3", Version: "v1", Phase: cluster.Ready, Share: 0.5, ShareKnown: true},
			{Name: "replica-4", Version: "v1", Phase: cluster.Draining, Share: 0.1, ShareKnown: true},
			{Name: "replica-5", Version: "v2", Phase: cluster.Ready, Share: 0.4, ShareKnown: true, Fault: "latency 200ms"},
			{Name: "replica-6", Version: "v2", Phase: cluster.Starting, ShareKnown: true},
		},
		Rollout: cluster.Rollout{Active: true, Version: "v2", Updated: 2, Ready: 1, Desired: 3},
	}})
}

// TestGoldenCluster is TestGolden with a cluster attached (a real fleet,
// not started: the state and events are the scenario's).
func TestGoldenCluster(t *testing.T) {
	f, err := fleet.New()
	if err != nil {
		t.Fatal(err)
	}
	base := clusterScenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute, Cluster: f}, 120, 40))
	goldenScreens(t, base, []goldenCase{
		{"cluster_120x40", 120, 40, nil},
		{"cluster_80x24", 80, 24, nil},
		{"fault_menu_120x40", 120, 40, []string{"f"}},
		{"help_120x40", 120, 40, []string{"?"}},
	})
}

// TestResizeRedraws checks that a resize gives the same screen as starting
// at that size.
func TestResizeRedraws(t *testing.T) {
	big := scenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute}, 120, 40))
	small := scenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute}, 80, 24))
	resized := update(t, big, tea.WindowSizeMsg{Width: 80, Height: 24})
	if view(resized) != view(small) {
		t.Fatalf("resized to 80x24:\n%s\n\nstarted at 80x24:\n%s", view(resized), view(small))
	}
}

// kubeState is a Deployment mid-rollout v1 → v2 (revisions 3 and 4):
// pods on three nodes, one restarted, one draining out of the endpoints,
// one starting, kubectl's status words, maxSurge 1, maxUnavailable 0.
func kubeState() cluster.State {
	const gke = "gke-lab-default-pool-6f1c2a9b-k2x7.c.proj.internal"
	pod := func(name, version, rev string, p cluster.Phase, node string, share float64, restarts int) cluster.Replica {
		return cluster.Replica{Name: name, Version: version, Revision: rev, Phase: p, Node: node, Restarts: restarts,
			Share: share, ShareKnown: true, EndpointsKnown: true, InEndpoints: p == cluster.Ready}
	}
	return cluster.State{
		Desired: 4, Version: "v2", Previous: "v1", MaxSurge: 1,
		Replicas: []cluster.Replica{
			pod("demo-7d9f8c6b5-z1y2x", "v1", "3", cluster.Stopped, "kind-worker", 0, 0),
			pod("demo-7d9f8c6b5-x2k4z", "v1", "3", cluster.Ready, "kind-worker", 0.3, 0),
			pod("demo-7d9f8c6b5-q8w2n", "v1", "3", cluster.Ready, "kind-worker2", 0.3, 2),
			pod("demo-7d9f8c6b5-m4p7t", "v1", "3", cluster.Draining, gke, 0.05, 0),
			pod("demo-5c4b7f9d8-h6j3k", "v2", "4", cluster.Ready, "kind-worker", 0.35, 0),
			pod("demo-5c4b7f9d8-r9t2v", "v2", "4", cluster.Starting, gke, 0, 0),
		},
		Rollout: cluster.Rollout{Active: true, Version: "v2", Updated: 2, Ready: 1, Available: 1, Desired: 4,
			Message: `Waiting for deployment "demo" rollout to finish: 2 out of 4 new replicas have been updated...` + "\n"},
	}
}

// kubeScenario is scenario on a Kubernetes-like cluster mid-rollout with
// an autoscaler.
func kubeScenario(t testing.TB, m Model) Model {
	t.Helper()
	m = scenario(t, m)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	for _, e := range []cluster.Event{
		{Time: at(60), Kind: cluster.ReplicaKilled, Replica: "demo-7d9f8c6b5-q8w2n", Version: "v1", Message: "demo-7d9f8c6b5-q8w2n: container demo restarted (liveness probe failed)"},
		{Time: at(70), Kind: cluster.RolloutStarted, Version: "v2", Message: "rollout v1 → v2 (revision 4)"},
		{Time: at(70.2), Kind: cluster.Note, Message: "Scaled up replica set demo-5c4b7f9d8 to 1"},
		{Time: at(71), Kind: cluster.ReplicaReady, Replica: "demo-5c4b7f9d8-h6j3k", Version: "v2", Message: "demo-5c4b7f9d8-h6j3k ready (v2)"},
		{Time: at(71.4), Kind: cluster.ReplicaDraining, Replica: "demo-7d9f8c6b5-m4p7t", Version: "v1", Message: "Killing: stopping container demo (demo-7d9f8c6b5-m4p7t)"},
		{Time: at(71.5), Kind: cluster.BalancerRemoved, Replica: "demo-7d9f8c6b5-m4p7t", Message: "demo-7d9f8c6b5-m4p7t left the endpoints"},
		{Time: at(73), Kind: cluster.ReplicaStarted, Replica: "demo-5c4b7f9d8-r9t2v", Version: "v2", Message: "demo-5c4b7f9d8-r9t2v scheduled on gke-lab-default-pool-6f1c2a9b-k2x7"},
	} {
		m = update(t, m, eventMsg(e))
	}
	// Six more seconds in which v2 takes the traffic over, a few of its
	// answers 503s: the split by version shows.
	for i := range 12 {
		from := 90*time.Second + time.Duration(i)*500*time.Millisecond
		n2 := 200 + 20*i
		m = update(t, m, versionFrame(from, from+500*time.Millisecond, map[string]int{"v1": 400 - n2, "v2": n2}, map[string]int{"v2": 1}))
	}
	hpa := cluster.Autoscaler{Name: "demo", Min: 2, Max: 8, Current: 4, Desired: 5, Metrics: []string{"cpu 72%/60%"}}
	return update(t, m, stateMsg{State: kubeState(), HPA: hpa, HasHPA: true})
}

// TestGoldenKube is TestGolden on a Kubernetes-like cluster (a fleet
// dressed as a Deployment, not started: the state and events are the
// scenario's): pod columns, rollout status words, the autoscaler, the
// optional keys and the kill menu.
func TestGoldenKube(t *testing.T) {
	f, err := fleet.New()
	if err != nil {
		t.Fatal(err)
	}
	k := newKubeFleet(f, true)
	base := kubeScenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute, Cluster: k}, 120, 40))
	stalled := kubeState()
	stalled.Rollout.Paused, stalled.Rollout.Stalled = true, true
	stalled.Rollout.Message = `deployment "demo" exceeded its progress deadline`
	for _, tc := range []struct {
		name  string
		w, h  int
		keys  []string
		state *cluster.State
	}{
		{"kube_120x40", 120, 40, nil, nil},
		{"kube_80x24", 80, 24, nil, nil},
		{"kube_100x32", 100, 32, nil, nil},
		{"kube_panels_80x24", 80, 24, []string{"1", "2", "3"}, nil},
		{"kube_kill_menu_120x40", 120, 40, []string{"f", "1", "4"}, nil},
		{"kube_help_120x40", 120, 40, []string{"?"}, nil},
		{"kube_stalled_120x40", 120, 40, nil, &stalled},
		{"kube_stalled_80x24", 80, 24, nil, &stalled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := update(t, base, tea.WindowSizeMsg{Width: tc.w, Height: tc.h})
			if tc.state != nil {
				m = update(t, m, stateMsg{State: *tc.state, HPA: base.hpa, HasHPA: true})
			}
			for _, k := range tc.keys {
				var cmd tea.Cmd
				m, cmd = press(t, m, k)
				if cmd != nil {
					if msg := cmd(); msg != nil {
						m = update(t, m, msg)
					}
				}
			}
			golden.RequireEqual(t, []byte(view(m)))
		})
	}
}

// TestGoldenFaults shows, at the sizes the README documents, a fleet
// whose replicas carry faults, long event lines and the generator's
// warning: each name, fault and warning whole, wrapped rather than cut.
func TestGoldenFaults(t *testing.T) {
	f, err := fleet.New()
	if err != nil {
		t.Fatal(err)
	}
	m := clusterScenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute, Cluster: f}, 120, 40))
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	for _, e := range []cluster.Event{
		{Time: at(80), Kind: cluster.FaultInjected, Replica: "replica-11", Message: "fault: latency 5ms..50ms on replica-11 (every answer waits)"},
		{Time: at(81), Kind: cluster.FaultInjected, Replica: "replica-10", Message: "fault: errors 30% on replica-10, a share of its answers are 500s"},
	} {
		m = update(t, m, eventMsg(e))
	}
	m = update(t, m, stateMsg{State: cluster.State{
		Desired: 5, Version: "v2", Previous: "v1", MaxSurge: 1,
		Replicas: []cluster.Replica{
			{Name: "replica-6", Version: "v2", Phase: cluster.Ready, Share: 0.2, ShareKnown: true},
			{Name: "replica-8", Version: "v2", Phase: cluster.Ready, Share: 0.2, ShareKnown: true},
			{Name: "replica-9", Version: "v2", Phase: cluster.Ready, Share: 0.2, ShareKnown: true},
			{Name: "replica-10", Version: "v2", Phase: cluster.Ready, Share: 0.2, ShareKnown: true, Fault: "errors 30%"},
			{Name: "replica-11", Version: "v2", Phase: cluster.Ready, Share: 0.2, ShareKnown: true, Fault: "latency 5ms..50ms"},
			{Name: "replica-7", Version: "v1", Phase: cluster.Killed},
		},
	}})
	m.cpu, m.cpuKnown, m.procs = 0.95, true, 2
	goldenScreens(t, m, []goldenCase{
		{"faults_80x24", 80, 24, nil},
		{"faults_100x32", 100, 32, nil},
		{"faults_120x40", 120, 40, nil},
	})
}
