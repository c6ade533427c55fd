package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/tmuxtest"
)

// These tests run scalelab's UI in a real terminal: tmux, driven by
// send-keys and read back with capture-pane.

var (
	tuiBinOnce sync.Once
	tuiBinPath string
	tuiBinErr  error
)

// tuiBinary builds scalelab once for the package's tests.
func tuiBinary(t *testing.T) string {
	t.Helper()
	tuiBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "scalelab-tui-*")
		if err != nil {
			tuiBinErr = err
			return
		}
		tuiBinPath = filepath.Join(dir, "scalelab")
		out, err := exec.Command("go", "build", "-o", tuiBinPath, "..").CombinedOutput()
		if err != nil {
			tuiBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if tuiBinErr != nil {
		t.Fatal(tuiBinErr)
	}
	return tuiBinPath
}

// achievedRE matches a header whose achieved rate is not zero.
var achievedRE = regexp.MustCompile(`achieved [1-9][0-9.]*k?/s`)

// loopbackServer answers 200 on 127.0.0.1 after a small delay.
func loopbackServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(time.Millisecond)
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// shellQuit runs cmd, then prints its exit code and keeps the pane open.
func shellQuit(cmd string) string {
	return fmt.Sprintf("sh -c '%s; echo EXIT=$?; sleep 300'", cmd)
}

