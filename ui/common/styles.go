package common

import (
	"strconv"

	"github.com/charmbracelet/lipgloss"
	"github.com/guptarohit/asciigraph"
	"github.com/muesli/termenv"
)

// Palette entries are ANSI colour numbers: 16-colour terminals show them,
// richer ones too, and terminals without colour (or NO_COLOR) get none.
const (
	colBlue    = 12
	colYellow  = 11
	colRed     = 9
	colGreen   = 10
	colMagenta = 13
	colCyan    = 14
	colGrey    = 8
)

// Styles are every style the UI uses, in one place.
type Styles struct {
	// Color is false on terminals without colour and when NO_COLOR is set:
	// charts then tell their series apart by their line characters.
	Color bool

	App, Header, HeaderKey, Title, Dim, Bold lipgloss.Style
	Running, Paused, Stopping                lipgloss.Style
	Good, Warn, Bad                          lipgloss.Style
	// Pass and Fail are the verdict's words in the header (FAIL and
	// ABORTED are both Fail).
	Pass, Fail                          lipgloss.Style
	Panel, PanelTitle                   lipgloss.Style
	Marker, MarkerMajor, MarkerLine     lipgloss.Style
	Prompt, PromptLabel, PromptError    lipgloss.Style
	MenuItem, MenuSelected              lipgloss.Style
	Status, StatusError                 lipgloss.Style
	HelpKey, HelpDesc, HelpSep, HelpOff lipgloss.Style
	// Span is a step's span on the time axis, SpanFailed one whose step
	// failed or was cut.
	Span, SpanFailed lipgloss.Style

	// Series are chart series colours, in order, as ANSI colour numbers
	// (for asciigraph) and as lipgloss styles (for legends).
	Series      []asciigraph.AnsiColor
	SeriesStyle []lipgloss.Style
	// SeriesChars tell series apart without colour.
	SeriesChars []string
}

// DefaultStyles returns the styles for the terminal that r renders to.
func DefaultStyles(r *lipgloss.Renderer) *Styles {
	color := r.ColorProfile() != termenv.Ascii
	fg := func(c int) lipgloss.Style { return r.NewStyle().Foreground(lipgloss.Color(strconv.Itoa(c))) }
	s := &Styles{
		Color:        color,
		App:          r.NewStyle(),
		Header:       r.NewStyle().Bold(true),
		HeaderKey:    fg(colGrey),
		Title:        r.NewStyle().Bold(true),
		Dim:          fg(colGrey),
		Bold:         r.NewStyle().Bold(true),
		Running:      fg(colGreen).Bold(true),
		Paused:       fg(colYellow).Bold(true),
		Stopping:     fg(colRed).Bold(true),
		Good:         fg(colGreen),
		Warn:         fg(colYellow).Bold(true),
		Bad:          fg(colRed).Bold(true),
		Pass:         fg(colGreen).Bold(true).Reverse(true).Padding(0, 1),
		Fail:         fg(colRed).Bold(true).Reverse(true).Padding(0, 1),
		Panel:        r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color(strconv.Itoa(colGrey))).Padding(0, 1),
		PanelTitle:   r.NewStyle().Bold(true),
		Marker:       fg(colGrey),
		MarkerMajor:  fg(colMagenta).Bold(true),
		MarkerLine:   fg(colMagenta),
		Span:         fg(colBlue),
		SpanFailed:   fg(colYellow),
		Prompt:       r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color(strconv.Itoa(colCyan))).Padding(0, 1),
		PromptLabel:  fg(colCyan).Bold(true),
		PromptError:  fg(colRed),
		MenuItem:     r.NewStyle(),
		MenuSelected: fg(colCyan).Bold(true),
		Status:       fg(colCyan),
		StatusError:  fg(colRed).Bold(true),
		HelpKey:      fg(colCyan),
		HelpDesc:     r.NewStyle(),
		HelpSep:      fg(colGrey),
		HelpOff:      fg(colGrey),
	}
	for _, c := range []int{colBlue, colYellow, colRed, colGreen, colMagenta, colCyan} {
		if color {
			s.Series = append(s.Series, asciigraph.AnsiColor(c))
		}
		s.SeriesStyle = append(s.SeriesStyle, fg(c))
	}
	s.SeriesChars = []string{"", "•", "*", "+", "o", "x"}
	return s
}
