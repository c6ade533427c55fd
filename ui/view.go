package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/agents"
	"github.com/scalelab/scalelab/ui/components/chart"
	"github.com/scalelab/scalelab/ui/components/generator"
	"github.com/scalelab/scalelab/ui/components/header"
	"github.com/scalelab/scalelab/ui/components/panel"
	"github.com/scalelab/scalelab/ui/components/replicas"
	"github.com/scalelab/scalelab/ui/components/saturation"
	"github.com/scalelab/scalelab/ui/components/timeaxis"
	"github.com/scalelab/scalelab/ui/components/versions"
)

// Screen sizes: the full layout needs FullWidth x FullHeight, the reduced
// one MinWidth x MinHeight; below that the UI asks for a larger terminal.
const (
	MinWidth   = 80
	MinHeight  = 24
	FullWidth  = 100
	FullHeight = 32
)

// Fixed heights of the layout's parts.
const (
	statusRows    = 1
	helpRows      = 1
	fullPanelRows = 10
	// maxExtraPanelRows are the rows the panels may grow by on Kubernetes.
	maxExtraPanelRows = 2
	reducedPanelRow   = 4
	// minEventsWidth is the narrowest the Events panel gets beside the
	// replicas in the full layout.
	minEventsWidth = 30
	minChartRows   = 3
)

// chartWeights share the charts' rows: throughput, latency, errors.
var chartWeights = [3]int{3, 4, 2}

// full reports the full layout.
func (m Model) full() bool { return m.com.Width >= FullWidth && m.com.Height >= FullHeight }

// markerRows is the number of marker rows under the charts.
func (m Model) markerRows() int {
	if m.full() {
		return 2
	}
	return 1
}

// panelRows is the height of the panels under the charts: in the full
// layout, on a tall enough screen, up to two more rows when the rollout's
// status message and an autoscaler sit above the replicas.
func (m Model) panelRows() int {
	fixed := m.headerRows() + statusRows + helpRows + m.versionRows() + m.canaryRows()
	if !m.anyChart() {
		return m.com.Height - fixed
	}
	if !m.full() {
		return reducedPanelRow
	}
	if m.com.Height < FullHeight+maxExtraPanelRows || !m.hasState {
		return fullPanelRows
	}
	return fullPanelRows + min(max(replicas.HeadRows(m.cstate, m.hasHPA)-1, 0), maxExtraPanelRows)
}

// versionRows is 1 while two or more versions answered recently (the
// split by version's line), else 0.
func (m Model) versionRows() int {
	if versions.Shown(m.hist.Versions()) {
		return 1
	}
	return 0
}

// autoscaler is the cluster's autoscaler, nil when it has none.
func (m Model) autoscaler() *cluster.Autoscaler {
	if !m.hasHPA {
		return nil
	}
	a := m.hpa
	return &a
}

func (m Model) anyChart() bool { return m.show[0] || m.show[1] || m.show[2] }

// layout sizes the charts for the screen.
func (m *Model) layout() {
	w, h := m.com.Width, m.com.Height
	m.help.Width = w
	rows := h - m.headerRows() - statusRows - helpRows - m.markerRows() - m.spanRows() - 1 - m.panelRows() - m.versionRows() - m.thresholdRows() - m.canaryRows() - m.scrapeRows()
	weight := 0
	for i, on := range m.show {
		if on {
			weight += chartWeights[i]
		}
	}
	charts := []*chart.Model{&m.tput, &m.lat, &m.errs}
	left := rows
	last := -1
	for i, c := range charts {
		if !m.show[i] {
			c.SetSize(w, 0)
			continue
		}
		ch := max(rows*chartWeights[i]/max(weight, 1), minChartRows)
		c.SetSize(w, ch)
		left -= ch
		last = i
	}
	if last >= 0 && left > 0 {
		charts[last].SetSize(w, charts[last].Height()+left)
	}
}

