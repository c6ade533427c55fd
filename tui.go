package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/ui"
)

// uiTick is the engine's snapshot interval under the UI: four frames a
// second.
const uiTick = 250 * time.Millisecond

// quitGrace bounds the wait for requests in flight (and the cluster's stop)
// after the UI quits, so that quitting takes about as long at most. The
// engine stops waiting for its requests quitDrain after the quit and
// counts those still in flight as abandoned, so its result is complete
// well within quitGrace.
const (
	quitGrace = 2500 * time.Millisecond
	quitDrain = 2 * time.Second
)

// session is an interactive run: the load and, optionally, the cluster
// the UI shows and controls.
type session struct {
	// command names the command in messages ("run", "demo").
	command string
	target  engine.Target
	model   string
	opts    []engine.Option
	window  time.Duration
	// cluster is attached when not nil, with its event subscription
	// events (made before the cluster started, to show its first events);
	// stopCluster (optional) stops it when the UI quits, in parallel with
	// the load's drain.
	cluster     cluster.Cluster
	events      <-chan cluster.Event
	stopCluster func(context.Context) error
	// observe (optional) is also given each snapshot; alongside (optional)
	// runs next to the load, from the load's start until it ends.
	observe   func(*engine.Snapshot)
	alongside func(ctx context.Context, start time.Time)
	// rec (optional) records the session.
	rec *recorder
	// sig handles the stop signals (it made the context the session runs
	// under): while the UI holds the terminal it gives it back on a quit
	// at once.
	sig *interrupt
	// showSecrets prints the target URL as given, not redacted.
	showSecrets bool
}

// url is the target URL as the session prints it.
func (s session) url() string { return shownURL(s.target.URL, s.showSecrets) }

// window is the sending window the flags set (0 when unbounded).
func (f *loadFlags) window() time.Duration {
	if f.stages != "" {
		if st, err := engine.ParseStages(f.stages); err == nil {
			return engine.StagesDuration(st)
		}
	}
	return f.duration
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

// runInteractive runs the load under the UI and, once the UI quit and
// the terminal is back to normal, returns the run's report (the caller
// prints it).
func runInteractive(ctx context.Context, io streams, s session) (report.Summary, error) {
	out, err := terminal(io)
	if err != nil {
		return report.Summary{}, err
	}
	feed := ui.NewFeed()
	var track *report.ModelTrack // set before the run
	push := func(snap *engine.Snapshot) {
		s.rec.frame(snap) // first: the feed merges into snap later
		track.Observe(snap)
		if s.observe != nil {
			s.observe(snap)
		}
		feed.Push(snap)
	}
	opts := append(s.opts, engine.Tick(uiTick), engine.OnSnapshot(push), engine.Drain(quitDrain))
	eng, err := engine.New(s.target, opts...)
	if err != nil {
		return report.Summary{}, usageError{err}
	}
	track = report.NewModelTrack(s.model, eng.Closed())
	giveBack := savedTerminal(out)
	defer restoreOnPanic(giveBack)()

	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	results := make(chan runResult, 1)
	var alongside sync.WaitGroup
	if s.alongside != nil {
		start := time.Now()
		alongside.Go(func() { s.alongside(loadCtx, start) })
	}
	go func() {
		res, err := eng.Run(loadCtx)
		feed.Close()
		results <- runResult{res, err}
	}()

	uiCtx, stopUI := context.WithCancel(ctx)
	defer stopUI()
	cfg := ui.Config{
		Target:    s.url(),
		Model:     s.model,
		Load:      eng,
		Feed:      feed,
		Window:    s.window,
		Cluster:   s.cluster,
		Context:   uiCtx,
		Renderer:  lipgloss.NewRenderer(out),
		Recording: s.rec.path(),
		OnEntry:   s.rec.entry,
	}
	if cfg.Events = s.events; s.cluster != nil && cfg.Events == nil {
		cfg.Events = s.cluster.Subscribe(uiCtx)
	}
	// s.sig handles the signals, bubbletea does not: a stop signal cancels
	// ctx, which ends the UI, and one after the UI quit quits at once.
	popts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithOutput(out), tea.WithContext(ctx), tea.WithoutSignalHandler()}
	if !term.IsTerminal(os.Stdin.Fd()) {
		popts = append(popts, tea.WithInputTTY())
	}
	prog := tea.NewProgram(ui.New(cfg), popts...)
	s.rec.warnVia(func(text string) { prog.Send(ui.WarningMsg{Text: text}) })
	s.sig.holdTerminal(giveBack)
	_, uiErr := prog.Run()
	s.sig.holdTerminal(nil)
	s.rec.warnVia(nil)
	quit := time.Now()
	stopUI()
	stopLoad()
	rep, note := s.finish(feed, results, &alongside, quit)
	track.Apply(&rep) // the engine and its snapshots ended in finish
	if uiErr != nil && !errors.Is(uiErr, tea.ErrInterrupted) && !errors.Is(uiErr, tea.ErrProgramKilled) && !hungUp(uiErr) {
		return rep, fmt.Errorf("%s: terminal UI: %w", s.command, uiErr)
	}
	if note != "" {
		fmt.Fprintln(io.err, note)
	}
	return rep, nil
}

// runResult is what the engine's Run returned.
type runResult struct {
	res *engine.Result
	err error
}

// finish waits, within quitGrace, for the load's requests in flight and
// the cluster's stop, and returns the run's report; when the load does not
// end in time (the engine's drain should end it first) the report is made
// from the snapshots received, over the window until the quit, with a note
// that says how many requests it misses.
func (s session) finish(feed *ui.Feed, results <-chan runResult, alongside *sync.WaitGroup, quit time.Time) (report.Summary, string) {
	ctx, cancel := context.WithTimeout(context.Background(), quitGrace)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if s.stopCluster != nil {
			_ = s.stopCluster(ctx)
		}
		alongside.Wait()
	}()
	var rep report.Summary
	var note string
	select {
	case r := <-results:
		if r.err == nil {
			rep = report.New(s.command, s.url(), s.model, r.res)
			break
		}
		note = fmt.Sprintf("scalelab %s: load: %v", s.command, r.err)
		rep = partialReport(s, feed, quit)
	case <-ctx.Done():
		rep = partialReport(s, feed, quit)
		note = fmt.Sprintf("scalelab %s: the load did not end within %s of the quit: the summary misses the %d requests in flight at its last snapshot",
			s.command, quitGrace, feed.Total().InFlight)
	}
	select {
	case <-stopped:
	case <-ctx.Done():
	}
	return rep, note
}

// partialReport summarizes the snapshots the feed received, over the
// sending window: from the load's start until the quit (or the window's
// end, when that came first).
func partialReport(s session, feed *ui.Feed, quit time.Time) report.Summary {
	total := feed.Total()
	window := quit.Sub(total.Start)
	if total.Start.IsZero() || window < 0 || window > total.Elapsed() {
		window = total.Elapsed()
	}
	if s.window > 0 {
		window = min(window, s.window)
	}
	res := &engine.Result{Total: total, Window: window}
	return report.New(s.command, s.url(), s.model, res)
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
