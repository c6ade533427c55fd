package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/session"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/timeaxis"
)

// Speeds are the replay's speeds.
var Speeds = []int{1, 2, 4, 10}

// seekStep is how far the seek keys jump.
const seekStep = 10 * time.Second

// replayTick is how often a playing replay advances.
const replayTick = 100 * time.Millisecond

// errReplay is what the load and the cluster of a replay answer.
var errReplay = errors.New("this is a recording: it cannot be changed")

// ReplayConfig is what a Replay plays.
type ReplayConfig struct {
	// Recording is the opened recording; File its path, for the header.
	Recording *recordings.Recording
	File      string
	// Renderer is the output's lipgloss renderer (lipgloss's default when
	// nil); Step a chart column's length (one second when 0).
	Renderer *lipgloss.Renderer
	Step     time.Duration
	// Paused starts the replay paused at its start (it plays at 1× by
	// default).
	Paused bool
	// Canary is the recording's canary judged again from its frames
	// (session.Replay's), nil without one: the canary panel shows it as it
	// stood at each position; CanaryConfig is its recorded analysis.
	Canary       *session.CanaryResult
	CanaryConfig canary.Config
}

// Replay is the replay UI: the live UI's Model, fed the recording's
// frames, cluster events and states as the engine and the cluster fed it
// (the same messages, so the screen is drawn by the same code), with the
// player's keys and a position bar in place of the help bar.
type Replay struct {
	rec     *recordings.Recording
	cfg     Config
	cluster *replayCluster
	keys    *common.ReplayKeyMap
	m       Model

	events  []recordings.Event // by time
	markers []time.Duration    // positions of the major events, ascending
	origin  time.Time

	pos     time.Duration // the position, from the recording's origin
	fedTo   time.Time     // the end of the frame being fed (the origin before the first)
	frame   int           // the next frame to feed
	event   int           // the next event to feed
	state   *cluster.State
	playing bool
	speed   int       // index in Speeds
	last    time.Time // wall time of the last tick while playing
	gen     int       // tick generation: a pause ends the running tick chain
	help    bool
	failed  string // the first frame that could not be decoded
	// columnsFrom is where the history's first column starts: frames
	// before it only counted in its totals.
	columnsFrom time.Duration
	// verdict is the recorded summary's verdict, shown at the end.
	verdict analysis.Verdict
}

// NewReplay returns the replay UI of cfg's recording, at its start.
func NewReplay(cfg ReplayConfig) *Replay {
	rec := cfg.Recording
	r := &Replay{rec: rec, keys: common.DefaultReplayKeyMap(), origin: rec.Origin(), playing: !cfg.Paused, verdict: recordedVerdict(rec)}
	r.cfg = Config{
		Target: rec.Header.Target, Model: rec.Header.Model, Window: rec.Header.Window,
		Load: replayLoad{closed: rec.Header.Closed, connects: rec.Header.FormatAtLeast(1, 7)}, Feed: NewFeed(), Context: context.Background(),
		Renderer: cfg.Renderer, Step: cfg.Step, Recording: cfg.File,
		Clock: func() time.Time { return r.origin.Add(r.pos) },
	}
	if rec.Header.Cluster != "" {
		r.cluster = &replayCluster{}
		r.cfg.Cluster = r.cluster
	}
	r.events = withoutStepNotes(rec.Events)
	sort.SliceStable(r.events, func(i, j int) bool { return r.events[i].Time.Before(r.events[j].Time) })
	if cfg.Canary != nil {
		// The panel reads it at each frame: as it stood at the frame's end.
		r.cfg.Canary = newReplayCanary(cfg.Canary, cfg.CanaryConfig, r.events, func() time.Time { return r.fedTo })
	}
	r.cfg.Scrape = replayScrapes(r.events, func() time.Time { return r.fedTo })
	r.cfg.Generator = recordedGenerator(r.events, func() time.Time { return r.fedTo })
	for _, e := range r.events {
		if en, ok := replayEntry(e); ok && en.Major {
			r.markers = append(r.markers, max(e.Time.Sub(r.origin), 0))
		}
	}
	r.reset()
	return r
}