// View renders the screen.
func (m Model) View() string {
	w, h := m.com.Width, m.com.Height
	if w == 0 || h == 0 {
		return ""
	}
	if w < MinWidth || h < MinHeight {
		return tooSmall(m.com.Styles, w, h)
	}
	screen := m.screen()
	var box string
	st := m.com.Styles
	switch m.mode {
	case modeHelp:
		box = st.Prompt.Render(m.fullHelp())
	case modePrompt:
		box = st.Prompt.Render(m.prompt.View())
	case modeMenu:
		box = st.Prompt.Render(m.menu.View())
	case modeConfirm:
		q := st.Warn.Render(m.confirm.question)
		if m.confirm.detail != "" {
			q += "\n" + ansi.Truncate(m.confirm.detail, max(w-8, 20), "…")
		}
		box = st.Prompt.Render(q + "\n" + m.confirmHint())
	}
	if box != "" {
		screen = overlay(screen, box, w, h)
	}
	return screen
}

// tooSmall is the message shown on a terminal below the reduced layout.
func tooSmall(st *common.Styles, w, h int) string {
	msg := fmt.Sprintf("Terminal too small: %d×%d.\nscalelab needs at least %d×%d (full layout %d×%d).\nEnlarge the window, or quit with q.",
		w, h, MinWidth, MinHeight, FullWidth, FullHeight)
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "")
	}
	return st.Warn.Render(strings.Join(lines, "\n"))
}

// screen renders the main screen: exactly Height lines of Width cells.
func (m Model) screen() string {
	w, h := m.com.Width, m.com.Height
	var out []string
	out = append(out, strings.Split(header.View(m.com.Styles, m.headerInfo(), w), "\n")...)
	if m.anyChart() {
		out = append(out, m.charts()...)
	}
	if m.versionRows() > 0 {
		out = append(out, versions.View(m.com.Styles, m.hist.Versions(), w))
	}
	out = append(out, m.canaryLines()...)
	out = append(out, m.thresholdLines()...)
	out = append(out, m.scrapeLines()...)
	out = append(out, m.panels()...)
	out = append(out, m.statusLine())
	out = append(out, m.help.View(common.Help{Keys: m.keys(), Cluster: m.cfg.Cluster != nil, Narrow: w < FullWidth}))
	for len(out) < h {
		out = append(out[:len(out)-2], append([]string{""}, out[len(out)-2:]...)...)
	}
	out = out[:h]
	for i, l := range out {
		out[i] = fitLine(l, w)
	}
	return strings.Join(out, "\n")
}

// headerInfo gathers the header's figures.
func (m Model) headerInfo() header.Info {
	in := header.Info{
		Target:       m.cfg.Target,
		Model:        m.model,
		State:        m.state,
		Elapsed:      m.hist.Elapsed(),
		Window:       m.cfg.Window,
		Closed:       m.cfg.Load.Closed(),
		Requests:     m.hist.Requests(),
		Failed:       m.hist.Failed(),
		Availability: m.hist.Availability(),
		Recording:    m.recordingLabel(),
		Failing:      m.failing(),
		Retries:      m.retriesInfo(),
	}
	if m.ended {
		in.Verdict = VerdictWord(m.verdict)
	}
	if last := m.hist.Last(); last != nil {
		in.TargetRate, in.Concurrency = last.TargetRate, last.Concurrency
	}
	if c, ok := m.lastColumn(); ok {
		in.Achieved = c.RPS
	}
	return in
}

// lastColumn is the latest complete column, or the current one early on.
func (m Model) lastColumn() (analysis.Column, bool) {
	cols := m.hist.Window(2)
	if len(cols) == 0 {
		return analysis.Column{}, false
	}
	return cols[0], true
}

