package ui

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/menu"
)

// What a Kubernetes Deployment adds: the optional actions (pause, resume,
// restart) the cluster value implements, and pod kills by count, share
// and force. The local fleet implements none of them.

// Prompt identifiers and kill-menu values of the Kubernetes kill targets
// (a pod's name has no '#').
const (
	idFaultCount   = "fault-count"
	idFaultPercent = "fault-percent"
	killRandom     = "#random"
	killCount      = "#count"
	killPercent    = "#percent"
	killForce      = "#force"
)

// optional says which optional actions the cluster offers now.
func (m Model) optional() common.Optional {
	_, pause := m.cfg.Cluster.(cluster.RolloutPauser)
	_, restart := m.cfg.Cluster.(cluster.Restarter)
	_, can := m.cfg.Cluster.(cluster.Canary)
	return common.Optional{Pause: pause, Paused: pause && m.cstate.Rollout.Paused, Restart: restart, Canary: can && m.cfg.Canary != nil}
}

// keys is the key map with the optional keys enabled as the cluster
// offers them.
func (m Model) keys() *common.KeyMap { return m.com.Keys.With(m.optional()) }

// kube reports a cluster that is not the local fleet: one that restarts
// its replicas, as a Kubernetes Deployment does (the fleet pauses
// rollouts too).
func (m Model) kube() bool {
	_, ok := m.cfg.Cluster.(cluster.Restarter)
	return ok
}

// onOptionalKey runs the optional action of an enabled key: pause and
// resume at once, a restart after the operator's yes on a cluster that
// asks (it replaces every replica).
func (m Model) onOptionalKey(k tea.KeyMsg, keys *common.KeyMap) (tea.Model, tea.Cmd) {
	ctx := m.cfg.Context
	switch {
	case key.Matches(k, keys.PauseRollout):
		p := m.cfg.Cluster.(cluster.RolloutPauser)
		m = m.setStatus("pause rollout…")
		return m, loggedAction("pause rollout", "paused", "rollout-pause", func() error { return p.PauseRollout(ctx) })
	case key.Matches(k, keys.ResumeRollout):
		p := m.cfg.Cluster.(cluster.RolloutPauser)
		m = m.setStatus("resume rollout…")
		return m, loggedAction("resume rollout", "resumed", "rollout-resume", func() error { return p.ResumeRollout(ctx) })
	case key.Matches(k, keys.Restart):
		r := m.cfg.Cluster.(cluster.Restarter)
		return m.guard("rolling restart", loggedAction("rolling restart", "restarted", "restart", func() error { return r.Restart(ctx) }))
	}
	return m, nil
}

// offOptionalKey says why an optional key does nothing here, or returns
// false when k is none of them.
func (m Model) offOptionalKey(k tea.KeyMsg) (Model, bool) {
	all := m.com.Keys
	for _, b := range all.OptionalKeys() {
		if !key.Matches(k, b) {
			continue
		}
		if m.cfg.Cluster == nil {
			return m.setError("no cluster attached: " + k.String() + " needs one"), true
		}
		return m.setError(k.String() + " (" + b.Help().Desc + "): this cluster does not offer it (a Kubernetes Deployment does)"), true
	}
	return m, false
}

// faultKinds is the fault menu: the kinds the cluster accepts; on
// Kubernetes a kill deletes pods.
func (m Model) faultKinds() []menu.Item {
	kill := "kill: replicas die abruptly"
	if m.kube() {
		kill = "kill: delete pods (gracefully, or forced)"
	}
	all := []menu.Item{
		{Title: kill, Value: string(cluster.FaultKill)},
		{Title: "hang: replicas accept and never answer", Value: string(cluster.FaultHang)},
		{Title: "latency: add latency to answers", Value: string(cluster.FaultLatency)},
		{Title: "errors: answer a share with 500s", Value: string(cluster.FaultErrors)},
		{Title: "bad version: roll out a failing version", Value: string(cluster.FaultBadVersion)},
		{Title: "heal: clear a replica's faults, or every replica's", Value: string(cluster.FaultHeal)},
	}
	return slices.DeleteFunc(all, func(it menu.Item) bool {
		return !cluster.SupportsFault(m.cfg.Cluster, cluster.FaultKind(it.Value))
	})
}

// killMenu is the Kubernetes kill's target menu: 1 random pod, a number
// of them, a share, the force switch, then each live pod by name.
func (m Model) killMenu() menu.Model {
	force, title := "off", "kill: which pods?"
	if m.fault.Force {
		force, title = "on", "force kill: which pods?"
	}
	items := []menu.Item{
		{Title: "1 random pod", Value: killRandom},
		{Title: "a number of random pods…", Value: killCount},
		{Title: "a share of the pods (%)…", Value: killPercent},
		{Title: "force (grace period 0): " + force, Value: killForce},
	}
	for _, r := range m.cstate.Replicas {
		if r.Phase.Live() {
			items = append(items, menu.Item{Title: r.Name + " (" + r.Version + ", " + string(r.Phase) + ")", Value: r.Name})
		}
	}
	return menu.New(m.com.Styles, m.com.Keys, idFaultTarget, title, items)
}

// onKillTarget acts on a choice in the Kubernetes kill menu.
func (m Model) onKillTarget(v string) (tea.Model, tea.Cmd) {
	switch v {
	case killForce:
		m.fault.Force = !m.fault.Force
		sel := m.menu.Selected()
		m.menu = m.killMenu()
		m.menu.Select(sel)
		return m, nil
	case killCount:
		return m.openPrompt(idFaultCount, "How many pods to delete", "a whole number; the driver caps it (--max-kill)", "2")
	case killPercent:
		return m.openPrompt(idFaultPercent, "Share of the pods to delete", "a percentage such as 50%, or a fraction such as 0.5", "50%")
	case killRandom:
		m.fault.Count = 1
	default:
		m.fault.Replica = v
	}
	m.mode = modeNormal
	return m.inject(m.fault)
}

// killAmount completes a Kubernetes kill with a prompt's count or share.
func killAmount(f cluster.Fault, id, v string) (cluster.Fault, error) {
	if id == idFaultCount {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, fmt.Errorf("%q: want a whole number of pods, at least 1", v)
		}
		f.Count = n
		return f, f.Validate()
	}
	share, err := cluster.ParseRate(v)
	if err != nil {
		return f, err
	}
	if share == 0 {
		return f, fmt.Errorf("%q: want a share above 0", v)
	}
	f.Percent = share * 100
	return f, f.Validate()
}
