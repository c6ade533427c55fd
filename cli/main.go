// Package cli is scalelab's command line: the cobra commands and their
// flag structs. It validates the flags, builds a session's configuration,
// picks the presenter (the terminal UI or headless), prints, and maps
// errors to exit codes; the run itself is the session package's.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/scalelab/scalelab/internal/residency"

	"github.com/scalelab/scalelab/report"
	"github.com/spf13/cobra"
)

// Exit codes, mapped in one place.
const (
	exitOK       = 0
	exitInternal = 1
	exitUsage    = 2
	// exitFailed is a run that completed (or was stopped) with a failed
	// verdict: a threshold or a scripted step failed. The summary is
	// printed first.
	exitFailed = report.ExitFailed
	// exitAborted is a run that a threshold with abortOnFail stopped. The
	// summary is printed first.
	exitAborted = report.ExitAborted
)

// verdictError is a run whose verdict failed, saying why: the command
// exits with exitFailed, or exitAborted when aborted is set.
type verdictError struct {
	err     error
	aborted bool
}

func (v verdictError) Error() string { return v.err.Error() }
func (v verdictError) Unwrap() error { return v.err }

// usageError is bad input: the command exits with exitUsage.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// badInput wraps err as bad input.
func badInput(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// streams are where a command reads and writes, and what it may do to
// the process it runs in.
type streams struct {
	out, err io.Writer
	// settle, when set, is called once a long-running command (a session,
	// the agent) has started, before its load: the process's own
	// (residency.Release). Main sets it; the in-process tests do not.
	settle func()
}

// Main runs the command line args (without the program's name) with its
// output on stdout and stderr, and returns the exit code. A session or
// an agent it runs gives back the pages of the binary that starting
// touched once (residency.Release), so that its resident set is what it
// runs.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, streams{out: stdout, err: stderr, settle: settleProcess})
}

// settleProcess gives back the binary's pages that the start touched and
// the run does not use; it cannot fail the run (a kernel that refuses
// leaves them resident). The garbage collector keeps Go's default target:
// a lower one (GOGC 50 or 75) took the soak's RSS from 62 MiB to 52 but
// cost the closed loop 5–6% more CPU a request (5.69 → 5.98–6.01 µs at
// 170,000 req/s, make bench-peers).
func settleProcess() { _, _ = residency.Release() }

// settled runs io's settle, when set.
func (io streams) settled() {
	if io.settle != nil {
		io.settle()
	}
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, io streams) int {
	root := newRootCmd(io)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	if !showsSecrets(root, args) {
		msg = redactMessage(msg, args)
	}
	fmt.Fprintf(io.err, "scalelab: %s\n", msg)
	var (
		u usageError
		v verdictError
	)
	switch {
	// cobra reports an unknown command or a stray argument as a plain error.
	case errors.As(err, &u) || strings.HasPrefix(err.Error(), "unknown command "):
		return exitUsage
	case errors.As(err, &v) && v.aborted:
		return exitAborted
	case errors.As(err, &v):
		return exitFailed
	}
	return exitInternal
}

// newRootCmd builds the command tree.
func newRootCmd(io streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "scalelab",
		Short: "Live scaling experiments: load, watch, scale, upgrade, break, record",
		Long: `scalelab drives HTTP load against a service and reports throughput and
latency percentiles live, while the service is scaled, upgraded and broken on
purpose, so that you can watch availability stay intact.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(io.out)
	root.SetErr(io.err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newLoadCmd(io), newRunCmd(io), newTargetCmd(io), newDemoCmd(io), newReplayCmd(io), newPlanCmd(io), newAgentCmd(io), newVersionCmd(io))
	return root
}