// charts renders the shown charts, the marker row and the time row.
func (m Model) charts() []string {
	w := m.com.Width
	n := m.tput.Columns()
	cols := m.hist.Window(n)
	first := 0
	if len(cols) > 0 {
		first = cols[0].Index
	}
	marks := m.marks(first, n)
	var lines []int
	for _, mk := range marks {
		if mk.Major {
			lines = append(lines, mk.Col)
		}
	}
	var out []string
	if m.show[0] {
		c := m.tput
		c.SetData(m.throughputSeries(cols), lines)
		out = append(out, strings.Split(c.View(), "\n")...)
	}
	if m.show[1] {
		c := m.lat
		c.SetData(m.latencySeries(cols), lines)
		c.SetShaded(mostlyFailed(cols), "mostly failed")
		if cl, ok := m.lastColumn(); ok && cl.Requests > 0 {
			c.SetNote(fmt.Sprintf("last second: p50 %s  p99 %s  max %s", fmtMs(cl.P50), fmtMs(cl.P99), fmtMs(cl.Max)))
		}
		out = append(out, strings.Split(c.View(), "\n")...)
	}
	if m.show[2] {
		c := m.errs
		c.SetData(errorSeries(cols), lines)
		out = append(out, strings.Split(c.View(), "\n")...)
	}
	out = append(out, timeaxis.MarkerRows(m.com.Styles, w, m.markerRows(), marks)...)
	if rows := m.spanRows(); rows > 0 {
		out = append(out, timeaxis.SpanRows(m.com.Styles, w, rows, m.axisSpans(first, first+max(len(cols)-1, 0)))...)
	}
	out = append(out, timeaxis.TimeRow(m.com.Styles, w, first, m.hist.Step()))
	return out
}

// marks places the event log's entries on the data columns from first on.
func (m Model) marks(first, n int) []timeaxis.Mark {
	if m.hist.Origin().IsZero() {
		return nil
	}
	var out []timeaxis.Mark
	for _, e := range m.log.Entries() {
		col := m.hist.IndexAt(e.Time) - first
		if col < 0 || col >= n {
			continue
		}
		out = append(out, timeaxis.Mark{Col: col, Label: e.Label, Major: e.Major, Urgent: e.Major && e.Level >= common.Warn})
	}
	return out
}

func (m Model) throughputSeries(cols []analysis.Column) []chart.Series {
	achieved := make([]float64, len(cols))
	target := make([]float64, len(cols))
	for i, c := range cols {
		achieved[i], target[i] = c.RPS, c.Target
	}
	out := []chart.Series{{Name: "achieved", Values: achieved}}
	if !m.cfg.Load.Closed() {
		out = append(out, chart.Series{Name: "target", Values: target})
	}
	return out
}

func (m Model) latencySeries(cols []analysis.Column) []chart.Series {
	p50 := make([]float64, len(cols))
	p90 := make([]float64, len(cols))
	p99 := make([]float64, len(cols))
	mx := make([]float64, len(cols))
	for i, c := range cols {
		p50[i], p90[i], p99[i], mx[i] = c.P50, c.P90, c.P99, c.Max
	}
	out := []chart.Series{{Name: "p50", Values: p50}, {Name: "p90", Values: p90}, {Name: "p99", Values: p99}}
	if m.showMax {
		out = append(out, chart.Series{Name: "max", Values: mx})
	}
	return out
}

// mostlyFailed are the columns in which most requests failed: their
// latency is mostly that of failures, so the latency chart shades them
// (an outage refused in microseconds must not read as fast answers).
func mostlyFailed(cols []analysis.Column) []int {
	var out []int
	for i, c := range cols {
		if c.MostlyFailed() {
			out = append(out, i)
		}
	}
	return out
}

// errorSeries charts non-2xx answers and, by class, the transport errors
// seen in the window (one line for all of them when there were none).
func errorSeries(cols []analysis.Column) []chart.Series {
	non2xx := make([]float64, len(cols))
	for i, c := range cols {
		non2xx[i] = c.Non2xx
	}
	out := []chart.Series{{Name: "non-2xx", Values: non2xx}}
	for _, class := range engine.ErrorClasses() {
		vals := make([]float64, len(cols))
		seen := false
		for i, c := range cols {
			vals[i] = c.Errors[class]
			seen = seen || vals[i] > 0
		}
		if seen {
			out = append(out, chart.Series{Name: class.String(), Values: vals})
		}
	}
	if len(out) == 1 {
		out = append(out, chart.Series{Name: "transport errors", Values: make([]float64, len(cols))})
	}
	return out
}

