package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for a writing and a reading
// goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// scalelab runs a command line in-process, bounded to a minute, and returns
// the exit code, stdout and stderr.
func scalelab(ctx context.Context, args ...string) (int, string, string) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var out, errOut lockedBuffer
	code := run(ctx, args, streams{out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

func TestDemoJSONHasSteps(t *testing.T) {
	code, out, errOut := scalelab(t.Context(), "demo", "--headless", "--json", "--duration", "4s", "--rate", "200",
		"--replicas", "2", "--startup-delay", "50ms", "--drain", "1s", "--latency", "1ms",
		"--step", "500ms:scale=3", "--step", "1s:upgrade=v2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Requests uint64            `json:"requests"`
		Status   map[string]uint64 `json:"status"`
		Steps    []struct {
			Spec         string  `json:"spec"`
			Action       string  `json:"action"`
			StartS       float64 `json:"start_s"`
			DurationS    float64 `json:"duration_s"`
			Completed    bool    `json:"completed"`
			Requests     uint64  `json:"requests"`
			Errors       uint64  `json:"errors"`
			Availability float64 `json:"availability"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	if rep.Requests < 200 || rep.Status["200"] != rep.Requests {
		t.Fatalf("requests %d, status %v: want every request answered 200", rep.Requests, rep.Status)
	}
	if len(rep.Steps) != 2 {
		t.Fatalf("steps %+v", rep.Steps)
	}
	for i, want := range []struct {
		spec, action string
		at           float64
	}{{"500ms:scale=3", "scale", 0.5}, {"1s:upgrade=v2", "upgrade", 1}} {
		s := rep.Steps[i]
		if s.Spec != want.spec || s.Action != want.action || !s.Completed || s.Requests == 0 || s.Errors != 0 ||
			s.Availability != 1 || s.StartS < want.at || s.StartS > want.at+1 || s.DurationS <= 0 {
			t.Errorf("step %d: %+v", i, s)
		}
	}
	for _, want := range []string{"event  replica-3 started (v1)", "event  rollout v1 → v2", "step   1s:upgrade=v2 completed", "req/s"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestDemoBadInputIsOneLineExit2(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--step", "soon:scale=2"},
		{"demo", "--step", "1s:scale=lots"},
		{"demo", "--duration", "5s", "--step", "10s:kill=1"},
		{"demo", "--duration", "5s", "--step", "1s:restart"},
		{"demo", "--duration", "5s", "--step", "1s:canary=v2:4", "--replicas", "4"},
		{"demo", "--duration", "5s", "--step", "1s:promote"},
		{"demo", "--duration", "5s", "--step", "1s:canary=v1"},
		{"demo", "--duration", "5s", "--bad-version", ""},
		{"demo", "--replicas", "0"},
		{"demo", "--max-surge", "0", "--max-unavailable", "0"},
		{"demo", "--latency", "fast"},
		{"demo", "extra"},
		{"demo", "--duration", "5s", "--step", "1s:bad-version=v1"},
		{"demo", "--duration", "5s", "--step", "1s:upgrade=v2", "--step", "2s:bad-version=v2"},
		{"demo", "--duration", "5s", "--step", "1s:upgrade=v\x01"},
		{"demo", "--listen", "0.0.0.0:0"},
		{"demo", "--listen", "[::]:8080"},
		{"demo", "--headless", "--duration", "1s", "--listen", "garbage"},
		{"demo", "--headless", "--duration", "1s", "--listen", "127.0.0.1:99999"},
		{"demo", "--headless", "--duration", "1s", "--listen", "127.0.0.1:abc"},
		{"demo", "--headless", "--duration", "1s", "--listen", "127.0.0.1:-1"},
		{"demo", "--headless", "--duration", "1s", "--listen", ""},
		{"demo", "--headless", "--duration", "1s", "--listen", "127.0.0.1:0\x01"},
		{"demo", "--headless", "--duration", "1s", "--listen", "１２７.0.0.1:0"},
		// Steps judged on the fleet before the run (each would run, and
		// fail in it, without the check).
		{"demo", "--headless", "--duration", "2s", "--step", "1s:kill=abc"},
		{"demo", "--headless", "--duration", "2s", "--step", "1s:hang=99"},
		{"demo", "--headless", "--duration", "2s", "--replicas", "2", "--step", "1s:kill=50%", "--step", "0.5s:scale=1"},
		{"demo", "--headless", "--duration", "2s", "--step", "1s:scale=100000"},
		{"demo", "--headless", "--duration", "2s", "--step", "1s:rollback"},
		{"demo", "--headless", "--duration", "2s", "--step", "1s:kill=1", "--step", "1s:latency=5ms"},
		{"demo", "--headless", "--duration", "2s", "--step", "1s:kill=NaN%"},
	} {
		code, out, errOut := scalelab(t.Context(), args...)
		if code != exitUsage || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 ||
			!strings.HasPrefix(errOut, "scalelab: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q: want exit 2 and one line", args, code, out, errOut)
		}
	}
}
