// Package ui is scalelab's live terminal UI (bubbletea): charts of
// throughput, latency and errors with event markers, the replicas and
// generator panels, an event log and the operator's keys.
//
// The UI renders state and owns no business logic. It is a sink of the
// run's session (Sink): the session's ticks reach it through a Feed
// (never one message per request), the cluster's events through a queue,
// both read by commands that are issued again after each message. Every action (a rate change, a scale, an
// upgrade, a fault) runs in a command that calls the engine or the cluster
// and reports back as a message; commands capture values, never the model.
package ui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/probes/scrape"
	"github.com/scalelab/scalelab/session"
	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/agents"
	"github.com/scalelab/scalelab/ui/components/chart"
	"github.com/scalelab/scalelab/ui/components/eventlog"
	"github.com/scalelab/scalelab/ui/components/header"
	"github.com/scalelab/scalelab/ui/components/menu"
	"github.com/scalelab/scalelab/ui/components/prompt"
)

// Load is the load generator the UI controls: a session's load (the
// engine, or the agents' pool), as its keys change it.
type Load = session.Controls

var _ Load = (*engine.Engine)(nil)

// Confirmer is implemented by a cluster whose destructive actions (scale
// down, upgrade, rollback, faults) the operator must confirm: a real
// cluster, not the local fleet.
type Confirmer interface {
	// ConfirmActions returns what to name in the question ("deployment
	// demo in namespace default of cluster kind-demo") and whether to ask.
	ConfirmActions() (where string, ask bool)
}

// Config is what a Model shows and controls.
type Config struct {
	// Target is the URL under load; Model the load model in words.
	Target, Model string
	// Load is the engine; Feed carries its snapshots (a Sink's Feed under
	// a session, or engine.OnSnapshot(feed.Push) with
	// engine.Tick(session.Interval)).
	Load Load
	Feed *Feed
	// Window is the run's sending window, 0 when unbounded.
	Window time.Duration
	// Cluster is the cluster under test, nil when none is attached (the
	// cluster actions are then unavailable). Events is its subscription.
	Cluster cluster.Cluster
	Events  <-chan cluster.Event
	// Context bounds the actions' waits (the session's context).
	Context context.Context
	// Renderer is the lipgloss renderer of the output (for colours and
	// NO_COLOR); lipgloss's default when nil.
	Renderer *lipgloss.Renderer
	// Step is a chart column's length of time (one second when 0).
	Step time.Duration
	// Clock tells the time of operator notes (time.Now when nil).
	Clock func() time.Time
	// Recording is where the session is recorded, shown in the header
	// ("" when it is not). OnEntry (optional) is told of each event log
	// entry the operator caused (load changes, pauses, notes, failed
	// actions), for the recording; it must not block.
	Recording string
	OnEntry   func(common.Entry)
	// Thresholds are the run's thresholds, in the judge's order; Statuses
	// (a session.ThresholdSink's) reads their statuses at the latest
	// evaluation, at each frame. With thresholds the UI shows them under
	// the charts, and at the load's end it stays on the verdict until the
	// operator quits; without, a bounded run's end quits.
	Thresholds []analysis.Threshold
	Statuses   func() []analysis.Status
	// Steps are the scripted steps that come at a time: the next one due
	// is shown with its countdown, by its name when it has one.
	Steps []TimedStep
	// Generator (optional) is the generator probes' latest reading and
	// judgement (a session.GeneratorSink's Last): the generator panel then
	// says what they judged, as the summary will.
	Generator func() (probes.GeneratorSample, probes.Saturation)
	// Agents (optional) is the load agents' parts so far (--agents-at):
	// the agents panel, where the saturation panel is for a load sent
	// from this process.
	Agents func() []agents.Row
	// Scrape (optional) is the scrapes of the targets' Prometheus
	// endpoints so far (a session.ScrapeSink's Endpoints): a line each
	// under the charts.
	Scrape func() []scrape.Endpoint
	// Canary (optional) is the session's canary judge: its panel shows
	// while a canary is judged and after, and the canary key starts one
	// on a cluster that runs canaries. Asks (optional) are its questions
	// before it acts (a CanaryAsker's).
	Canary Canary
	Asks   <-chan CanaryAsk
}

