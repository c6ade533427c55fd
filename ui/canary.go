package ui

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/session"
	"github.com/scalelab/scalelab/ui/common"
	cpanel "github.com/scalelab/scalelab/ui/components/canary"
)

// idCanary is the canary prompt's identifier.
const idCanary = "canary"

// Canary is the session's canary judge as the UI reads and drives it: a
// *session.CanarySink. The panel shows its Result at each frame; the
// canary key starts a canary through Start.
type Canary interface {
	// Result is the analysis so far, nil before a canary started.
	Result() *session.CanaryResult
	// Config is the analysis's configuration (its interval count).
	Config() canary.Config
	// Start runs a canary step's action ("canary=v2:25%") and returns
	// once the canary holds.
	Start(ctx context.Context, action string) error
}

var _ Canary = (*session.CanarySink)(nil)

// CanaryAsk is a canary sink's question to the operator (from a
// CanaryAsker), a message to the model: it shows the question and sends
// the answer back.
type CanaryAsk struct {
	Question session.CanaryQuestion
	reply    chan canary.Action
}

// CanaryAsker hands a canary sink's questions (session.CanaryConfirm) to
// the model and waits for the operator's answers: pass Ask to
// session.CanaryConfirm and Asks to Config.Asks.
type CanaryAsker struct{ asks chan CanaryAsk }

// NewCanaryAsker returns an asker.
func NewCanaryAsker() *CanaryAsker { return &CanaryAsker{asks: make(chan CanaryAsk)} }

