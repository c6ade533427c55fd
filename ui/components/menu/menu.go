// Package menu is a small vertical menu: pick an item with the arrows and
// enter, or with its number.
package menu

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/ui/common"
)

// Item is one choice.
type Item struct {
	// Title is shown; Value is what choosing it returns.
	Title, Value string
}

// ChosenMsg reports the item chosen from the menu with the given ID.
type ChosenMsg struct {
	ID   string
	Item Item
}

// Model is a menu.
type Model struct {
	ID    string
	Title string
	items []Item
	sel   int
	keys  *common.KeyMap
	st    *common.Styles
}

// New returns a menu identified by id (echoed in ChosenMsg).
func New(st *common.Styles, keys *common.KeyMap, id, title string, items []Item) Model {
	return Model{ID: id, Title: title, items: items, keys: keys, st: st}
}

// Items are the menu's items.
func (m Model) Items() []Item { return m.items }

// Selected is the index of the highlighted item.
func (m Model) Selected() int { return m.sel }

// Update moves the highlight or chooses an item.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok || len(m.items) == 0 {
		return m, nil
	}
	switch {
	case key.Matches(k, m.keys.Up):
		m.sel = (m.sel + len(m.items) - 1) % len(m.items)
	case key.Matches(k, m.keys.Down):
		m.sel = (m.sel + 1) % len(m.items)
	case key.Matches(k, m.keys.Confirm):
		return m, m.choose(m.sel)
	default:
		if s := k.String(); len(s) == 1 && s[0] >= '1' && s[0] <= '9' {
			if i := int(s[0] - '1'); i < len(m.items) {
				m.sel = i
				return m, m.choose(i)
			}
		}
	}
	return m, nil
}

func (m Model) choose(i int) tea.Cmd {
	msg := ChosenMsg{ID: m.ID, Item: m.items[i]}
	return func() tea.Msg { return msg }
}

// View renders the menu.
func (m Model) View() string {
	lines := []string{m.st.PromptLabel.Render(m.Title)}
	for i, it := range m.items {
		line := fmt.Sprintf(" %d  %s", i+1, it.Title)
		if i > 8 {
			line = "    " + it.Title
		}
		if i == m.sel {
			lines = append(lines, m.st.MenuSelected.Render("›"+line[1:]))
		} else {
			lines = append(lines, m.st.MenuItem.Render(line))
		}
	}
	lines = append(lines, m.st.Dim.Render("↑/↓ enter or 1-9 to choose · esc to close"))
	return strings.Join(lines, "\n")
}

// Select highlights item i (kept in range).
func (m *Model) Select(i int) {
	if len(m.items) > 0 {
		m.sel = max(0, min(i, len(m.items)-1))
	}
}