// probeSample is the generator probes' latest sample for the saturation
// panel, false without probes (a UI without them, a replay of a
// recording that keeps no readings).
func (m Model) probeSample() (probes.GeneratorSample, bool) {
	if m.cfg.Generator == nil || m.cfg.Agents != nil { // the agents' probes are in their panel
		return probes.GeneratorSample{}, false
	}
	smp, _ := m.cfg.Generator()
	if isReplay(m.cfg.Load) && smp.Interval <= 0 {
		return probes.GeneratorSample{}, false // a judgement without figures
	}
	return smp, true
}

// generatorStats gathers the generator panel's figures.
func (m Model) generatorStats() generator.Stats {
	s := generator.Stats{Closed: m.cfg.Load.Closed(), CPU: m.cpu, CPUKnown: m.cpuKnown, Procs: m.procs}
	if m.cfg.Agents != nil {
		// The agents send the load: the CPU is theirs (the running ones'
		// last probed seconds, of their limits), not this process's.
		var cpu, limit float64
		for _, a := range m.cfg.Agents() {
			if a.CPUKnown && a.State == "running" {
				cpu, limit = cpu+a.CPU, limit+a.CPULimit
			}
		}
		s.CPU, s.Cores, s.CPUKnown = 0, limit, limit > 0
		if limit > 0 {
			s.CPU = cpu / limit
		}
	}
	tot := m.hist.Totals()
	s.Dropped, s.Late = tot.Dropped, tot.Late
	if last := m.hist.Last(); last != nil {
		s.InFlight, s.LagMax = last.InFlight, last.LagMax
		if last.Requests > 0 {
			s.LagAvg = last.LagSum / time.Duration(last.Requests)
		}
		// A recording older than 1.7 keeps no connection figures: its
		// replay shows "—".
		if d := last.Elapsed(); d > 0 && keepsConnects(m.cfg.Load) {
			s.ConnectKnown = true
			s.Connects = float64(last.ConnectionsOpened) / d.Seconds()
			if last.Connect != nil && last.Connect.TotalCount() > 0 {
				s.ConnectP99 = time.Duration(last.Connect.ValueAtQuantile(99)) * time.Microsecond
			}
		}
	}
	if c, ok := m.lastColumn(); ok {
		s.RPS, s.DroppedRate, s.LateRate = c.RPS, c.Dropped, c.Late
	}
	if m.cfg.Generator != nil {
		if smp, sat := m.cfg.Generator(); !smp.At.IsZero() {
			s.Probed, s.Saturated, s.Reasons = true, sat.Saturated, sat.Reasons
		}
	}
	return s
}

