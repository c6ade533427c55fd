package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/ui/components/header"
	"github.com/scalelab/scalelab/ui/components/menu"
	"github.com/scalelab/scalelab/ui/components/prompt"
)

// Prompt and menu identifiers.
const (
	idRate        = "rate"
	idUpgrade     = "upgrade"
	idNote        = "note"
	idFaultKind   = "fault-kind"
	idFaultTarget = "fault-target"
	idFaultArg    = "fault-arg"
)

// Update handles one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.com.SetSize(msg.Width, msg.Height)
		m.layout()
		return m, nil
	case FrameMsg:
		return m.onFrame(Frame(msg))
	case LoadEndedMsg:
		m.state = header.Finished
		if m.holds() {
			return m, nil // the verdict stays until the operator quits
		}
		m.quitting = true
		return m, tea.Quit
	case eventMsg:
		m.log.Add(eventEntry(cluster.Event(msg)))
		return m, tea.Batch(waitEvent(m.cfg.Events), fetchState(m.cfg.Cluster))
	case eventsClosedMsg:
		return m, nil
	case stateMsg:
		return m.onState(msg)
	case WarningMsg:
		return m.onWarning(msg), nil
	case loadMsg:
		return m.onLoad(msg)
	case pausedMsg:
		return m.onPaused(msg), nil
	case resumedMsg:
		return m.onResumed(msg), nil
	case actionMsg:
		return m.onAction(msg)
	case menu.ChosenMsg:
		return m.onChosen(msg)
	case prompt.SubmitMsg:
		return m.onSubmit(msg)
	case CanaryAsk:
		return m.onCanaryAsk(msg)
	case tea.KeyMsg:
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 {
			return m.onRunes(msg)
		}
		return m.onKey(msg)
	}
	return m, nil
}

// onRunes handles runes that arrived together: bubbletea reports the
// printable runes of one read as one key, so keys pressed in a burst (on
// a slow link, over SSH, from tmux send-keys) act one after the other, as
// if pressed apart; a choice in a menu or a prompt's enter takes effect
// before the next rune. A paste goes whole to a prompt and is refused
// elsewhere: pasted text is no list of commands.
func (m Model) onRunes(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if k.Paste {
		if m.mode == modePrompt {
			return m.onKey(k)
		}
		return m.setError("paste ignored: it goes into a prompt (r, n, u)"), nil
	}
	var cmds []tea.Cmd
	for _, r := range k.Runes {
		one := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: k.Alt}
		before := m.mode
		next, cmd := m.onKey(one)
		m = next.(Model)
		if cmd != nil && before == modeMenu {
			// A menu's command only reports the choice: take it now.
			next, cmd = m.Update(cmd())
			m = next.(Model)
		}
		cmds = append(cmds, cmd)
		if m.quitting {
			break
		}
	}
	return m, tea.Batch(cmds...)
}

// onFrame takes one engine frame.
func (m Model) onFrame(f Frame) (tea.Model, tea.Cmd) {
	if f.Snapshot != nil {
		split, head := m.versionRows(), m.headerRows()
		m.hist.Add(f.Snapshot)
		if m.versionRows() != split || m.headerRows() != head {
			m.layout() // the split by version's line comes or goes, the retries' line comes
		}
	}
	if f.CPUKnown {
		m.cpu, m.cpuKnown, m.procs = f.CPU, true, f.Procs
	}
	m = m.onJudged(f).onSteps(f.Steps).onCanary().onScrape()
	if f.End != nil {
		m.ended, m.verdict, m.state = true, f.End.Verdict, header.Finished
		if !m.holds() {
			m.quitting = true
			return m, tea.Quit
		}
		m = m.setStatus("the load ended: " + m.endWords() + " · q quits and prints the summary")
	}
	cmds := []tea.Cmd{waitFrame(m.cfg.Feed)}
	switch {
	case f.State != nil: // the session read it at the tick's end
		msg := stateMsg{State: *f.State}
		if f.Autoscaler != nil {
			msg.HPA, msg.HasHPA = *f.Autoscaler, true
		}
		var cmd tea.Cmd
		m, cmd = m.onState(msg)
		cmds = append(cmds, cmd)
	case m.cfg.Cluster != nil:
		cmds = append(cmds, fetchState(m.cfg.Cluster))
	}
	return m, tea.Batch(cmds...)
}