// Ask asks the operator q and waits for the answer, or for ctx to end
// (the run ended unanswered: ctx's error). It is a
// session.CanaryConfirmer.
func (a *CanaryAsker) Ask(ctx context.Context, q session.CanaryQuestion) (canary.Action, error) {
	ask := CanaryAsk{Question: q, reply: make(chan canary.Action, 1)}
	select {
	case a.asks <- ask:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	select {
	case r := <-ask.reply:
		return r, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Asks are the questions, for Config.Asks.
func (a *CanaryAsker) Asks() <-chan CanaryAsk { return a.asks }

// waitAsk is the re-issued command that reads the next question.
func waitAsk(ch <-chan CanaryAsk) tea.Cmd {
	return func() tea.Msg {
		a, ok := <-ch
		if !ok {
			return nil
		}
		return a
	}
}

// answer sends the operator's answer to the sink waiting for it.
func answer(ask CanaryAsk, a canary.Action) tea.Cmd {
	return func() tea.Msg {
		ask.reply <- a // buffered: never waits
		return nil
	}
}

// onCanaryAsk shows the sink's question: y takes the proposed action, n
// the other (a canary is never left held undecided); esc does not
// answer it.
func (m Model) onCanaryAsk(a CanaryAsk) (tea.Model, tea.Cmd) {
	q := a.Question
	yes, no := q.Proposed.Verb(), q.Other().Verb()
	what := "canary " + q.Version
	if q.Decision.Action == canary.InconclusiveDecision {
		what += " inconclusive"
	}
	keys := m.com.Keys
	m.confirm = confirmation{
		question: fmt.Sprintf("%s: %s? [y/n]", what, yes),
		detail:   q.Decision.Reason,
		what:     "canary " + q.Version + ": " + yes,
		cmd:      answer(a, q.Proposed),
		no:       answer(a, q.Other()),
		noWhat:   "canary " + q.Version + ": " + no,
		hint:     []key.Binding{describeKey(keys.Yes, yes), describeKey(keys.No, no)},
		must:     true,
	}
	m.mode = modeConfirm
	m = m.setStatus(fmt.Sprintf("the canary judge decided: %s? y or n", yes))
	return m, waitAsk(m.cfg.Asks)
}

// describeKey is b with another description.
func describeKey(b key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
}

// onCanaryKey opens the canary prompt: the version and its share.
func (m Model) onCanaryKey() (tea.Model, tea.Cmd) {
	if _, ok := m.cfg.Cluster.(cluster.Canary); !ok || m.cfg.Canary == nil {
		return m.setError("canary: this cluster cannot run a canary"), nil
	}
	if m.canary != nil {
		return m.setError("canary: this run judged its canary already (one per run)"), nil
	}
	return m.openPrompt(idCanary, "Canary: version and share",
		"v2:25% (a share of the replicas) or v2:1 (replicas), judged against the current version",
		NextVersion(m.cstate.Version)+":25%")
}

// onCanarySubmit starts the canary the prompt names, as a
// --step ...:canary=VERSION:SHARE would.
func (m Model) onCanarySubmit(value string) (tea.Model, tea.Cmd) {
	action := "canary=" + strings.TrimSpace(value)
	ps, err := experiments.ParseAction(action)
	if err != nil || ps.Step.Action != session.ActionCanary {
		m.prompt.SetError(fmt.Sprintf("%q: want VERSION[:SHARE] such as v2:25%% or v2:1", value))
		return m, nil
	}
	m.mode = modeNormal
	c, ctx := m.cfg.Canary, m.cfg.Context
	what := "canary " + ps.Step.Version
	return m.guard(what, loggedAction(what, what, "canary", func() error { return c.Start(ctx, action) }))
}

// onCanary reads the canary's analysis at a frame; the panel comes with
// the first canary.
func (m Model) onCanary() Model {
	if m.cfg.Canary == nil {
		return m
	}
	rows := m.canaryRows()
	prev := m.canary
	m.canary = m.cfg.Canary.Result()
	if m.canaryRows() != rows {
		m.layout()
	}
	c := m.canary
	switch {
	case c == nil:
	case m.mode == modeConfirm && m.confirm.must && prev != nil && prev.Awaiting && !c.Awaiting && !c.Confirmed:
		// Withdrawn: a plan's step answered, or the run ended.
		m.mode, m.confirm = modeNormal, confirmation{}
		m = m.setStatus(fmt.Sprintf("canary %s: the question is withdrawn: %s", c.Version, cmp.Or(c.Note, "the run ended")))
	case prev != nil && !prev.Acted && c.Acted:
		m = m.setStatus(fmt.Sprintf("canary %s: %s", c.Version, c.Action.Done()))
	case prev != nil && !prev.ActionFailed && c.ActionFailed:
		m = m.setError(fmt.Sprintf("canary %s: %s", c.Version, c.Note))
	}
	return m
}

// canaryRows is the panel's height: none before a canary started.
func (m Model) canaryRows() int {
	switch {
	case m.canary == nil:
		return 0
	case m.full():
		return cpanel.Rows
	}
	return cpanel.CompactRows
}

// canaryLines renders the canary panel.
func (m Model) canaryLines() []string {
	if m.canary == nil {
		return nil
	}
	return cpanel.View(m.com.Styles, canaryInfo(m.canary, m.cfg.Canary.Config()), m.com.Width, m.canaryRows())
}

// canaryInfo is what the panel shows of c.
func canaryInfo(c *session.CanaryResult, cfg canary.Config) cpanel.Info {
	return cpanel.Info{Version: c.Version, Baseline: c.Baseline, Count: cfg.Count, Intervals: c.Intervals,
		Spans: c.Spans, Decision: c.Decision, Action: c.Action, Awaiting: c.Awaiting, Confirmed: c.Confirmed,
		Acted: c.Acted, ActionFailed: c.ActionFailed, Note: c.Note, EndedBy: c.EndedBy}
}

// confirmHint is the confirm box's second line: the keys and what they
// do.
func (m Model) confirmHint() string {
	st := m.com.Styles
	if len(m.confirm.hint) == 0 {
		return st.Dim.Render("y to go ahead · n or esc to cancel")
	}
	h := m.help
	h.Width = 0
	return h.ShortHelpView(m.confirm.hint)
}

// canaryEvent is the UI's view of a canary judge's event.
func canaryEvent(e session.Event) JudgeEvent {
	return JudgeEvent{Time: e.Time, Kind: e.Kind, Value: e.Message, Title: e.Title}
}

// canaryEntry is the event log entry, and the mark, of a canary judge's
// event (ok false for another's): an interval's outcome marks the time
// axis, the decision and a failed action draw a line through the charts.
func canaryEntry(j JudgeEvent) (common.Entry, bool) {
	// The markers' room is a dozen cells: "canary 2/6 fail" is "2/6 fail",
	// "canary rollback" is "rollback".
	en := common.Entry{Time: j.Time, Text: j.Value, Label: label(strings.TrimPrefix(j.Title, "canary "), "canary")}
	switch j.Kind {
	case session.CanaryIntervalJudged:
		en.Text = j.Title + ": " + j.Value
		if strings.HasSuffix(j.Title, string(canary.Fail)) {
			en.Level = common.Warn
		}
	case session.CanaryDecided:
		en.Text, en.Major = j.Title+": "+j.Value, true
	case session.CanaryActionFailed:
		en.Major, en.Level = true, common.Error
	case session.CanaryAnswered, session.CanaryPromoted, session.CanaryRolledBack:
	default:
		return common.Entry{}, false
	}
	return en, true
}
