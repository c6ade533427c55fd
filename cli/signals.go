package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// exitInterrupted is the exit code of a run that a second Ctrl-C quit at
// once: 128 + SIGINT's number, the shell's code for a process it ended. A
// second SIGTERM or SIGHUP exits 128 + its number likewise (143, 129).
const exitInterrupted = 128 + int(syscall.SIGINT)

// stopSignals are the signals that stop a run: Ctrl-C, SIGTERM (kill, a
// supervisor) and SIGHUP (the terminal closed: tmux kill-session, a lost
// SSH connection). All three mean the same.
func stopSignals() []os.Signal { return []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP} }

// interrupt is how a command stops on a signal. The first stop signal
// cancels its context: the run stops sending, waits briefly for its
// requests in flight, prints its summary, finishes its recording and exits
// 0. A second one (or the first after the UI quit, which already stops the
// run) quits at once: it closes the recording (its last block, with an
// event saying it was interrupted), gives the terminal back if the UI
// still holds it, and exits with 128 + the signal's number.
type interrupt struct {
	ctx    context.Context
	cancel context.CancelFunc
	errOut io.Writer
	sigs   chan os.Signal
	done   chan struct{}

	// stopping is set once the run stops: the next signal quits at once.
	stopping atomic.Bool
	// rec is the recording a quit at once closes (nil: none).
	rec atomic.Pointer[recorder]
	// restore gives the terminal back while the UI holds it (nil: the UI
	// does not); the UI draws there, so no message is printed meanwhile.
	restore atomic.Pointer[func()]
}

// newInterrupt starts handling the stop signals for a command whose run
// uses i.ctx; stop releases the handler.
func newInterrupt(parent context.Context, errOut io.Writer) *interrupt {
	ctx, cancel := context.WithCancel(parent)
	i := &interrupt{ctx: ctx, cancel: cancel, errOut: errOut, sigs: make(chan os.Signal, 2), done: make(chan struct{})}
	signal.Notify(i.sigs, stopSignals()...)
	go i.loop()
	return i
}

// interruptible returns a context cancelled by the first stop signal; a
// second one exits the process at once. stop releases the signal handler.
func interruptible(parent context.Context, errOut io.Writer) (ctx context.Context, stop func()) {
	i := newInterrupt(parent, errOut)
	return i.ctx, i.stop
}

// loop handles the signals until stop.
func (i *interrupt) loop() {
	for {
		select {
		case s := <-i.sigs:
			if i.stopping.Swap(true) {
				i.quit(s)
				return
			}
			if i.restore.Load() == nil {
				fmt.Fprintf(i.errOut, "\nstopping (%s): waiting for requests in flight (Ctrl-C again to quit at once)\n", signalName(s))
			}
			i.cancel()
		case <-i.done:
			return
		}
	}
}

// quit closes the recording, restores the terminal and exits: the second
// signal s.
func (i *interrupt) quit(s os.Signal) {
	if restore := i.restore.Load(); restore != nil {
		(*restore)()
	}
	fmt.Fprintf(i.errOut, "quit at once (%s again): requests in flight not awaited, no summary\n", signalName(s))
	i.rec.Load().interrupted(signalName(s))
	code := exitInterrupted
	if n, ok := s.(syscall.Signal); ok {
		code = 128 + int(n)
	}
	os.Exit(code)
}

// record sets the recording that a quit at once closes.
func (i *interrupt) record(rec *recorder) {
	if i != nil {
		i.rec.Store(rec)
	}
}

// holdTerminal says that the UI holds the terminal and restore gives it
// back; nil says that the UI let it go, which stops the run: the next
// signal quits at once.
func (i *interrupt) holdTerminal(restore func()) {
	switch {
	case i == nil:
		return
	case restore == nil:
		i.stopping.Store(true)
		i.restore.Store(nil)
	default:
		i.restore.Store(&restore)
	}
}

// stop releases the signal handler and cancels the context.
func (i *interrupt) stop() {
	signal.Stop(i.sigs)
	close(i.done)
	i.cancel()
}

// signalName names a stop signal as an operator knows it.
func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "Ctrl-C"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}
