package main

import (
	"bufio"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine/enginetest"
)

// buildBinary builds scalelab into a temporary directory once for the
// calling test (a TestMain would clash with other tests of this package).
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "scalelab")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
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
