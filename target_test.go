package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
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
