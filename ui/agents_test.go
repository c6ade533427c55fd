package ui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/session"
	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/agents"
)

// TestAgentsPanel: a load sent by agents shows their panel beside the
// generator's: the total, each agent's achieved rate against its share
// and its late sends, a lost one marked; a narrow terminal keeps the
// total on a line; no saturation panel (this process does not send).
func TestAgentsPanel(t *testing.T) {
	rows := []agents.Row{
		{Index: 0, Addr: "127.0.0.1:7001", State: "running", Achieved: 1500, Rate: 1500, Late: 3},
		{Index: 1, Addr: "127.0.0.1:7002", State: "lost"},
		{Index: 2, Addr: "127.0.0.1:7003", State: "running", Achieved: 1490, Rate: 1500},
	}
	m := newModel(t, Config{Load: idleEngine(t), Window: time.Minute, Agents: func() []agents.Row { return rows }}, 160, 40)
	m = update(t, m, FrameMsg{})
	v := view(m)
	for _, want := range []string{"Agents", "3 agents · 2990/s · late 3 dropped 0 · 1 lost", "0 127.0.0.1:7001 ● running   1500/s of 1500 late 3",
		"1 127.0.0.1:7002 ✗ lost    lost", "2 127.0.0.1:7003 ● running   1490/s of 1500 late 0"} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q in:\n%s", want, v)
		}
	}
	if strings.Contains(v, "Saturation") {
		t.Errorf("a saturation panel beside agents:\n%s", v)
	}
	narrow := view(update(t, m, tea.WindowSizeMsg{Width: 90, Height: 26}))
	if !strings.Contains(narrow, "3 agents · 2990/s") {
		t.Errorf("narrow: no agents' total:\n%s", narrow)
	}
}

// TestAgentLostEntry: an agent lost mid-run is a warning in the event
// log, with a line through the charts and the agent as its mark.
func TestAgentLostEntry(t *testing.T) {
	en := judgeEntry(JudgeEvent{Time: t0, Kind: session.AgentLost, Title: "agent 1 lost",
		Value: "agent 1 (127.0.0.1:7002) lost at 1.0s: unexpected EOF; its share split over the others"})
	if !en.Major || en.Level != common.Warn || !strings.Contains(en.Text, "127.0.0.1:7002") || !strings.Contains(en.Label, "agent 1") {
		t.Errorf("entry %+v: want a major warning naming the agent", en)
	}
}

// TestAgentsPanelOnKubernetes: agents reached through the API server's
// pod proxy show by their pod's name, and beside a cluster's replicas
// the panel keeps every agent's state, achieved rate and share at 200,
// 160 and 120 columns (the address and cpu left out when narrow, in the
// generator's place when there is no room beside it), never cut.
func TestAgentsPanelOnKubernetes(t *testing.T) {
	const proxy = "https://10.0.0.1:6443/api/v1/namespaces/loadtest/pods/scalelab-agents-x7k2q-%d-abcde:7001/proxy"
	var rows []agents.Row
	for i := range 3 {
		rows = append(rows, agents.Row{Index: i, Addr: fmt.Sprintf(proxy, i), State: "running", Achieved: 100, Rate: 100, Late: 12,
			CPU: 0.3, CPULimit: 2, CPUKnown: true})
	}
	f, err := fleet.New()
	if err != nil {
		t.Fatal(err)
	}
	base := kubeScenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute, Cluster: newKubeFleet(f, true),
		Agents: func() []agents.Row { return rows }}, 200, 50))
	for _, tc := range []struct {
		w, h      int
		generator bool
	}{{240, 50, true}, {200, 50, true}, {160, 45, false}, {120, 40, false}} {
		v := view(update(t, base, tea.WindowSizeMsg{Width: tc.w, Height: tc.h}))
		if !strings.Contains(v, "│ Agents") || !strings.Contains(v, "3 agents · 300/s") {
			t.Errorf("%d columns: no agents panel with its total:\n%s", tc.w, v)
			continue
		}
		if strings.Contains(v, "│ Generator") != tc.generator {
			t.Errorf("%d columns: the generator's panel shown %v, want %v:\n%s", tc.w, !tc.generator, tc.generator, v)
		}
		for i := range 3 {
			if !regexp.MustCompile(fmt.Sprintf(`%d (scalelab-agents-x7k2q-%d-abcde )?● running +100/s of 100`, i, i)).MatchString(v) {
				t.Errorf("%d columns: agent %d without its state, rate and share:\n%s", tc.w, i, v)
			}
		}
		if strings.Contains(v, "/proxy") || strings.Contains(v, "https://") {
			t.Errorf("%d columns: an agent shown by its proxy URL:\n%s", tc.w, v)
		}
		if tc.w >= 240 && !strings.Contains(v, "0 scalelab-agents-x7k2q-0-abcde ● running    100/s of 100 late 12 cpu 0.30/2") {
			t.Errorf("%d columns: the agent's full line missing:\n%s", tc.w, v)
		}
		if tc.generator && !strings.Contains(v, "cpu       15% of 6 cores") {
			t.Errorf("%d columns: the generator's cpu is not the agents' (0.9 of 6 cores):\n%s", tc.w, v)
		}
	}
}
