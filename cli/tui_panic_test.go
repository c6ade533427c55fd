package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/scalelab/scalelab/internal/tmuxtest"
)

// panicHelperEnv makes TestTUIPanicHelper act as the UI process of
// TestPanicRestoresTerminal.
const panicHelperEnv = "SCALELAB_TUI_PANIC_HELPER"

// panicModel panics in Update on x and in a command on y.
type panicModel struct{}

func (panicModel) Init() tea.Cmd { return nil }

func (m panicModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok {
		switch k.String() {
		case "x":
			panic("boom in Update")
		case "y":
			return m, func() tea.Msg { panic("boom in a command") }
		}
	}
	return m, nil
}

func (panicModel) View() string { return "panic helper ready" }

// TestTUIPanicHelper is the UI process of TestPanicRestoresTerminal; run
// on its own it only says so.
func TestTUIPanicHelper(t *testing.T) {
	if os.Getenv(panicHelperEnv) == "" {
		t.Skip("the terminal UI process of TestPanicRestoresTerminal, run by it in tmux")
	}
	opts := []tea.ProgramOption{tea.WithAltScreen()}
	if os.Getenv(panicHelperEnv) == "nocatch" {
		// Only scalelab's deferred restore stands between the panic and a
		// raw terminal.
		opts = append(opts, tea.WithoutCatchPanics())
		defer func() {
			if recover() != nil {
				fmt.Println("RECOVERED")
			}
		}()
	}
	defer restoreTerminal(os.Stdout)()
	_, err := tea.NewProgram(panicModel{}, opts...).Run()
	if !errors.Is(err, tea.ErrProgramPanic) {
		t.Fatalf("want a recovered panic, got %v", err)
	}
	fmt.Println("RECOVERED")
}

// TestPanicRestoresTerminal panics a UI in a real terminal, in Update and
// in a command (caught by bubbletea), and in Update with bubbletea's
// recovery off (only scalelab's deferred restore left), and checks that the terminal is back in cooked mode with
// echo, off the alternate screen.
func TestPanicRestoresTerminal(t *testing.T) {
	for _, tc := range []struct{ name, mode, key string }{
		{"update", "catch", "x"},
		{"command", "catch", "y"},
		{"deferred restore alone", "nocatch", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.key
			cmd := fmt.Sprintf("sh -c '%s=%s %s -test.run=^TestTUIPanicHelper$ -test.v; echo EXIT=$?; stty -a; sleep 300'",
				panicHelperEnv, tc.mode, os.Args[0])
			x := tmuxtest.New(t, 100, 40, cmd)
			x.WaitFor(20*time.Second, "panic helper ready")
			x.Keys(key)
			s := x.WaitFor(20*time.Second, "EXIT=", "RECOVERED", "speed")
			if strings.Contains(s, "panic helper ready") {
				t.Fatalf("still on the UI's screen after the panic:\n%s", s)
			}
			fields := strings.Fields(s)
			for _, mode := range []string{"icanon", "echo", "isig"} {
				if !contains(fields, mode) || contains(fields, "-"+mode) {
					t.Fatalf("terminal left without %s after the panic:\n%s", mode, s)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