// onState takes the cluster's state; the panels' height follows the
// lines above the replicas. A state that shows the scale in flight sends
// the one asked since.
func (m Model) onState(msg stateMsg) (Model, tea.Cmd) {
	rows := m.panelRows()
	m.cstate, m.hasState = msg.State, true
	m.hpa, m.hasHPA = msg.HPA, msg.HasHPA
	if m.panelRows() != rows {
		m.layout()
	}
	var cmd tea.Cmd
	if m.scaleReq.inFlight(msg.State.Desired) {
		if next, ok := m.scaleReq.landed(false); ok {
			cmd = scaleCmd(m.cfg.Cluster, m.cfg.Context, next)
		}
	}
	return m, cmd
}

// onLoad reports a change of the load and sends the one asked since.
func (m Model) onLoad(msg loadMsg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	if m.loadReq.inFlight(msg.Value) {
		if next, ok := m.loadReq.landed(msg.Err != nil); ok {
			cmd = setLoad(m.cfg.Load, next)
		}
	}
	if msg.Err != nil {
		return m.setError(msg.Err.Error()), cmd
	}
	if msg.Model != "" {
		m.model = msg.Model
	}
	m.journal(OperatorEntry(msg.At, "rate", "operator: "+msg.What, msg.Label))
	return m.setStatus(msg.What), cmd
}

// requestLoad asks for the rate (open loop) or connections (closed loop)
// v: now, or when the change in flight landed.
func (m Model) requestLoad(v float64) (Model, tea.Cmd) {
	if m.loadReq.ask(v) {
		return m, setLoad(m.cfg.Load, v)
	}
	return m, nil
}

// loadNow is the rate (open loop) or the connections (closed loop) asked
// of the engine now.
func (m Model) loadNow() float64 {
	if m.cfg.Load.Closed() {
		return float64(m.cfg.Load.Concurrency())
	}
	return m.cfg.Load.TargetRate()
}

// requestScale asks the cluster for n replicas: now, or when the scale in
// flight took effect.
func (m Model) requestScale(n int) (Model, tea.Cmd) {
	what := fmt.Sprintf("scale to %d", n)
	if !m.scaleReq.ask(n) {
		return m.setStatus(what + ": next, after the scale in progress"), nil
	}
	return m.setStatus(what + "…"), scaleCmd(m.cfg.Cluster, m.cfg.Context, n)
}

func (m Model) onPaused(msg pausedMsg) Model {
	if msg.Err != nil {
		return m.setError("pause: " + msg.Err.Error())
	}
	p := msg.Paused
	m.paused, m.state = &p, header.Paused
	m.journal(OperatorEntry(msg.At, "pause", "operator: load paused", "pause"))
	return m.setStatus("load paused: p resumes")
}

func (m Model) onResumed(msg resumedMsg) Model {
	if msg.Err != nil {
		return m.setError("resume: " + msg.Err.Error())
	}
	m.paused, m.state = nil, header.Running
	m.journal(OperatorEntry(msg.At, "resume", "operator: load resumed", "resume"))
	return m.setStatus("load resumed")
}

// onAction reports an action's outcome and reads the cluster's state
// again.
func (m Model) onAction(msg actionMsg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	if m.cfg.Cluster != nil {
		cmd = fetchState(m.cfg.Cluster)
	}
	if msg.Scale > 0 && m.scaleReq.inFlight(msg.Scale) {
		if next, ok := m.scaleReq.landed(msg.Err != nil && !superseded(msg.Err)); ok {
			cmd = tea.Batch(cmd, scaleCmd(m.cfg.Cluster, m.cfg.Context, next))
		}
	}
	switch {
	case msg.Err == nil:
		done := fmt.Sprintf("%s: done in %.1fs", msg.What, msg.Took.Seconds())
		if msg.Kind != "" {
			m.journal(OperatorEntry(m.cfg.Clock(), msg.Kind, "operator: "+done, msg.Label))
		}
		return m.setStatus(done), cmd
	case superseded(msg.Err):
		return m.setStatus(msg.What + ": superseded by a later action"), cmd
	}
	m.journal(OperatorEntry(m.cfg.Clock(), "failed", msg.What+" failed: "+msg.Err.Error(), "failed"))
	return m.setError(msg.What + " failed: " + msg.Err.Error()), cmd
}

func (m Model) setStatus(s string) Model {
	m.status, m.statusErr = s, false
	return m
}

func (m Model) setError(s string) Model {
	m.status, m.statusErr = s, true
	return m
}

