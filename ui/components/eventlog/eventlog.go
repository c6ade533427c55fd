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

// stampWidth is the cells of an entry's time and the space after it; the
// lines an entry wraps onto are indented by as much.
const stampWidth = 8

// View renders the last entries that fit, their times relative to origin
// (the run's start; wall-clock time of day when origin is zero). An entry
// longer than the width wraps at its words onto the next lines, under its
// text; the newest entry is always shown, from its first line, and older
// ones only whole.
func (m Model) View(origin time.Time) string {
	if m.height <= 0 || m.width <= 0 {
		return ""
	}
	var blocks [][]string
	n := 0
	for i := len(m.entries) - 1; i >= 0 && n < m.height; i-- {
		b := m.entryLines(m.entries[i], origin)
		if n > 0 && n+len(b) > m.height {
			break
		}
		blocks = append(blocks, b)
		n += len(b)
	}
	if len(blocks) == 0 {
		return m.styles.Dim.Render("no events yet")
	}
	lines := make([]string, 0, n)
	for i := len(blocks) - 1; i >= 0; i-- {
		lines = append(lines, blocks[i]...)
	}
	if len(lines) > m.height {
		lines = lines[:m.height]
	}
	return strings.Join(lines, "\n")
}

// entryLines renders e: its time, then its text wrapped at its words in
// the width left.
func (m Model) entryLines(e common.Entry, origin time.Time) []string {
	st := m.styles
	stamp := e.Time.Format("15:04:05")
	if !origin.IsZero() {
		d := e.Time.Sub(origin)
		if d < 0 {
			d = 0
		}
		stamp = timeaxis.Clock(d) + "." + string(rune('0'+int(d/(100*time.Millisecond))%10))
	}
	stamp = padLeft(stamp, stampWidth-1)
	indent := strings.Repeat(" ", ansi.StringWidth(stamp)+1)
	textW := m.width - len(indent)
	if textW < 1 {
		return []string{ansi.Truncate(st.Dim.Render(stamp), m.width, "")}
	}
	parts := common.Wrap(e.Text, textW)
	out := make([]string, len(parts))
	for i, p := range parts {
		switch e.Level {
		case common.Warn:
			p = st.Warn.Render(p)
		case common.Error:
			p = st.Bad.Render(p)
		}
		if i == 0 {
			out[i] = st.Dim.Render(stamp) + " " + p
		} else {
			out[i] = indent + p
		}
	}
	return out
}

func padLeft(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat(" ", n-len(s)) + s
}