// TestRunUIInTerminal drives `scalelab run` in tmux: the charts and the
// header appear, ↑ raises the rate (a marker and an event log line), a note
// is added, the help opens and closes, q quits at once with exit 0 and the
// summary on the normal screen.
func TestRunUIInTerminal(t *testing.T) {
	bin := tuiBinary(t)
	url := loopbackServer(t)
	x := tmuxtest.New(t, 120, 40, shellQuit(bin+" run "+url+" --rate 200"))

	x.WaitFor(30*time.Second, "● RUNNING", "Throughput (requests/s)", "Latency (ms)", "Errors (per second)",
		"target 200/s", "Generator", "Events", "no cluster attached", "? help")
	x.WaitMatch(30*time.Second, achievedRE)
	x.Keys("Up")
	s := x.WaitFor(10*time.Second, "operator: rate → 250/s", "▲", "target 250/s")
	if first := strings.SplitN(s, "\n", 2)[0]; !strings.Contains(first, "open loop, 250 req/s") {
		t.Fatalf("the header must show the model now: %q", first)
	}
	x.Keys("n")
	x.WaitFor(5*time.Second, "Note: a marker on the charts")
	x.Text("before the deploy")
	x.Keys("Enter")
	x.WaitFor(5*time.Second, "note: before the deploy")
	x.Keys("?")
	x.WaitFor(5*time.Second, "scalelab keys", "Cluster: none attached")
	x.Keys("Escape")
	x.WaitGone(5*time.Second, "scalelab keys")
	// Keys in a burst, one write: each acts.
	x.Keys("1", "2", "3", "m")
	x.WaitGone(5*time.Second, "Throughput (requests/s)")
	x.WaitGone(5*time.Second, "Errors (per second)")
	x.Keys("2", "1", "3")
	s = x.WaitFor(5*time.Second, "Throughput (requests/s)", "Latency (ms)", "Errors (per second)")
	if !strings.Contains(lineOf(s, "Latency (ms)"), "max") {
		t.Fatalf("m in the burst must show the max latency: %q", lineOf(s, "Latency (ms)"))
	}
	x.Keys("Up", "Up", "Up")
	x.WaitFor(10*time.Second, "operator: rate → 500/s", "target 500/s") // 300, 400, 500
	x.Keys("p")
	x.WaitFor(5*time.Second, "● PAUSED", "operator: load paused")

	start := time.Now()
	x.Keys("q")
	s = x.WaitFor(15*time.Second, "EXIT=")
	took := time.Since(start)
	if !strings.Contains(s, "EXIT=0") {
		t.Fatalf("scalelab run did not exit 0:\n%s", s)
	}
	// The load model's line is long (the pause counts as a change to 0
	// req/s) and the terminal wraps it: read it unwrapped.
	unwrapped := strings.ReplaceAll(s, "\n", "")
	for _, want := range []string{"requests", "latency", "p99", "availability",
		"load model    started open loop, 200 req/s; at ", "s open loop, 250 req/s;", "s open loop, 500 req/s"} {
		if !strings.Contains(unwrapped, want) {
			t.Fatalf("the summary lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Throughput (requests/s)") {
		t.Fatalf("the UI must leave the screen to the summary:\n%s", s)
	}
	t.Logf("quit took %s", took)
}

// TestRunUIJSONAndEnd runs a bounded `scalelab run --json` with stdout
// redirected: the UI draws on the terminal (stderr), quits by itself when
// the run ends and the JSON summary lands in the file.
func TestRunUIJSONAndEnd(t *testing.T) {
	bin := tuiBinary(t)
	url := loopbackServer(t)
	out := filepath.Join(t.TempDir(), "summary.json")
	x := tmuxtest.New(t, 100, 30, shellQuit(bin+" run "+url+" --rate 100 --duration 3s --json > "+out))
	x.WaitFor(20*time.Second, "Throughput", "elapsed 0:0")
	x.WaitMatch(20*time.Second, achievedRE)
	x.Keys("Up")
	x.WaitFor(30*time.Second, "EXIT=0")
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Requests     uint64             `json:"requests"`
		LatencyMs    map[string]float64 `json:"latency_ms"`
		Model        string             `json:"model"`
		ModelStart   string             `json:"model_start"`
		ModelChanges []struct {
			AtS   float64 `json:"at_s"`
			Model string  `json:"model"`
		} `json:"model_changes"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatalf("stdout is not one JSON summary: %v\n%s", err, b)
	}
	// ↑ raised the rate to 120/s: the summary's model is the model at
	// the end, and says how it changed.
	if sum.Model != "open loop, 120 req/s" || sum.ModelStart != "open loop, 100 req/s" || len(sum.ModelChanges) != 1 ||
		sum.ModelChanges[0].Model != sum.Model || sum.ModelChanges[0].AtS <= 0 || sum.ModelChanges[0].AtS > 3.5 {
		t.Fatalf("model %q, from %q, changes %+v: want 100 req/s raised to 120 once", sum.Model, sum.ModelStart, sum.ModelChanges)
	}
	if sum.Requests < 200 || sum.Requests > 450 {
		t.Fatalf("%d requests in 3 s at 100/s", sum.Requests)
	}
	if _, ok := sum.LatencyMs["p99"]; !ok {
		t.Fatalf("no p99 in %s", b)
	}
}

// TestRunNeedsTerminal checks the clear error without a terminal, and the
// headless mode.
func TestRunNeedsTerminal(t *testing.T) {
	url := loopbackServer(t)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"run", url, "--rate", "50"}, streams{out: &out, err: &errOut})
	if code != exitUsage || !strings.Contains(errOut.String(), "no terminal to draw the UI on: use --headless") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	code = run(context.Background(), []string{"run", url, "--rate", "50", "--duration", "1s", "--headless", "--json"}, streams{out: &out, err: &errOut})
	if code != exitOK {
		t.Fatalf("headless run: exit %d, stderr %q", code, errOut.String())
	}
	var sum struct {
		Requests uint64 `json:"requests"`
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || sum.Requests < 25 {
		t.Fatalf("headless JSON: %v, %d requests: %s", err, sum.Requests, out.String())
	}
	if !strings.Contains(errOut.String(), "req/s") {
		t.Fatalf("headless mode prints live lines on stderr: %q", errOut.String())
	}
}

// TestDemoUIInTerminal drives `scalelab demo` in tmux on its local fleet:
// scale up, a rolling upgrade through the version prompt, a kill through
// the fault menu; the charts, markers and replica states appear; q quits
// with exit 0, the fleet drained, and the summary on the normal screen.
func TestDemoUIInTerminal(t *testing.T) {
	bin := tuiBinary(t)
	x := tmuxtest.New(t, 120, 40, shellQuit(bin+" demo --replicas 2 --rate 200 --startup-delay 200ms --drain 500ms --latency 1ms"))

	x.WaitFor(60*time.Second, "● RUNNING", "Throughput (requests/s)", "Latency (ms)", "Replicas 2/2 ready · v1",
		"+/- scale", "target 200/s")
	x.WaitMatch(30*time.Second, achievedRE)
	// + + in one write: two more replicas, not one.
	x.Keys("+", "+")
	x.WaitFor(30*time.Second, "Replicas 4/4 ready · v1", "scale 2 → 3", "▲")
	x.Keys("u")
	x.WaitFor(5*time.Second, "Rolling upgrade to version", "› v2")
	x.Keys("Enter")
	x.WaitFor(60*time.Second, "Replicas 4/4 ready · v2", "upgrade to v2: done")
	x.Keys("f")
	x.WaitFor(5*time.Second, "Inject a fault", "kill: replicas die abruptly")
	x.Keys("1")
	x.WaitFor(5*time.Second, "kill: which replica?", "1 random replica")
	x.Keys("1")
	s := x.WaitFor(30*time.Second, "killed (fault)", "kill on 1 random replica: done")
	if !strings.Contains(s, "killed r") {
		t.Fatalf("no kill marker on the time axis:\n%s", s)
	}
	if !strings.Contains(s, "┊") {
		t.Fatalf("no marker line through the charts:\n%s", s)
	}

	start := time.Now()
	x.Keys("q")
	s = x.WaitFor(20*time.Second, "EXIT=")
	took := time.Since(start)
	if !strings.Contains(s, "EXIT=0") {
		t.Fatalf("scalelab demo did not exit 0:\n%s", s)
	}
	for _, want := range []string{"requests", "p99", "availability"} {
		if !strings.Contains(s, want) {
			t.Fatalf("the summary lacks %q:\n%s", want, s)
		}
	}
	// The fleet drains 0.5 s here; quitting is bounded by a 2.5 s grace.
	if took > 10*time.Second {
		t.Fatalf("quitting took %s", took)
	}
	t.Logf("quit took %s", took)
}

// TestNoColor checks that colours reach a colour terminal and that NO_COLOR
// turns them off, the chart lines then told apart by their characters.
func TestNoColor(t *testing.T) {
	bin := tuiBinary(t)
	url := loopbackServer(t)
	for _, tc := range []struct {
		name, env string
		colour    bool
	}{
		// termenv turns colours off when CI is set (as CI runs set it), so
		// the colour case unsets it.
		{"colour", "env -u CI ", true},
		{"NO_COLOR", "NO_COLOR=1 ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := tmuxtest.New(t, 120, 40, shellQuit(tc.env+bin+" run "+url+" --rate 100"))
			x.WaitFor(30*time.Second, "Latency (ms)", "target 100/s")
			x.WaitMatch(30*time.Second, achievedRE)
			raw := x.Run("capture-pane", "-p", "-e", "-t", "e2e")
			colours := strings.Count(raw, "\x1b[38;") + strings.Count(raw, "\x1b[3") + strings.Count(raw, "\x1b[9")
			if tc.colour && colours == 0 {
				t.Fatalf("no colour on a colour terminal:\n%q", raw)
			}
			if !tc.colour && colours != 0 {
				t.Fatalf("%d colour sequences with NO_COLOR:\n%q", colours, raw)
			}
			legend := lineOf(x.Screen(), "Latency (ms)")
			if !tc.colour && !strings.Contains(legend, "•• p90") {
				t.Fatalf("without colour the series must differ by character: %q", legend)
			}
			x.Keys("q")
			x.WaitFor(15*time.Second, "EXIT=0")
		})
	}
}

// lineOf returns the first line of s containing sub, or "".
func lineOf(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// TestThresholdUIInTerminal runs `scalelab demo` with a latency threshold
// no service meets in tmux: the thresholds' line shows it failing (✗ with
// its value), the header counts it, the event log and the time axis show
// the failure; at
// the load's end the UI stays on FAIL until q, then the summary says the
// same verdict and the exit code is 99.
func TestThresholdUIInTerminal(t *testing.T) {
	bin := tuiBinary(t)
	x := tmuxtest.New(t, 120, 40, shellQuit(bin+" demo --replicas 2 --rate 100 --startup-delay 50ms --drain 200ms --latency 1ms"+
		" --no-record --duration 4s --threshold \"latency: p(99)<0.001\""))
	s := x.WaitFor(30*time.Second, "● RUNNING", "thresholds ✗ latency p(99)<0.001 ", "▲✗ p(99)<0.0", "failed: ")
	if head := strings.SplitN(s, "\n", 2)[0]; !strings.Contains(head, "1 ✗  ● RUNNING") {
		t.Fatalf("the header must count the failing threshold: %q", head)
	}
	if line := lineOf(s, "thresholds ✗"); !regexp.MustCompile(`p\(99\)<0\.001 [0-9.]+m?s`).MatchString(line) {
		t.Fatalf("the thresholds' line lacks the live value: %q", line)
	}
	s = x.WaitFor(30*time.Second, "FAIL", "● FINISHED", "the load ended: FAIL · q quits")
	if strings.Contains(s, "EXIT=") {
		t.Fatalf("a judged run must stay on its verdict until q:\n%s", s)
	}
	time.Sleep(500 * time.Millisecond)
	if s = x.Screen(); strings.Contains(s, "EXIT=") || !strings.Contains(s, "● FINISHED") {
		t.Fatalf("the UI quit by itself:\n%s", s)
	}
	x.Keys("q")
	s = x.WaitFor(30*time.Second, "EXIT=")
	if !strings.Contains(s, "EXIT=99") || !strings.Contains(s, "verdict: FAIL") || !strings.Contains(s, "✗ latency") {
		t.Fatalf("want the summary's FAIL and exit 99:\n%s", s)
	}
}