// replayEntry is the event log entry of a recorded event; ok is false for
// events the live UI did not show. The judge's and the steps' show as
// live.
func replayEntry(e recordings.Event) (common.Entry, bool) {
	if ce, ok := e.Cluster(); ok {
		return eventEntry(ce), true
	}
	if s, ok := recordedStep(e); ok {
		return stepEntry(s)
	}
	if e.Source == recordings.FromJudge {
		return judgeEntry(recordedJudge(e)), true
	}
	if e.Source == recordings.FromCanary { // 1.6: the canary judge's, as live
		return canaryEntry(JudgeEvent{Time: e.Time, Kind: e.Kind, Value: e.Message, Title: e.Label})
	}
	if e.Source != recordings.FromOperator {
		return common.Entry{}, false
	}
	en := OperatorEntry(e.Time, e.Kind, e.Message, e.Label)
	switch { // a 1.0–1.3 recording kept the marks it was drawn with
	case e.Level == "warn":
		en.Level = common.Warn
	case e.Level == "error":
		en.Level = common.Error
	}
	en.Major = en.Major || e.Major
	return en, true
}

// recordedJudge is a recorded judge's event as the live UI had it: the
// threshold's status in its data is the summary's (metric, filter,
// source, text, no_data); without data, the event's label names it.
func recordedJudge(e recordings.Event) JudgeEvent {
	j := JudgeEvent{Time: e.Time, Kind: e.Kind, Threshold: e.Label}
	var st struct {
		Metric string `json:"metric"`
		Filter string `json:"filter"`
		Source string `json:"source"`
		Text   string `json:"text"`
		NoData bool   `json:"no_data"`
	}
	if json.Unmarshal(e.Data, &st) == nil && st.Source != "" {
		j.Threshold = st.Metric + st.Filter + " " + st.Source
		j.Value = ValueText(analysis.Status{Text: st.Text, NoData: st.NoData})
	}
	return j
}

// recordedVerdict is the verdict of the recording's closing summary,
// empty without one (or a summary without a verdict).
func recordedVerdict(rec *recordings.Recording) analysis.Verdict {
	var sum struct {
		Verdict analysis.Verdict `json:"verdict"`
	}
	if rec.Summary == nil || json.Unmarshal(rec.Summary, &sum) != nil {
		return ""
	}
	return sum.Verdict
}

// OperatorEntry is the event log entry, and the mark, of an operator's
// event of kind: an action or a note draws a line through the charts; a
// failed action is an error, a quit at once a warning, neither a line.
func OperatorEntry(at time.Time, kind, text, title string) common.Entry {
	en := common.Entry{Time: at, Label: title, Text: text, Kind: kind, Major: true}
	switch kind {
	case "failed":
		en.Level, en.Major = common.Error, false
	case "interrupted":
		en.Level, en.Major = common.Warn, false
	}
	if en.Label == "" {
		en.Label = label(text, kind)
	}
	return en
}

// reset starts the inner model afresh, keeping the screen size and the
// view toggles, at position 0.
func (r *Replay) reset() {
	old := r.m
	r.m = New(r.cfg)
	if old.hist != nil {
		r.m.show, r.m.showMax = old.show, old.showMax
		r.m.com.SetSize(old.com.Width, old.com.Height)
		r.m.layout()
	}
	if r.cluster != nil {
		r.cluster.set(cluster.State{})
	}
	r.frame, r.event, r.state, r.pos, r.columnsFrom, r.fedTo = 0, 0, nil, 0, 0, r.origin
	r.status()
}

// Position is the replay's position from the recording's start.
func (r *Replay) Position() time.Duration { return r.pos }

// Playing reports whether the replay plays; Speed is its speed.
func (r *Replay) Playing() bool { return r.playing }

// Speed is the replay's speed (1, 2, 4 or 10).
func (r *Replay) Speed() int { return Speeds[r.speed] }

// Model is the live UI's model being fed.
func (r *Replay) Model() Model { return r.m }

// Seek moves to position p (clamped to the recording): forward by feeding
// the frames up to it, backward by starting afresh and feeding the frames
// from the start (the oldest without histograms: their columns are out of
// the history's reach).
func (r *Replay) Seek(p time.Duration) {
	p = min(max(p, 0), r.rec.Duration())
	if p < r.pos {
		r.reset()
	}
	r.feedTo(p)
	r.pos = p
	r.status()
}

