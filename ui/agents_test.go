package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
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
