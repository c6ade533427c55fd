// Package tmuxtest runs a program in a real terminal for tests: a tmux
// session on a private server, driven with send-keys and read back with
// capture-pane.
package tmuxtest

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// poll is how often the Wait methods read the screen.
const poll = 100 * time.Millisecond

// Term is one tmux session on a private server.
type Term struct {
	t    testing.TB
	sock string
}

// New starts shell command cmd in a w x h tmux session on a private
// server that the test's cleanup kills. Without tmux the test fails (it
// does not skip): CI installs it (.ci/run).
func New(t testing.TB, w, h int, cmd string) *Term {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux not found: the terminal UI tests need it (apt-get install tmux; .ci/run installs it)")
	}
	x := &Term{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	x.Run("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), cmd)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", x.sock, "kill-server").Run() })
	return x
}

// Run runs a tmux command on the session's server and returns its output;
// a failure fails the test.
func (x *Term) Run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", x.sock}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Screen is the pane's text now.
func (x *Term) Screen() string { return x.Run("capture-pane", "-p", "-t", "e2e") }

// Keys sends tmux key names (Up, Enter, Escape, q, ...).
func (x *Term) Keys(k ...string) { x.Run(append([]string{"send-keys", "-t", "e2e"}, k...)...) }

// Text types literal text.
func (x *Term) Text(s string) { x.Run("send-keys", "-t", "e2e", "-l", s) }

// WaitFor polls the screen until it contains every one of want, or fails
// after timeout showing the screen.
func (x *Term) WaitFor(timeout time.Duration, want ...string) string {
	x.t.Helper()
	return x.wait(timeout, func(s string) string {
		for _, w := range want {
			if !strings.Contains(s, w) {
				return "lacks " + strconv.Quote(w)
			}
		}
		return ""
	})
}

// WaitMatch polls the screen until re matches it.
func (x *Term) WaitMatch(timeout time.Duration, re *regexp.Regexp) string {
	x.t.Helper()
	return x.wait(timeout, func(s string) string {
		if re.MatchString(s) {
			return ""
		}
		return "does not match " + re.String()
	})
}

// Until polls the screen until miss returns "" for it, or fails after
// timeout with what miss last said (what the screen lacks) and the
// screen; it returns the screen that satisfied miss.
func (x *Term) Until(timeout time.Duration, miss func(screen string) string) string {
	x.t.Helper()
	return x.wait(timeout, miss)
}

// WaitGone polls the screen until it no longer contains s.
func (x *Term) WaitGone(timeout time.Duration, s string) {
	x.t.Helper()
	x.wait(timeout, func(scr string) string {
		if strings.Contains(scr, s) {
			return "still shows " + strconv.Quote(s)
		}
		return ""
	})
}

// wait polls the screen until miss returns "" for it, or fails the test
// after timeout with what miss said and the screen.
func (x *Term) wait(timeout time.Duration, miss func(string) string) string {
	x.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := x.Screen()
		why := miss(s)
		if why == "" {
			return s
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("after %s the screen %s:\n%s", timeout, why, s)
		}
		time.Sleep(poll)
	}
}