// mode is what the keys currently drive.
type mode int

const (
	modeNormal  mode = iota
	modeHelp         // the full help screen
	modePrompt       // a text prompt
	modeMenu         // a menu
	modeConfirm      // a yes/no question
)

// Model is the UI's root model.
type Model struct {
	cfg  Config
	com  common.Common
	hist *analysis.History
	log  eventlog.Model
	help help.Model

	tput, lat, errs chart.Model
	show            [3]bool // throughput, latency, errors
	showMax         bool

	mode    mode
	prompt  prompt.Model
	menu    menu.Model
	confirm confirmation
	fault   cluster.Fault // the fault being set up in the menus

	// model is the load model now in words: the configured one until
	// the operator changes the load.
	model string
	// loadReq and scaleReq are the operator's load changes and scales
	// pending.
	loadReq  request[float64]
	scaleReq request[int]

	state     string
	paused    *engine.Paused
	status    string
	statusErr bool
	cpu       float64
	cpuKnown  bool
	procs     int
	cstate    cluster.State
	hasState  bool
	hpa       cluster.Autoscaler
	hasHPA    bool
	quitting  bool

	// statuses are the thresholds' latest statuses; aborting is set once
	// the judge stopped the load. ended is set once the load ended, with
	// the session's verdict.
	statuses []analysis.Status
	aborting bool
	ended    bool
	verdict  analysis.Verdict
	// canary is the canary's analysis at the latest frame, nil before
	// one started.
	canary *session.CanaryResult
	// scrapes are the scrapes' figures at the latest frame (Config.Scrape).
	scrapes []scrape.Endpoint
	// spans are the cluster steps' spans on the time axis, in the order
	// they started.
	spans []stepSpan
}

// confirmation is an action waiting for the operator's yes.
type confirmation struct {
	question string
	what     string
	cmd      tea.Cmd
	scale    int // a scale to this many replicas, instead of cmd
	// A canary's question: detail is its reason, no (noWhat) what n does
	// instead of cancelling, hint the keys the box shows; must: esc does
	// not answer it.
	detail string
	no     tea.Cmd
	noWhat string
	hint   []key.Binding
	must   bool
}

// New returns the UI's model for cfg.
func New(cfg Config) Model {
	if cfg.Context == nil {
		cfg.Context = context.Background()
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	r := cfg.Renderer
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	st := common.DefaultStyles(r)
	keys := common.DefaultKeyMap()
	h := help.New()
	h.Styles.ShortKey, h.Styles.FullKey = st.HelpKey, st.HelpKey
	h.Styles.ShortDesc, h.Styles.FullDesc = st.HelpDesc, st.HelpDesc
	h.Styles.ShortSeparator, h.Styles.FullSeparator, h.Styles.Ellipsis = st.HelpSep, st.HelpSep, st.HelpSep
	m := Model{
		cfg:   cfg,
		com:   common.Common{Styles: st, Keys: keys},
		hist:  analysis.NewHistory(cfg.Step, 0),
		log:   eventlog.New(st),
		help:  h,
		tput:  chart.New(st, "Throughput", "requests/s", fmtRate, 10),
		lat:   chart.New(st, "Latency", "ms", fmtMs, 1),
		errs:  chart.New(st, "Errors", "per second", fmtRate, 1),
		show:  [3]bool{true, true, true},
		state: header.Running,
		model: cfg.Model,
	}
	return m
}

// Init starts reading the feed and the cluster's events.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{waitFrame(m.cfg.Feed)}
	if m.cfg.Events != nil {
		cmds = append(cmds, waitEvent(m.cfg.Events))
	}
	if m.cfg.Cluster != nil {
		cmds = append(cmds, fetchState(m.cfg.Cluster))
	}
	if m.cfg.Asks != nil {
		cmds = append(cmds, waitAsk(m.cfg.Asks))
	}
	return tea.Batch(cmds...)
}

// Quitting reports that the operator asked to quit.
func (m Model) Quitting() bool { return m.quitting }

// Entries are the event log's entries, oldest first.
func (m Model) Entries() []common.Entry { return m.log.Entries() }

// History is the model's chart history.
func (m Model) History() *analysis.History { return m.hist }
