package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine/enginetest"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/session"
)

// buildBinary builds scalelab into a temporary directory once for the
// calling test (a TestMain would clash with other tests of this package).
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "scalelab")
	out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a started scalelab whose stderr is read line by line.
type process struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	lines  chan string   // stderr, closed at EOF
	exited chan struct{} // closed once Wait returned
	err    error         // Wait's result, set before exited closes
}

// start runs the binary with args; the test's cleanup kills it if it still
// runs.
func start(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), stdout: &syncBuffer{}, lines: make(chan string, 1000), exited: make(chan struct{})}
	p.cmd.Stdout = p.stdout
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill() // our own child, if it still runs
		go p.drain()
		<-p.exited
	})
	return p
}

// waitLine waits for a stderr line containing want.
func (p *process) waitLine(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("scalelab ended before printing %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("no %q on stderr after %s", want, timeout)
		}
	}
}

// drain reads the rest of stderr.
func (p *process) drain() {
	for range p.lines {
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *process) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	go p.drain()
	select {
	case <-p.exited:
		var exit *exec.ExitError
		if p.err != nil && !errors.As(p.err, &exit) {
			t.Fatalf("wait: %v", p.err)
		}
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		t.Fatalf("scalelab still running %s after the signal", timeout)
		return -1
	}
}

// TestCtrlC runs the real binary: a first SIGINT stops the load gracefully
// and prints the summary with exit 0; a second one exits at once.
func TestCtrlC(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)

	t.Run("first stops gracefully", func(t *testing.T) {
		t.Parallel()
		srv := enginetest.NewServer(t, enginetest.Delay(200*time.Millisecond))
		p := start(t, bin, "load", srv.URL, "--rate", "100", "--json")
		p.waitLine(t, "inflight", 15*time.Second) // the first live line, after a second
		if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		if code := p.wait(t, 15*time.Second); code != 0 {
			t.Fatalf("exit %d after Ctrl-C, want 0", code)
		}
		s := decodeOne(t, p.stdout.String())
		if s.Requests < 50 || s.Requests != srv.Total() || s.Status["200"] != s.Requests {
			t.Errorf("summary: %d requests, status %v; server answered %d: requests in flight must be awaited",
				s.Requests, s.Status, srv.Total())
		}
		if s.DurationS < 0.9 {
			t.Errorf("duration_s %g for a run stopped after its first live line", s.DurationS)
		}
	})

	t.Run("second exits at once", func(t *testing.T) {
		t.Parallel()
		srv := enginetest.NewHangServer(t)
		p := start(t, bin, "load", srv.URL, "--rate", "50", "--timeout", "60s")
		p.waitLine(t, "inflight", 15*time.Second)
		if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		// The first Ctrl-C waits for requests that will never be answered.
		p.waitLine(t, "stopping", 10*time.Second)
		sent := time.Now()
		if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		code := p.wait(t, 10*time.Second)
		if took := time.Since(sent); took > 3*time.Second {
			t.Errorf("second Ctrl-C took %s to exit", took)
		}
		if code != exitInterrupted {
			t.Errorf("exit %d after a second Ctrl-C, want %d", code, exitInterrupted)
		}
		if out := p.stdout.String(); strings.Contains(out, "requests") {
			t.Errorf("summary printed after quitting at once:\n%s", out)
		}
	})
}

// TestHupStopsLikeTerm sends SIGHUP (the terminal closed) to headless runs
// that record, a load and a demo: each stops as on SIGTERM, prints its
// summary, exits 0, and leaves a recording that has the closing summary (the
// one printed) and every second up to the stop.
func TestHupStopsLikeTerm(t *testing.T) {
	t.Parallel()
	bin := tuiBinary(t)
	srv := enginetest.NewServer(t, enginetest.Delay(50*time.Millisecond))
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"load", []string{"load", srv.URL, "--rate", "100", "--duration", "60s", "--json"}},
		{"demo", []string{"demo", "--headless", "--replicas", "2", "--rate", "100", "--duration", "60s", "--startup-delay", "50ms",
			"--drain", "200ms", "--latency", "1ms", "--json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), tc.name+".scalelab")
			p := start(t, bin, append(tc.args, "--record", file)...)
			p.waitLine(t, "inflight", 30*time.Second)
			p.waitLine(t, "inflight", 5*time.Second) // two seconds: more than one block
			sent := time.Now()
			if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t, 15*time.Second); code != exitOK {
				t.Fatalf("exit %d after SIGHUP, want %d as after SIGTERM", code, exitOK)
			}
			out := p.stdout.String()
			var sum stoppedSummary
			if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Requests < 100 {
				t.Fatalf("summary after SIGHUP: %v, %d requests:\n%s", err, sum.Requests, out)
			}
			rec := openRecording(t, file)
			if !rec.Closed() || strings.TrimSpace(string(rec.Summary)) != strings.TrimSpace(out) {
				t.Fatalf("recording's closing summary %q, want the printed one %q", rec.Summary, out)
			}
			if end := rec.FrameEnd(rec.Len() - 1); end.Before(sent.Add(-2 * session.Interval)) {
				t.Fatalf("the recording ends %s before the SIGHUP: its last second is missing", sent.Sub(end))
			}
			if d := rec.Duration().Seconds(); d < sum.DurationS-0.3 {
				t.Fatalf("the recording's frames cover %.2fs of a %.2fs window", d, sum.DurationS)
			}
		})
	}
}