// panels renders the replicas, generator and event log panels.
func (m Model) panels() []string {
	rows := m.panelRows()
	if rows <= 0 {
		return nil
	}
	if !m.full() && m.anyChart() {
		return m.compactPanels(rows)
	}
	st := m.com.Styles
	w := m.com.Width
	inner := rows - 3 // borders and title
	var boxes []string
	genW := max(w*36/100, generator.Width+4)
	if m.cfg.Cluster != nil {
		genW = generator.Width + 4
		title := "Replicas"
		body := st.Dim.Render("waiting for the cluster's state")
		repW := w * 42 / 100
		if m.hasState {
			// The replicas take what their lines need, leaving the
			// events minEventsWidth cells; lines wider than that wrap.
			title = replicas.Title(m.cstate)
			full := title + " · " + replicas.Bounds(m.cstate)
			need := max(replicas.Width(st, m.cstate, m.autoscaler()), ansi.StringWidth(full)) + 4
			repW = max(min(need, w-genW-minEventsWidth, w*50/100), w*36/100)
			head := 0
			switch {
			case ansi.StringWidth(full) <= repW-4:
				title = full
			case replicas.HeadRows(m.cstate, m.hasHPA) > 0 && inner-replicas.HeadRows(m.cstate, m.hasHPA) > len(m.cstate.Replicas):
				head = 1 // the bounds on the first line, when there is room
			}
			body = replicas.View(st, m.cstate, m.autoscaler(), inner-head, repW-4)
			if head > 0 {
				body = st.Dim.Render(replicas.Bounds(m.cstate)) + "\n" + body
			}
		}
		boxes = append(boxes, panel.Render(st, title, body, repW, rows))
	}
	gen := panel.Render(st, "Generator", generator.View(st, m.generatorStats(), genW-4, inner), genW, rows)
	if m.cfg.Agents != nil {
		// The agents send the load: their panel beside the generator's,
		// as wide as its lines need when the events keep their width,
		// narrower down to the width that keeps its figures; without
		// room for that (beside the replicas of a cluster), in the
		// generator's place: the agents' figures are the load's.
		ags := m.cfg.Agents()
		used := lipgloss.Width(gen)
		for _, b := range boxes {
			used += lipgloss.Width(b)
		}
		agW := min(agents.Need(st, ags)+4, w-used-minEventsWidth)
		switch {
		case agW >= agents.MinWidth+4:
			boxes = append(boxes, gen, panel.Render(st, "Agents", agents.View(st, ags, agW-4, inner), agW, rows))
		default:
			boxes = append(boxes, panel.Render(st, "Agents", agents.View(st, ags, genW-4, inner), genW, rows))
		}
	} else {
		boxes = append(boxes, gen)
	}
	if smp, ok := m.probeSample(); ok {
		// Beside the generator when the events keep their width.
		satW := saturation.Width + 4
		used := 0
		for _, b := range boxes {
			used += lipgloss.Width(b)
		}
		if w-used-satW >= minEventsWidth {
			boxes = append(boxes, panel.Render(st, "Saturation", saturation.View(st, smp, satW-4, inner), satW, rows))
		}
	}
	used := 0
	for _, b := range boxes {
		used += lipgloss.Width(b)
	}
	lw := w - used
	lg := m.log
	title, logRows, next := "Events", inner, m.nextStep()
	switch {
	case next == "":
	case ansi.StringWidth(title+" · "+next) <= lw-4:
		title += st.Dim.Render(" · ") + st.Status.Render(next)
	default:
		logRows-- // the next step on the body's first line
	}
	lg.SetSize(lw-4, logRows)
	body := lg.View(m.hist.Origin())
	if logRows < inner {
		body = st.Status.Render(next) + "\n" + body
	}
	boxes = append(boxes, panel.Render(st, title, body, lw, rows))
	return strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, boxes...), "\n")
}

// compactPanels is the reduced layout's panel area, without borders.
func (m Model) compactPanels(rows int) []string {
	st := m.com.Styles
	w := m.com.Width
	var out []string
	switch {
	case m.cfg.Cluster == nil:
		out = append(out, st.Dim.Render("no cluster attached: load only"))
	case m.hasState:
		out = append(out, m.compactReplicas(w))
		out = append(out, replicas.Faults(st, m.cstate, w)...)
	default:
		out = append(out, st.Dim.Render("waiting for the cluster's state"))
	}
	gen := generator.Compact(st, m.generatorStats(), w)
	if len(out)+len(gen) >= rows && len(gen) > 1 {
		gen = gen[:len(gen)-1] // the warning before the figures
	}
	if len(out)+len(gen) >= rows-1 && len(gen) > 1 && m.nextStep() != "" {
		gen = gen[:len(gen)-1] // the warning, before the next step
	}
	out = append(out, gen...)
	if m.cfg.Agents != nil && len(out) < rows-1 {
		if l := agents.Line(st, m.cfg.Agents(), w); l != "" {
			out = append(out, l)
		}
	}
	if smp, ok := m.probeSample(); ok && len(out) < rows-2 {
		if l := saturation.Line(smp, w); l != "" {
			out = append(out, st.Dim.Render(l))
		}
	}
	if next := m.nextStep(); next != "" {
		out = append(out, st.Status.Render(next))
	}
	lg := m.log
	lg.SetSize(w, rows-len(out))
	out = append(out, strings.Split(lg.View(m.hist.Origin()), "\n")...)
	for len(out) < rows {
		out = append(out, "")
	}
	return out[:rows]
}