// onKey dispatches a key by mode.
func (m Model) onKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	keys := m.com.Keys
	if k.String() == "ctrl+c" {
		return m.quit()
	}
	switch m.mode {
	case modeHelp:
		switch {
		case key.Matches(k, keys.Close), key.Matches(k, keys.Help):
			m.mode = modeNormal
		case key.Matches(k, keys.Quit):
			return m.quit()
		}
		return m, nil
	case modePrompt:
		if key.Matches(k, keys.Close) {
			m.mode = modeNormal
			return m, nil
		}
		var cmd tea.Cmd
		m.prompt, cmd = m.prompt.Update(k)
		return m, cmd
	case modeMenu:
		if key.Matches(k, keys.Close) {
			m.mode = modeNormal
			return m, nil
		}
		var cmd tea.Cmd
		m.menu, cmd = m.menu.Update(k)
		return m, cmd
	case modeConfirm:
		return m.onConfirmKey(k)
	}
	return m.onNormalKey(k)
}

func (m Model) quit() (tea.Model, tea.Cmd) {
	m.quitting, m.state = true, header.Stopping
	return m, tea.Quit
}

// onNormalKey handles a key on the main screen.
func (m Model) onNormalKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	keys := m.keys()
	load := m.cfg.Load
	switch {
	case key.Matches(k, keys.Quit):
		return m.quit()
	case key.Matches(k, keys.Help):
		m.mode = modeHelp
	case key.Matches(k, keys.Close):
		m.status = ""
	case m.ended && (key.Matches(k, keys.RateUp) || key.Matches(k, keys.RateDown) ||
		key.Matches(k, keys.RateSet) || key.Matches(k, keys.Pause)):
		return m.setError("the load ended: q quits and prints the summary"), nil
	case m.hist.Last() == nil && (key.Matches(k, keys.RateUp) || key.Matches(k, keys.RateDown) ||
		key.Matches(k, keys.RateSet) || key.Matches(k, keys.Pause)):
		// The engine starts with its first frame: changes wait for it.
		return m.setError("the load is starting: try again in a moment"), nil
	case key.Matches(k, keys.RateUp), key.Matches(k, keys.RateDown):
		if m.paused != nil {
			return m.setError("load paused: p resumes it first"), nil
		}
		dir := 1
		if key.Matches(k, keys.RateDown) {
			dir = -1
		}
		// From the last value asked: presses faster than the engine
		// answers each count.
		base := m.loadReq.base(m.loadNow())
		if load.Closed() {
			return m.requestLoad(float64(StepConcurrency(int(base), dir)))
		}
		return m.requestLoad(StepRate(base, dir))
	case key.Matches(k, keys.RateSet):
		if m.paused != nil {
			return m.setError("load paused: p resumes it first"), nil
		}
		return m.openRatePrompt()
	case key.Matches(k, keys.Pause):
		if m.paused != nil {
			return m, resumeLoad(load, *m.paused)
		}
		return m, pauseLoad(load)
	case key.Matches(k, keys.Note):
		return m.openPrompt(idNote, "Note: a marker on the charts", "what is happening now", "")
	case key.Matches(k, keys.ToggleThroughput):
		m.show[0] = !m.show[0]
		m.layout()
	case key.Matches(k, keys.ToggleLatency):
		m.show[1] = !m.show[1]
		m.layout()
	case key.Matches(k, keys.ToggleErrors):
		m.show[2] = !m.show[2]
		m.layout()
	case key.Matches(k, keys.ToggleMax):
		m.showMax = !m.showMax
	case key.Matches(k, keys.Canary):
		if m.cfg.Cluster == nil {
			return m.setError("no cluster attached: " + k.String() + " needs one (scalelab demo runs a local fleet)"), nil
		}
		return m.onCanaryKey()
	case key.Matches(k, keys.ScaleUp), key.Matches(k, keys.ScaleDown),
		key.Matches(k, keys.Upgrade), key.Matches(k, keys.Rollback), key.Matches(k, keys.Fault):
		return m.onClusterKey(k)
	case matchesAny(k, keys.OptionalKeys()):
		return m.onOptionalKey(k, keys)
	default:
		if off, ok := m.offOptionalKey(k); ok {
			return off, nil
		}
	}
	return m, nil
}

