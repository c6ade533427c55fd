package cli

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/scalelab/scalelab/engine"
)

// window is the sending window the flags set (0 when unbounded).
func (f *loadFlags) window() time.Duration {
	if f.stages != "" {
		return engine.StagesDuration(f.stageList())
	}
	return f.duration
}

// stageList is --stages parsed: by check, which reports a bad plan, or here
// once when asked before (nil when it does not parse).
func (f *loadFlags) stageList() []engine.Stage {
	if f.stagePlan == nil && f.stages != "" {
		f.stagePlan, _ = engine.ParseStages(f.stages)
	}
	return f.stagePlan
}

// terminal finds where the UI draws: stdout when it is a terminal (stderr
// when stdout is redirected, say to keep --json), or an error.
func terminal(io streams) (*os.File, error) {
	for _, w := range []any{io.out, io.err} {
		if f, ok := w.(*os.File); ok && term.IsTerminal(f.Fd()) {
			return f, nil
		}
	}
	return nil, badInput("no terminal to draw the UI on: use --headless")
}

// hungUp says whether the UI ended because its terminal went away (closed
// by tmux kill-session, a lost SSH connection: reading it fails with EIO):
// the session then ends as on SIGHUP, with its summary and recording.
func hungUp(uiErr error) bool { return errors.Is(uiErr, syscall.EIO) }

// savedTerminal saves the terminal's state and returns a function that puts
// it back: cooked mode, the alternate screen left, the cursor shown.
func savedTerminal(out *os.File) func() {
	fd := out.Fd()
	st, err := term.GetState(fd)
	return func() {
		if err == nil {
			_ = term.Restore(fd, st)
		}
		fmt.Fprint(out, "\x1b[?1049l\x1b[?25h")
	}
}

// restoreTerminal saves the terminal's state and returns a function, to
// defer, that puts it back and leaves the alternate screen if a panic
// unwinds past the UI (bubbletea restores it itself on a normal exit and on
// the panics it catches).
func restoreTerminal(out *os.File) func() { return restoreOnPanic(savedTerminal(out)) }

// restoreOnPanic returns a function, to defer, that gives the terminal back
// (giveBack, from savedTerminal) if a panic unwinds past it.
func restoreOnPanic(giveBack func()) func() {
	return func() {
		r := recover()
		if r == nil {
			return
		}
		giveBack()
		panic(r)
	}
}
