// Package eventlog is the list of what happened, newest at the bottom, each
// line with its elapsed time.
package eventlog

import (
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/ui/common"
	"github.com/scalelab/scalelab/ui/components/timeaxis"
)

// keep bounds the entries kept.
const keep = 500

// Model is the event log.
type Model struct {
	styles  *common.Styles
	width   int
	height  int
	entries []common.Entry
}

// New returns an empty event log.
func New(st *common.Styles) Model { return Model{styles: st} }

// SetSize sets the size of the log's text area.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// Add appends an entry.
func (m *Model) Add(e common.Entry) {
	m.entries = append(m.entries, e)
	if over := len(m.entries) - keep; over > 0 {
		m.entries = append(m.entries[:0], m.entries[over:]...)
	}
}

// Entries returns the entries kept, oldest first.
func (m Model) Entries() []common.Entry { return m.entries }

// View renders the last entries that fit, their times relative to origin
// (the run's start; wall-clock time of day when origin is zero).
func (m Model) View(origin time.Time) string {
	if m.height <= 0 || m.width <= 0 {
		return ""
	}
	st := m.styles
	lines := make([]string, 0, m.height)
	from := max(len(m.entries)-m.height, 0)
	for _, e := range m.entries[from:] {
		stamp := e.Time.Format("15:04:05")
		if !origin.IsZero() {
			d := e.Time.Sub(origin)
			if d < 0 {
				d = 0
			}
			stamp = timeaxis.Clock(d) + "." + string(rune('0'+int(d/(100*time.Millisecond))%10))
		}
		text := e.Text
		switch e.Level {
		case common.Warn:
			text = st.Warn.Render(text)
		case common.Error:
			text = st.Bad.Render(text)
		}
		line := st.Dim.Render(padLeft(stamp, 7)) + " " + text
		lines = append(lines, ansi.Truncate(line, m.width, "…"))
	}
	if len(lines) == 0 {
		lines = append(lines, st.Dim.Render("no events yet"))
	}
	return strings.Join(lines, "\n")
}

func padLeft(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat(" ", n-len(s)) + s
}