// onClusterKey handles the keys of the cluster actions.
func (m Model) onClusterKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	keys := m.com.Keys
	c := m.cfg.Cluster
	if c == nil {
		return m.setError("no cluster attached: " + k.String() + " needs one (scalelab demo runs a local fleet)"), nil
	}
	ctx := m.cfg.Context
	// Each press of + or - adds or takes one from the count last asked.
	desired := m.scaleReq.base(m.cstate.Desired)
	switch {
	case key.Matches(k, keys.ScaleUp):
		return m.requestScale(desired + 1)
	case key.Matches(k, keys.ScaleDown):
		n := desired - 1
		if n < 1 {
			return m.setError("scale down: at least one replica stays"), nil
		}
		if where, ask := m.asks(); ask {
			what := fmt.Sprintf("scale to %d", n)
			m.confirm = confirmation{question: fmt.Sprintf("%s on %s?", what, where), what: what, scale: n}
			m.mode = modeConfirm
			return m, nil
		}
		return m.requestScale(n)
	case key.Matches(k, keys.Upgrade):
		return m.openPrompt(idUpgrade, "Rolling upgrade to version", "current: "+m.cstate.Version, NextVersion(m.cstate.Version))
	case key.Matches(k, keys.Rollback):
		what := "rollback"
		if m.cstate.Previous != "" {
			what += " to " + m.cstate.Previous
		}
		return m.guard(what, clusterAction(what, func() error { return c.Rollback(ctx) }))
	case key.Matches(k, keys.Fault):
		m.menu = menu.New(m.com.Styles, m.com.Keys, idFaultKind, "Inject a fault", m.faultKinds())
		m.mode = modeMenu
	}
	return m, nil
}

// guard runs cmd now, or after the operator's yes on a cluster that asks.
func (m Model) guard(what string, cmd tea.Cmd) (tea.Model, tea.Cmd) {
	if where, ask := m.asks(); ask {
		m.confirm = confirmation{question: fmt.Sprintf("%s on %s?", what, where), what: what, cmd: cmd}
		m.mode = modeConfirm
		return m, nil
	}
	m = m.setStatus(what + "…")
	return m, cmd
}

// asks reports a cluster whose destructive actions the operator confirms,
// and what to name in the question.
func (m Model) asks() (string, bool) {
	if cf, ok := m.cfg.Cluster.(Confirmer); ok {
		return cf.ConfirmActions()
	}
	return "", false
}

func (m Model) onConfirmKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	keys := m.com.Keys
	switch {
	case key.Matches(k, keys.Yes):
		m.mode = modeNormal
		if m.confirm.scale > 0 {
			return m.requestScale(m.confirm.scale)
		}
		m = m.setStatus(m.confirm.what + "…")
		return m, m.confirm.cmd
	case key.Matches(k, keys.No) && m.confirm.no != nil:
		m.mode = modeNormal
		return m.setStatus(m.confirm.noWhat + "…"), m.confirm.no
	case key.Matches(k, keys.No), key.Matches(k, keys.Close) && !m.confirm.must:
		m.mode = modeNormal
		return m.setStatus(m.confirm.what + ": cancelled"), nil
	}
	return m, nil
}

func (m Model) openRatePrompt() (tea.Model, tea.Cmd) {
	if m.cfg.Load.Closed() {
		return m.openPrompt(idRate, "Connections (closed loop)", "a whole number of connections",
			strconv.Itoa(m.cfg.Load.Concurrency()))
	}
	return m.openPrompt(idRate, "Rate (requests per second)", "a number, such as 2500",
		strconv.FormatFloat(m.cfg.Load.TargetRate(), 'f', -1, 64))
}

func (m Model) openPrompt(id, label, hint, value string) (tea.Model, tea.Cmd) {
	m.prompt = prompt.New(m.com.Styles, m.com.Keys, id, label, hint, value)
	m.prompt.SetWidth(min(m.com.Width-10, 60))
	m.mode = modePrompt
	return m, nil
}

// onSubmit acts on a prompt's text.
func (m Model) onSubmit(msg prompt.SubmitMsg) (tea.Model, tea.Cmd) {
	c, ctx := m.cfg.Cluster, m.cfg.Context
	switch msg.ID {
	case idRate:
		v, err := strconv.ParseFloat(msg.Value, 64)
		if err != nil || v < 0 || v != v || v > 1e9 || (m.cfg.Load.Closed() && v != float64(int(v))) {
			m.prompt.SetError(fmt.Sprintf("%q: want a number >= 0", msg.Value))
			return m, nil
		}
		m.mode = modeNormal
		return m.requestLoad(v)
	case idNote:
		m.mode = modeNormal
		if msg.Value == "" {
			return m, nil
		}
		m.journal(OperatorEntry(m.cfg.Clock(), "note", "note: "+msg.Value, label(msg.Value, "note")))
		return m.setStatus("note added"), nil
	case idCanary:
		return m.onCanarySubmit(msg.Value)
	case idUpgrade:
		if msg.Value == "" || strings.ContainsAny(msg.Value, " \t") {
			m.prompt.SetError("want a version such as v2")
			return m, nil
		}
		m.mode = modeNormal
		v := msg.Value
		what := "upgrade to " + v
		return m.guard(what, clusterAction(what, func() error { return c.Upgrade(ctx, v) }))
	case idFaultCount, idFaultPercent:
		f, err := killAmount(m.fault, msg.ID, msg.Value)
		if err != nil {
			m.prompt.SetError(err.Error())
			return m, nil
		}
		m.mode = modeNormal
		return m.inject(f)
	case idFaultArg:
		f, err := faultArg(m.fault, msg.Value)
		if err != nil {
			m.prompt.SetError(err.Error())
			return m, nil
		}
		m.mode = modeNormal
		return m.inject(f)
	}
	return m, nil
}