// TestSecondSignalClosesRecording: a recorded headless load stopped by
// Ctrl-C waits for requests a target never answers; a second Ctrl-C quits
// at once with exitInterrupted, and the recording is readable to its last
// block: frames up to the second Ctrl-C and an event saying it was
// interrupted, no closing summary (none was printed).
func TestSecondSignalClosesRecording(t *testing.T) {
	t.Parallel()
	bin := tuiBinary(t)
	srv := enginetest.NewHangServer(t)
	file := filepath.Join(t.TempDir(), "quit.scalelab")
	p := start(t, bin, "load", srv.URL, "--rate", "50", "--timeout", "60s", "--record", file)
	p.waitLine(t, "inflight", 15*time.Second)
	p.waitLine(t, "inflight", 5*time.Second) // two seconds: more than one block
	stopped := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	p.waitLine(t, "stopping", 10*time.Second)
	time.Sleep(4 * session.Interval) // the engine's snapshots go on while it drains
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 10*time.Second); code != exitInterrupted {
		t.Fatalf("exit %d after a second Ctrl-C, want %d", code, exitInterrupted)
	}
	if took := time.Since(sent); took > 3*time.Second {
		t.Errorf("second Ctrl-C took %s to exit", took)
	}
	rec := openRecording(t, file)
	if rec.Closed() {
		t.Errorf("a closing summary after quitting at once: %s", rec.Summary)
	}
	checkInterrupted(t, rec, stopped, false)
}

// openRecording opens a recording that must be intact; the test closes it.
func openRecording(t *testing.T, file string) *recordings.Recording {
	t.Helper()
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rec.Close() })
	if len(rec.Problems) != 0 || rec.Len() == 0 {
		t.Fatalf("recording: %d frames, problems %v", rec.Len(), rec.Problems)
	}
	return rec
}

// checkInterrupted checks a recording that a second signal closed after
// the run stopped at stopped: its last event says so and its frames reach
// the stop (the last block was written: a lost one ends up to a second
// earlier).
// finished allows instead a recording the session had completed before
// the second signal (its load drained, only the cluster still stopping):
// it has its closing summary.
func checkInterrupted(t *testing.T, rec *recordings.Recording, stopped time.Time, finished bool) {
	t.Helper()
	var last recordings.Event
	if n := len(rec.Events); n > 0 {
		last = rec.Events[n-1]
	}
	interrupted := last.Source == recordings.FromOperator && last.Kind == "interrupted" && strings.Contains(last.Message, "quit at once")
	if !interrupted && !(finished && rec.Summary != nil) {
		t.Errorf("the recording's last event (of %d) is not the interruption: %s %s %q", len(rec.Events), last.Source, last.Kind, last.Message)
	}
	if end := rec.FrameEnd(rec.Len() - 1); end.Before(stopped.Add(-2 * session.Interval)) {
		t.Errorf("the recording ends %s before the stop: its last block is missing", stopped.Sub(end))
	}
}

// TestHungUpUIError: the UI's input failing with EIO (its terminal closed,
// when that is seen before the SIGHUP) ends the session as SIGHUP does;
// any other UI error stays an error.
func TestHungUpUIError(t *testing.T) {
	t.Parallel()
	eio := fmt.Errorf("error reading input: %w", &fs.PathError{Op: "read", Path: "/dev/pts/3", Err: syscall.EIO})
	if !hungUp(eio) {
		t.Errorf("%v: want a hang-up", eio)
	}
	for _, err := range []error{errors.New("error reading input: bad escape"), fmt.Errorf("x: %w", syscall.EBADF)} {
		if hungUp(err) {
			t.Errorf("%v: not a hang-up", err)
		}
	}
}
