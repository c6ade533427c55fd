package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// exitInterrupted is the exit code of a second Ctrl-C.
const exitInterrupted = 130

// interruptible returns a context cancelled by the first Ctrl-C (or
// SIGTERM); a second one exits the process at once. stop releases the
// signal handler.
func interruptible(parent context.Context, errOut io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(errOut, "\nstopping: waiting for requests in flight (Ctrl-C again to quit at once)")
		cancel()
		select {
		case <-sigs:
			fmt.Fprintln(errOut, "quit")
			os.Exit(exitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}
