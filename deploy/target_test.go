package deploy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/fleet"
	"github.com/spf13/pflag"
)

// The scalelab binary, built once for the package's tests.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// scalelabBinary builds scalelab (the module's main package) into a
// temporary folder on first use.
func scalelabBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "scalelab-deploy-test-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "scalelab")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/scalelab/scalelab").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// answer is how the target answered a GET.
type answer struct {
	code    int    // 0: no answer
	version string // X-Scalelab-Version: the application answered, not a check endpoint
}

// app reports whether the application answered (GET / answers every path
// the target does not serve otherwise).
func (a answer) app() bool { return a.version != "" }

// ok reports whether a kubelet's HTTP probe would pass (200..399).
func (a answer) ok() bool { return a.code >= 200 && a.code < 400 }

func (a answer) String() string {
	switch {
	case a.code == 0:
		return "nothing (no connection)"
	case a.app():
		return fmt.Sprintf("%d from the application (GET / answers every unknown path)", a.code)
	default:
		return fmt.Sprint(a.code)
	}
}

// served is what a real `scalelab target` answered.
type served struct {
	version  string            // X-Scalelab-Version of GET /
	drain    time.Duration     // from its "draining for" line on SIGTERM (0 with --no-drain)
	ready    map[string]answer // path → answer once ready
	draining map[string]answer // path → answer after SIGTERM
}

var (
	listeningLine = regexp.MustCompile(`listening on (http://\S+)`)
	drainingLine  = regexp.MustCompile(`draining for (\S+):`)
)

// runTarget runs the real binary with a container's arguments (after the
// binary: "target", flags) and environment, on a free loopback port. Once
// readiness answers 200 (or 10 s passed) it GETs each path and /, sends
// SIGTERM as the kubelet does, reads the drain from what the target says,
// GETs each path again once readiness fails (or 2 s passed) while it
// drains, and kills it. A flag the target
// does not take fails it, with the target's own message.
func runTarget(ctx context.Context, bin string, args []string, env map[string]string, readiness string, paths ...string) (served, error) {
	s := served{ready: map[string]answer{}, draining: map[string]answer{}}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(append([]string(nil), args...), "--listen=127.0.0.1:0")...)
	cmd.Env = environ(env)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return s, err
	}
	if err := cmd.Start(); err != nil {
		return s, err
	}
	lines := make(chan string, 100)
	var tail strings.Builder // what it printed, for errors
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	defer func() {
		_ = cmd.Process.Kill() // our own child
		for range lines {
		}
		_ = cmd.Wait()
	}()
	url, err := waitFor(lines, listeningLine, &tail)
	if err != nil {
		return s, err
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(10 * time.Second)
	for !get(ctx, client, url+readiness).ok() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	all := append([]string{readiness}, paths...)
	for _, p := range all {
		s.ready[p] = get(ctx, client, url+p)
	}
	s.version = get(ctx, client, url+"/").version
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return s, err
	}
	if d, err := waitFor(lines, drainingLine, &tail); err == nil {
		if s.drain, err = time.ParseDuration(d); err != nil {
			return s, fmt.Errorf("target: %q: %w", d, err)
		}
	}
	// The line comes as the drain starts: give readiness a moment to fail.
	deadline = time.Now().Add(2 * time.Second)
	for get(ctx, client, url+readiness).ok() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for _, p := range all {
		s.draining[p] = get(ctx, client, url+p)
	}
	return s, nil
}

// waitFor reads lines until one matches re and returns its first group;
// when the target ends first the error is what it printed.
func waitFor(lines <-chan string, re *regexp.Regexp, tail *strings.Builder) (string, error) {
	timeout := time.After(15 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				return "", fmt.Errorf("scalelab target: %s", strings.TrimSpace(tail.String()))
			}
			tail.WriteString(l + "\n")
			if m := re.FindStringSubmatch(l); m != nil {
				return m[1], nil
			}
		case <-timeout:
			return "", fmt.Errorf("scalelab target: no %q after 15s: %s", re, tail.String())
		}
	}
}

// get GETs url; no answer is code 0.
func get(ctx context.Context, c *http.Client, url string) answer {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return answer{}
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return answer{code: resp.StatusCode, version: resp.Header.Get(fleet.HeaderVersion)}
}

// environ turns env into KEY=VALUE lines, sorted.
func environ(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// listenAddr is the address `scalelab target` listens on with these
// arguments (BINARY target FLAGS...) and environment: --listen, else
// SCALELAB_LISTEN. Without either the target listens on loopback only,
// where no probe and no Service reach it.
func listenAddr(line []string, env map[string]string) (string, error) {
	fs := pflag.NewFlagSet("target", pflag.ContinueOnError)
	fs.ParseErrorsAllowlist.UnknownFlags = true // the real binary judges the rest
	fs.SetOutput(io.Discard)
	listen := fs.String("listen", "", "")
	if len(line) > 0 {
		if err := fs.Parse(line[1:]); err != nil {
			return "", fmt.Errorf("%q: %w", line, err)
		}
	}
	switch {
	case fs.Changed("listen"):
		return *listen, nil
	case env["SCALELAB_LISTEN"] != "":
		return env["SCALELAB_LISTEN"], nil
	}
	return "", errors.New("neither --listen nor SCALELAB_LISTEN: the target listens on loopback only by default, unreachable from the kubelet and the Service")
}
