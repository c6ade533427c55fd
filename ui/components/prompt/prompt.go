// Package prompt asks for one line of text (a rate, a version, a note)
// with bubbles/textinput.
package prompt

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/ui/common"
)

// SubmitMsg reports the text entered in the prompt with the given ID.
type SubmitMsg struct {
	ID    string
	Value string
}

// Model is a prompt.
type Model struct {
	ID    string
	label string
	hint  string
	err   string
	input textinput.Model
	keys  *common.KeyMap
	st    *common.Styles
}

// New returns a focused prompt identified by id, showing label and a hint,
// with value pre-filled.
func New(st *common.Styles, keys *common.KeyMap, id, label, hint, value string) Model {
	in := textinput.New()
	in.Prompt = "› "
	in.CharLimit = 200
	in.SetValue(value)
	in.CursorEnd()
	in.Cursor.SetMode(cursor.CursorStatic)
	in.Focus()
	return Model{ID: id, label: label, hint: hint, input: in, keys: keys, st: st}
}

// SetError shows err under the input (for a value that was refused).
func (m *Model) SetError(err string) { m.err = err }

// Value is the text entered so far.
func (m Model) Value() string { return m.input.Value() }

// SetWidth sets the input's width.
func (m *Model) SetWidth(w int) { m.input.Width = max(w-len(m.input.Prompt)-1, 10) }

// Update edits the text or submits it on enter.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && key.Matches(k, m.keys.Confirm) {
		out := SubmitMsg{ID: m.ID, Value: strings.TrimSpace(m.input.Value())}
		return m, func() tea.Msg { return out }
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	m.err = ""
	return m, cmd
}

// View renders the label, the input and the hint or error.
func (m Model) View() string {
	lines := []string{m.st.PromptLabel.Render(m.label), m.input.View()}
	switch {
	case m.err != "":
		lines = append(lines, m.st.PromptError.Render(m.err))
	case m.hint != "":
		lines = append(lines, m.st.Dim.Render(m.hint))
	}
	lines = append(lines, m.st.Dim.Render("enter to confirm · esc to cancel"))
	return strings.Join(lines, "\n")
}