// feedTo feeds the frames ending by position p and the events up to them.
// Frames older than the charts show, before the first one the history took
// into a column, only count in its totals: a jump far into a long
// recording costs little more than a screenful.
func (r *Replay) feedTo(p time.Duration) {
	until := r.origin.Add(p)
	full := r.rec.Seek(p - r.span())
	for r.frame < r.rec.Len() && !r.rec.FrameEnd(r.frame).After(until) {
		r.fedTo = r.rec.FrameEnd(r.frame)
		r.feedEvents(r.fedTo)
		old := r.frame < full && r.m.hist.Current() < 0
		detail := recordings.Full
		if old {
			detail = recordings.Counters
		}
		f, err := r.rec.Frame(r.frame, detail)
		switch {
		case err != nil:
			if r.failed == "" {
				r.failed = err.Error()
			}
		case old:
			// Out of the history's reach: only its totals count.
			r.m.hist.AddTotals(f.Snapshot)
		default:
			if r.m.hist.Current() < 0 {
				r.columnsFrom = f.Snapshot.Start.Sub(r.origin)
			}
			r.feedFrame(f)
		}
		r.frame++
	}
	r.feedEvents(until)
}

// span is how far back from the position the charts reach (the history's
// whole reach before the screen's size is known), with a margin.
func (r *Replay) span() time.Duration {
	cols := analysis.DefaultKeep
	if r.m.com.Width > 0 {
		cols = min(r.m.tput.Columns(), cols)
	}
	return r.m.hist.Step() * time.Duration(cols+10)
}

// feedFrame gives the model one frame and, when it changed, the cluster's
// state.
func (r *Replay) feedFrame(f recordings.Frame) {
	r.m = r.inner(FrameMsg(Frame{Snapshot: f.Snapshot, CPU: f.CPU, CPUKnown: f.CPUKnown, Procs: f.Procs}))
	if f.State != nil && f.State != r.state && r.cluster != nil {
		r.state = f.State
		r.cluster.set(*f.State)
		r.m = r.inner(stateMsg{State: *f.State})
	}
}

// feedEvents gives the model the events up to t.
func (r *Replay) feedEvents(t time.Time) {
	for r.event < len(r.events) && !r.events[r.event].Time.After(t) {
		e := r.events[r.event]
		r.event++
		if ce, ok := e.Cluster(); ok {
			r.m = r.inner(eventMsg(ce))
		} else if s, ok := recordedStep(e); ok {
			r.m = r.m.onSteps([]StepEvent{s})
		} else if en, ok := replayEntry(e); ok {
			r.m.log.Add(en)
		}
	}
}

// inner applies msg to the model, dropping its commands (they would read
// the feed and the cluster, which the replay feeds itself).
func (r *Replay) inner(msg tea.Msg) Model {
	next, _ := r.m.Update(msg)
	return next.(Model)
}

// Init starts playing.
func (r *Replay) Init() tea.Cmd {
	if !r.playing {
		return nil
	}
	return r.play()
}

// replayTickMsg advances a playing replay.
type replayTickMsg struct {
	gen int
	at  time.Time
}

// play starts a tick chain from now.
func (r *Replay) play() tea.Cmd {
	r.playing = true
	r.gen++
	r.last = time.Time{}
	return tick(r.gen)
}

func tick(gen int) tea.Cmd {
	return tea.Tick(replayTick, func(t time.Time) tea.Msg { return replayTickMsg{gen: gen, at: t} })
}

// Update handles one message.
func (r *Replay) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		r.m = r.inner(msg)
		if r.columnsFrom > 0 && r.pos-r.columnsFrom < r.span() {
			// Wider charts than the history was rebuilt for.
			p := r.pos
			r.reset()
			r.Seek(p)
		}
		return r, nil
	case replayTickMsg:
		return r, r.onTick(msg)
	case tea.KeyMsg:
		return r, r.onKey(msg)
	}
	return r, nil
}

// onTick advances by the wall time since the last tick times the speed.
func (r *Replay) onTick(msg replayTickMsg) tea.Cmd {
	if msg.gen != r.gen || !r.playing {
		return nil
	}
	if !r.last.IsZero() {
		d := time.Duration(float64(msg.at.Sub(r.last)) * float64(Speeds[r.speed]))
		r.Seek(r.pos + max(d, 0))
	}
	r.last = msg.at
	if r.pos >= r.rec.Duration() {
		r.playing = false
		r.status()
		return nil
	}
	return tick(r.gen)
}

