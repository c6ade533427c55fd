package cli

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestTargetServesTakesEnvAndDrainsOnStop(t *testing.T) {
	t.Setenv("SCALELAB_VERSION", "v7")
	t.Setenv("SCALELAB_DRAIN", "300ms")
	t.Setenv("SCALELAB_NAME", "from-env")
	ctx, cancel := context.WithCancel(t.Context())
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"target", "--listen", "127.0.0.1:0", "--name", "from-flag"}, streams{out: &out, err: &errOut})
	}()
	addr := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var url string
	deadline := time.Now().Add(10 * time.Second)
	for url == "" {
		if m := addr.FindStringSubmatch(errOut.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no listening line: %q", errOut.String())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("X-Scalelab-Version") != "v7" || !strings.Contains(string(body), `"replica":"from-flag"`) {
		t.Fatalf("GET /: %v %s: want version v7 from the environment, name from the flag", resp.Header, body)
	}
	began := time.Now()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("target did not stop")
	}
	if took := time.Since(began); took < 300*time.Millisecond {
		t.Fatalf("stopped in %s, before the 300ms drain from SCALELAB_DRAIN", took)
	}
	if !strings.Contains(errOut.String(), "draining for 300ms") || !strings.Contains(errOut.String(), "stopped: 1 requests answered") {
		t.Fatalf("stderr: %s", errOut.String())
	}
}

func TestTargetBadInputIsOneLineExit2(t *testing.T) {
	t.Setenv("SCALELAB_ERROR_RATE", "")
	for _, tc := range []struct {
		env  string
		args []string
		want string
	}{
		{args: []string{"target", "--latency", "fast"}, want: "--latency"},
		{args: []string{"target", "--error-rate", "2"}, want: "--error-rate"},
		{args: []string{"target", "--drain", "-1s"}, want: "drain"},
		{args: []string{"target", "extra"}, want: "takes no arguments"},
		{env: "SCALELAB_STARTUP_DELAY=soon", args: []string{"target"}, want: "SCALELAB_STARTUP_DELAY"},
	} {
		if tc.env != "" {
			k, v, _ := strings.Cut(tc.env, "=")
			t.Setenv(k, v)
		}
		code, out, errOut := scalelab(t.Context(), tc.args...)
		if code != exitUsage || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s %v: exit %d, stderr %q: want exit 2 and one line about %s", tc.env, tc.args, code, errOut, tc.want)
		}
	}
}

// TestTargetSIGTERMFailsReadinessAndServesThroughTheDrain runs the real
// binary as a container runtime would: the version from the environment
// (the image sets it), then SIGTERM. Readiness fails at once while
// liveness and requests are still answered, and the process exits 0 once
// the drain is over.
func TestTargetSIGTERMFailsReadinessAndServesThroughTheDrain(t *testing.T) {
	bin := buildBinary(t)
	// The child inherits SCALELAB_VERSION; the drain is long enough for a
	// loaded machine.
	t.Setenv("SCALELAB_VERSION", "v3")
	p := start(t, bin, "target", "--listen", "127.0.0.1:0", "--drain", "3s")
	url := p.listeningURL(t)
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("X-Scalelab-Version")
	}
	for _, path := range []string{"/readyz", "/healthz", "/"} {
		if code, _ := get(path); code != http.StatusOK {
			t.Fatalf("GET %s before SIGTERM: %d, want 200", path, code)
		}
	}
	if _, v := get("/"); v != "v3" {
		t.Fatalf("version %q, want v3 from SCALELAB_VERSION", v)
	}
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitLine(t, "draining for 3s", 5*time.Second)
	if code, _ := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz while draining: %d, want 503", code)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz while draining: %d, want 200 (a failing liveness probe would restart the pod)", code)
	}
	if code, v := get("/"); code != http.StatusOK || v != "v3" {
		t.Errorf("GET / while draining: %d %q, want 200 from v3", code, v)
	}
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0", code)
	}
	if took := time.Since(sent); took < 3*time.Second {
		t.Errorf("exited %s after SIGTERM, before the 3s drain ended", took)
	}
}

// listeningURL waits for the target's "listening on URL" line.
func (p *process) listeningURL(t *testing.T) string {
	t.Helper()
	addr := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.After(15 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatal("scalelab target ended before listening")
			}
			if m := addr.FindStringSubmatch(l); m != nil {
				return m[1]
			}
		case <-deadline:
			t.Fatal("no listening line after 15s")
		}
	}
}
