package ui

import (
	"path/filepath"

	"github.com/scalelab/scalelab/ui/common"
)

// WarningMsg is a warning from outside the UI, such as a recording that
// cannot be written: shown on the status line and in the event log, and
// the session goes on.
type WarningMsg struct {
	// Text says what went wrong, in one line.
	Text string
}

// journal adds an operator's entry to the event log and tells the
// recording.
func (m *Model) journal(e common.Entry) {
	m.log.Add(e)
	if m.cfg.OnEntry != nil {
		m.cfg.OnEntry(e)
	}
}

func (m Model) onWarning(msg WarningMsg) Model {
	m.log.Add(common.Entry{Time: m.cfg.Clock(), Label: "warning", Text: msg.Text, Level: common.Warn})
	return m.setError(msg.Text)
}

// recordingLabel is the header's note of where the session is recorded.
func (m Model) recordingLabel() string {
	switch {
	case m.cfg.Recording == "":
		return ""
	case isReplay(m.cfg.Load):
		return "▶ replay " + filepath.Base(m.cfg.Recording)
	}
	return "● rec " + filepath.Base(m.cfg.Recording)
}

// keepsConnects reports whether the load's snapshots have the connection
// figures: a live one's, and a replay's of a 1.7 recording.
func keepsConnects(l Load) bool {
	r, ok := l.(replayLoad)
	return !ok || r.connects
}

// isReplay reports the load of a replay.
func isReplay(l Load) bool {
	_, ok := l.(replayLoad)
	return ok
}