// onKey handles a key: the player's, the view's; the load and cluster keys
// say why they do nothing.
func (r *Replay) onKey(k tea.KeyMsg) tea.Cmd {
	lk, rk := r.m.com.Keys, r.keys
	if r.help {
		switch {
		case key.Matches(k, lk.Quit):
			return tea.Quit
		case key.Matches(k, lk.Help), key.Matches(k, lk.Close):
			r.help = false
		}
		return nil
	}
	switch {
	case key.Matches(k, lk.Quit):
		return tea.Quit
	case key.Matches(k, lk.Help):
		r.help = true
	case key.Matches(k, lk.Close):
		r.m.status = ""
	case key.Matches(k, rk.PlayPause):
		return r.toggle()
	case key.Matches(k, rk.Faster):
		r.speed = min(r.speed+1, len(Speeds)-1)
	case key.Matches(k, rk.Slower):
		r.speed = max(r.speed-1, 0)
	case key.Matches(k, rk.Back):
		r.Seek(r.pos - seekStep)
	case key.Matches(k, rk.Forward):
		r.Seek(r.pos + seekStep)
	case key.Matches(k, rk.PrevMark):
		r.Seek(r.prevMarker())
	case key.Matches(k, rk.NextMark):
		r.Seek(r.nextMarker())
	case key.Matches(k, rk.Start):
		r.Seek(0)
	case key.Matches(k, rk.End):
		r.Seek(r.rec.Duration())
	case key.Matches(k, lk.RateUp), key.Matches(k, lk.RateDown), key.Matches(k, lk.RateSet):
		r.m = r.m.setError("replay: the load cannot be changed in a recording")
	case matchesAny(k, lk.ClusterKeys()):
		r.m = r.m.setError("replay: cluster actions are unavailable in a recording")
	case key.Matches(k, lk.Note):
		r.m = r.m.setError("replay: notes cannot be added to a recording")
	case key.Matches(k, lk.ToggleThroughput), key.Matches(k, lk.ToggleLatency),
		key.Matches(k, lk.ToggleErrors), key.Matches(k, lk.ToggleMax):
		r.m = r.inner(k)
	}
	r.status()
	return nil
}

func matchesAny(k tea.KeyMsg, bs []key.Binding) bool {
	for _, b := range bs {
		if key.Matches(k, b) {
			return true
		}
	}
	return false
}

// toggle plays or pauses; playing at the end starts over.
func (r *Replay) toggle() tea.Cmd {
	if r.playing {
		r.playing = false
		r.gen++
		r.status()
		return nil
	}
	if r.pos >= r.rec.Duration() {
		r.Seek(0)
	}
	cmd := r.play()
	r.status()
	return cmd
}

// prevMarker is the last marker more than a second before the position
// (so that pressing [ again goes further back), or the start.
func (r *Replay) prevMarker() time.Duration {
	for i := len(r.markers) - 1; i >= 0; i-- {
		if r.markers[i] < r.pos-time.Second {
			return r.markers[i]
		}
	}
	return 0
}

// nextMarker is the first marker after the position, or the end.
func (r *Replay) nextMarker() time.Duration {
	for _, m := range r.markers {
		if m > r.pos+50*time.Millisecond {
			return m
		}
	}
	return r.rec.Duration()
}

// status shows the player's state in the header.
func (r *Replay) status() {
	switch {
	case r.playing:
		r.m.state = fmt.Sprintf("replay %d×", Speeds[r.speed])
	case r.pos >= r.rec.Duration():
		r.m.state = "replay end"
	default:
		r.m.state = "replay paused"
	}
	// The recorded verdict in the header at the end, as the live run's.
	r.m.ended = r.pos >= r.rec.Duration() && r.verdict != ""
	r.m.verdict = r.verdict
	if r.m.status != "" {
		return
	}
	switch {
	case len(r.rec.Problems) > 0:
		r.m = r.m.setError("recording damaged: " + r.rec.Problems[0] + "; what was readable replays")
	case r.failed != "":
		r.m = r.m.setError("recording damaged: " + r.failed)
	default:
		r.m = r.m.setStatus("replay: space plays/pauses · ←/→ 10 s · [ ] event markers · < > speed · ? keys")
	}
}