// compactReplicas is the reduced layout's replicas line: title, phases,
// rollout and autoscaler, the rollout said briefly when it does not fit w.
func (m Model) compactReplicas(w int) string {
	st := m.com.Styles
	head := st.PanelTitle.Render(replicas.Title(m.cstate)) + "  " + replicas.Compact(st, m.cstate)
	var hpa string
	if a := m.autoscaler(); a != nil {
		hpa = "  " + st.Bold.Render("HPA") + fmt.Sprintf(" %d → %d", a.Current, a.Desired)
	}
	for _, ro := range []string{replicas.Rollout(st, m.cstate), replicas.RolloutShort(st, m.cstate)} {
		line := head
		if ro != "" {
			line += "  " + ro
		}
		if line += hpa; ansi.StringWidth(line) <= w {
			return line
		}
	}
	return head + "  " + replicas.RolloutShort(st, m.cstate) + hpa
}

// statusLine shows the last action's outcome.
func (m Model) statusLine() string {
	st := m.com.Styles
	if m.status == "" {
		var idle []string
		if m.cfg.Recording != "" && !isReplay(m.cfg.Load) {
			idle = append(idle, "recording to "+m.cfg.Recording)
		}
		if m.cfg.Cluster == nil {
			idle = append(idle, "no cluster attached: scale, upgrade, rollback and faults are unavailable")
		}
		return st.Dim.Render(strings.Join(idle, " · "))
	}
	if m.statusErr {
		return st.StatusError.Render("✗ " + m.status)
	}
	return st.Status.Render("› " + m.status)
}

// fullHelp renders the help screen: each group of keys under its title.
func (m Model) fullHelp() string {
	groups := common.Help{Keys: m.keys(), Cluster: m.cfg.Cluster != nil}.FullHelp()
	titles := []string{"Load", "Cluster", "View", "General"}
	st := m.com.Styles
	var cols []string
	for i, g := range groups {
		hm := m.help
		hm.ShowAll = true
		title := st.Title.Render(titles[i])
		if i == 1 && m.cfg.Cluster == nil {
			// Unavailable: greyed, and said in words for terminals
			// without colour.
			hm.Styles.FullKey, hm.Styles.FullDesc = st.HelpOff, st.HelpOff
			title = st.HelpOff.Render("Cluster: none attached")
		}
		body := hm.FullHelpView([][]key.Binding{g})
		cols = append(cols, lipgloss.JoinVertical(lipgloss.Left, title, body))
	}
	maxW := m.com.Width - 6
	var rows []string
	var row []string
	rowW := 0
	for _, c := range cols {
		cw := lipgloss.Width(c) + 3
		if rowW > 0 && rowW+cw > maxW {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, rowW = nil, 0
		}
		row = append(row, lipgloss.NewStyle().PaddingRight(3).Render(c))
		rowW += cw
	}
	rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	head := st.Title.Render("scalelab keys") + st.Dim.Render("   (? or esc closes)")
	return head + "\n\n" + strings.Join(rows, "\n\n")
}

// overlay draws box centred over screen.
func overlay(screen, box string, w, h int) string {
	lines := strings.Split(screen, "\n")
	bl := strings.Split(box, "\n")
	bw := lipgloss.Width(box)
	if bw > w {
		bw = w
	}
	x := max((w-bw)/2, 0)
	y := max((h-len(bl))/2, 0)
	for i, b := range bl {
		if y+i >= len(lines) {
			break
		}
		base := lines[y+i]
		lines[y+i] = ansi.Cut(base, 0, x) + fitLine(b, bw) + ansi.Cut(base, x+bw, w)
	}
	return strings.Join(lines, "\n")
}

// fitLine cuts or pads a line to exactly w cells.
func fitLine(s string, w int) string {
	s = ansi.Truncate(s, w, "")
	if n := ansi.StringWidth(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}