// onChosen acts on a menu choice.
func (m Model) onChosen(msg menu.ChosenMsg) (tea.Model, tea.Cmd) {
	switch msg.ID {
	case idFaultKind:
		m.fault = cluster.Fault{Kind: cluster.FaultKind(msg.Item.Value)}
		if m.fault.Kind == cluster.FaultBadVersion {
			return m.openPrompt(idFaultArg, "Bad version to roll out", "its replicas fail: watch the errors, then roll back", NextVersion(m.cstate.Version)+"-bad")
		}
		if m.fault.Kind == cluster.FaultKill && m.kube() {
			m.menu = m.killMenu()
			return m, nil
		}
		items := []menu.Item{{Title: "1 random replica", Value: ""}}
		if m.fault.Kind == cluster.FaultHeal {
			items[0].Title = "every replica"
		}
		for _, r := range m.cstate.Replicas {
			if r.Phase.Live() {
				title := r.Name + " (" + r.Version + ", " + string(r.Phase) + ")"
				if r.Fault != "" {
					title += " " + r.Fault
				}
				items = append(items, menu.Item{Title: title, Value: r.Name})
			}
		}
		m.menu = menu.New(m.com.Styles, m.com.Keys, idFaultTarget, string(m.fault.Kind)+": which replica?", items)
		return m, nil
	case idFaultTarget:
		if m.fault.Kind == cluster.FaultKill && m.kube() {
			return m.onKillTarget(msg.Item.Value)
		}
		m.fault.Replica = msg.Item.Value
		if m.fault.Replica == "" && m.fault.Kind != cluster.FaultHeal {
			m.fault.Count = 1 // heal's empty replica is every replica
		}
		switch m.fault.Kind {
		case cluster.FaultLatency:
			return m.openPrompt(idFaultArg, "Latency to add", "20ms, or a range such as 5ms..50ms", "200ms")
		case cluster.FaultErrors:
			return m.openPrompt(idFaultArg, "Share of 500s", "a fraction such as 0.3, or 30%", "30%")
		}
		m.mode = modeNormal
		return m.inject(m.fault)
	}
	return m, nil
}

// faultArg completes a fault with the prompt's text.
func faultArg(f cluster.Fault, v string) (cluster.Fault, error) {
	var err error
	switch f.Kind {
	case cluster.FaultLatency:
		f.Latency, err = cluster.ParseLatency(v)
	case cluster.FaultErrors:
		f.ErrorRate, err = cluster.ParseRate(v)
	case cluster.FaultBadVersion:
		f.Version = v
	}
	if err == nil {
		err = f.Validate()
	}
	return f, err
}

// inject starts a fault.
func (m Model) inject(f cluster.Fault) (tea.Model, tea.Cmd) {
	c, ctx := m.cfg.Cluster, m.cfg.Context
	what := f.String()
	return m.guard(what, clusterAction(what, func() error { return c.Inject(ctx, f) }))
}

// NextVersion guesses the version after v: v1 gives v2, 1.4 gives 1.5, a
// version without a trailing number gets "-next".
func NextVersion(v string) string {
	i := len(v)
	for i > 0 && v[i-1] >= '0' && v[i-1] <= '9' {
		i--
	}
	if i == len(v) {
		if v == "" {
			return "v2"
		}
		return v + "-next"
	}
	n, err := strconv.Atoi(v[i:])
	if err != nil {
		return v + "-next"
	}
	return v[:i] + strconv.Itoa(n+1)
}

// elapsed is the run's time so far.
func (m Model) elapsed() time.Duration { return m.hist.Elapsed() }