// View renders the live UI's screen with the position bar in place of its
// help bar, or the replay's help.
func (r *Replay) View() string {
	w, h := r.m.com.Width, r.m.com.Height
	screen := r.m.View()
	if w < MinWidth || h < MinHeight {
		return screen
	}
	lines := strings.Split(screen, "\n")
	if len(lines) == h {
		lines[h-1] = r.bar(w)
	}
	screen = strings.Join(lines, "\n")
	if r.help {
		screen = overlay(screen, r.m.com.Styles.Prompt.Render(r.helpView()), w, h)
	}
	return screen
}

// bar is the position bar: play state, speed, position, a track with the
// event markers, and the length.
func (r *Replay) bar(w int) string {
	st := r.m.com.Styles
	icon := "▶"
	if !r.playing {
		icon = "❚❚"
	}
	left := fmt.Sprintf(" %s %d×  %s ", icon, Speeds[r.speed], timeaxis.Clock(r.pos))
	right := " " + timeaxis.Clock(r.rec.Duration()) + " "
	n := w - lipgloss.Width(left) - lipgloss.Width(right)
	if n < 10 {
		return fitLine(st.Bold.Render(left), w)
	}
	total := r.rec.Duration()
	cell := func(d time.Duration) int {
		if total <= 0 {
			return 0
		}
		return int(math.Round(float64(d) / float64(total) * float64(n-1)))
	}
	marks := map[int]bool{}
	for _, m := range r.markers {
		marks[cell(m)] = true
	}
	cur := cell(r.pos)
	var played, rest strings.Builder
	for i := range n {
		switch {
		case i == cur:
		case i < cur && marks[i]:
			played.WriteString("╋")
		case i < cur:
			played.WriteString("━")
		case marks[i]:
			rest.WriteString("┼")
		default:
			rest.WriteString("─")
		}
	}
	track := st.Running.Render(played.String()) + st.Bold.Render("●") + st.Dim.Render(rest.String())
	return fitLine(st.Bold.Render(left)+track+st.Dim.Render(right), w)
}

// helpView lists the replay's keys and the view keys.
func (r *Replay) helpView() string {
	st := r.m.com.Styles
	lk := r.m.com.Keys
	var b strings.Builder
	b.WriteString(st.Title.Render("replay keys") + st.Dim.Render("   (? or esc closes)") + "\n\n")
	row := func(k key.Binding) {
		b.WriteString(st.HelpKey.Render(fmt.Sprintf("%-8s", k.Help().Key)) + " " + st.HelpDesc.Render(k.Help().Desc) + "\n")
	}
	for _, k := range r.keys.Bindings() {
		row(k)
	}
	for _, k := range []key.Binding{lk.ToggleThroughput, lk.ToggleLatency, lk.ToggleErrors, lk.ToggleMax, lk.Quit} {
		row(k)
	}
	b.WriteString("\n" + st.HelpOff.Render("load, cluster and note keys: unavailable in a recording"))
	return b.String()
}

// replayLoad is the load of a replay: its model, and no changes.
// replayLoad is a replay's Load: closed as the recorded run, connects
// when its frames keep the connection figures (format 1.7).
type replayLoad struct{ closed, connects bool }

func (l replayLoad) Closed() bool                { return l.closed }
func (replayLoad) TargetRate() float64           { return 0 }
func (replayLoad) SetRate(float64) error         { return errReplay }
func (replayLoad) Concurrency() int              { return 0 }
func (replayLoad) SetConcurrency(int) error      { return errReplay }
func (replayLoad) Pause() (engine.Paused, error) { return engine.Paused{}, errReplay }
func (replayLoad) Resume(engine.Paused) error    { return errReplay }

// replayCluster is the cluster of a replay: the recorded state, and no
// actions.
type replayCluster struct {
	mu sync.Mutex
	st cluster.State
}

var _ cluster.Cluster = (*replayCluster)(nil)

func (c *replayCluster) set(s cluster.State) {
	c.mu.Lock()
	c.st = s
	c.mu.Unlock()
}

func (c *replayCluster) State() cluster.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

func (*replayCluster) Scale(context.Context, int) error            { return errReplay }
func (*replayCluster) Upgrade(context.Context, string) error       { return errReplay }
func (*replayCluster) Rollback(context.Context) error              { return errReplay }
func (*replayCluster) Inject(context.Context, cluster.Fault) error { return errReplay }

func (*replayCluster) Subscribe(context.Context) <-chan cluster.Event {
	ch := make(chan cluster.Event)
	close(ch)
	return ch
}
