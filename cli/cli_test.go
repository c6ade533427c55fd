package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine/enginetest"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCLI runs the command line in-process under ctx (bounded to a minute)
// and returns the exit code, stdout and stderr.
func runCLI(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var out, errOut syncBuffer
	code := run(ctx, args, streams{out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// summary is the part of `load --json` output the tests read.
type summary struct {
	Target       string             `json:"target"`
	Model        string             `json:"model"`
	Requests     uint64             `json:"requests"`
	DurationS    float64            `json:"duration_s"`
	RPS          float64            `json:"rps"`
	Status       map[string]uint64  `json:"status"`
	Errors       map[string]uint64  `json:"errors"`
	Dropped      uint64             `json:"dropped"`
	Late         uint64             `json:"late"`
	LatencyMs    map[string]float64 `json:"latency_ms"`
	ServiceMs    map[string]float64 `json:"service_ms"`
	Availability float64            `json:"availability"`
	BytesOut     uint64             `json:"bytes_out"`
	// ConnectionsOpened and ConnectMs are absent when no connection was
	// opened.
	ConnectionsOpened uint64             `json:"connections_opened"`
	ConnectMs         map[string]float64 `json:"connect_ms"`
}

// checkSent checks that every request due in the window was sent or counted
// as dropped (the engine drops what a loaded machine did not let it send
// before the window closed).
func checkSent(t *testing.T, s summary, want uint64) {
	t.Helper()
	if s.Requests+s.Dropped != want {
		t.Errorf("requests %d + dropped %d, want the %d due", s.Requests, s.Dropped, want)
	}
	if s.Dropped > 0 {
		t.Logf("%d of %d dropped: the machine is loaded", s.Dropped, want)
	}
}

// decodeOne checks that stdout is exactly one JSON object on one line, with
// every field issue 3 promises, and decodes it.
func decodeOne(t *testing.T, stdout string) summary {
	t.Helper()
	if n := len(lines(stdout)); n != 1 {
		t.Fatalf("stdout has %d lines, want exactly one JSON object:\n%s", n, stdout)
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value:\n%s", stdout)
	}
	for _, k := range []string{"requests", "duration_s", "rps", "status", "errors", "dropped", "late",
		"latency_ms", "service_ms", "availability"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("summary has no %q field:\n%s", k, stdout)
		}
	}
	var s summary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("summary fields have the wrong types: %v\n%s", err, stdout)
	}
	for _, m := range []map[string]float64{s.LatencyMs, s.ServiceMs} {
		for _, k := range []string{"p50", "p90", "p95", "p99", "p999", "max", "mean"} {
			if _, ok := m[k]; !ok {
				t.Errorf("percentiles have no %q: %v", k, m)
			}
		}
	}
	if s.DurationS > 0 && math.Abs(s.RPS-float64(s.Requests)/s.DurationS) > 0.001 {
		t.Errorf("rps %g, want requests / duration_s = %d / %g", s.RPS, s.Requests, s.DurationS)
	}
	return s
}

func TestLoadBadInput(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t)
	url := srv.URL + "/"
	unreadable := filepath.Join(t.TempDir(), "missing.json")
	// Every case is bounded (--duration or --stages), should the check fail
	// and the load start.
	for _, tc := range []struct {
		name string
		args []string
		want string // in the message
	}{
		{"no url", []string{"load", "--duration", "100ms"}, "URL"},
		{"two urls", []string{"load", url, url, "--duration", "100ms"}, "URL"},
		{"malformed url", []string{"load", "http://[::1", "--duration", "100ms"}, "malformed"},
		{"no scheme", []string{"load", "127.0.0.1:8080", "--duration", "100ms"}, "url"},
		{"ftp scheme", []string{"load", "ftp://127.0.0.1/", "--duration", "100ms"}, "scheme"},
		{"bad port", []string{"load", "http://127.0.0.1:99999/", "--duration", "100ms"}, "port"},
		{"negative rate", []string{"load", url, "--rate", "-5", "--duration", "100ms"}, "--rate"},
		{"rate not a number", []string{"load", url, "--rate", "fast", "--duration", "100ms"}, "rate"},
		{"rate and concurrency", []string{"load", url, "--rate", "10", "--concurrency", "2", "--duration", "100ms"}, "--concurrency"},
		{"zero concurrency", []string{"load", url, "--concurrency", "0", "--duration", "100ms"}, "--concurrency"},
		{"unreadable body file", []string{"load", url, "--body-file", unreadable, "--duration", "100ms"}, "--body-file"},
		{"body and body file", []string{"load", url, "--body", "x", "--body-file", unreadable, "--duration", "100ms"}, "--body"},
		{"stages and duration", []string{"load", url, "--stages", "100ms:10", "--duration", "100ms"}, "--stages"},
		{"stages and rate", []string{"load", url, "--stages", "100ms:10", "--rate", "5"}, "--stages"},
		{"bad stages", []string{"load", url, "--stages", "100ms"}, "--stages"},
		{"negative stage rate", []string{"load", url, "--stages", "100ms:-3"}, "--stages"},
		{"bad header", []string{"load", url, "-H", "no colon here", "--duration", "100ms"}, "header"},
		{"zero timeout", []string{"load", url, "--timeout", "0s", "--duration", "100ms"}, "--timeout"},
		{"negative duration", []string{"load", url, "--duration", "-1s"}, "--duration"},
		{"zero max inflight", []string{"load", url, "--max-inflight", "0", "--duration", "100ms"}, "--max-inflight"},
		{"unknown flag", []string{"load", url, "--no-such-flag", "--duration", "100ms"}, "no-such-flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, context.Background(), tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr)
			}
			if l := lines(stderr); len(l) != 1 {
				t.Errorf("stderr has %d lines, want exactly one:\n%s", len(l), stderr)
			}
			if !strings.HasPrefix(stderr, "scalelab: ") || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q, want a line starting \"scalelab: \" naming %q", stderr, tc.want)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") || stdout != "" {
				t.Errorf("stdout %q stderr %q", stdout, stderr)
			}
		})
	}
	if n := srv.Total(); n != 0 {
		t.Errorf("bad input sent %d requests", n)
	}
}

func TestLoadUnreachableIsCounted(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, context.Background(), "load", enginetest.ClosedURL(t), "--rate", "50", "--duration", "400ms", "--json")
	if code != exitOK {
		t.Fatalf("exit %d, want 0 for an unreachable target; stderr:\n%s", code, stderr)
	}
	s := decodeOne(t, stdout)
	checkSent(t, s, 20)
	if s.Requests == 0 || s.Errors["refused"] != s.Requests || len(s.Status) != 0 || s.Availability != 0 {
		t.Errorf("requests %d errors %v status %v availability %g, want all refused", s.Requests, s.Errors, s.Status, s.Availability)
	}
	if strings.Contains(stderr, "scalelab: ") {
		t.Errorf("an unreachable target reported as a failure:\n%s", stderr)
	}
}

func TestLoadJSON(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Statuses(200, 200, 200, 404, 503))
	code, stdout, stderr := runCLI(t, context.Background(), "load", srv.URL+"/", "--rate", "200", "--duration", "1100ms", "--json")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	s := decodeOne(t, stdout)
	checkSent(t, s, 220)
	if s.DurationS != 1.1 || (s.Dropped == 0 && s.RPS != 200) {
		t.Errorf("duration_s %g rps %g, want 1.1 and 200", s.DurationS, s.RPS)
	}
	for code, n := range srv.ServedAll() {
		if got := s.Status[strconv.Itoa(code)]; got != n {
			t.Errorf("status %d: summary %d, server served %d", code, got, n)
		}
	}
	if s.Status["200"]+s.Status["404"]+s.Status["503"] != s.Requests || len(s.Errors) != 0 {
		t.Errorf("status %v errors %v, want %d answers of the server's mix", s.Status, s.Errors, s.Requests)
	}
	if want := float64(s.Requests-s.Status["503"]) / float64(s.Requests); s.Availability != want {
		t.Errorf("availability %g, want %g", s.Availability, want)
	}
	if s.LatencyMs["p50"] <= 0 || s.LatencyMs["max"] < s.LatencyMs["p99"] || s.ServiceMs["p50"] <= 0 {
		t.Errorf("latency %v service %v", s.LatencyMs, s.ServiceMs)
	}
	if s.Model != "open loop, 200 req/s" || s.Target != srv.URL+"/" {
		t.Errorf("model %q target %q", s.Model, s.Target)
	}
	// Live lines and the header go to stderr, never to stdout.
	if !strings.Contains(stderr, "inflight") || !strings.Contains(stderr, "scalelab load "+srv.URL) {
		t.Errorf("stderr has no header or live line:\n%s", stderr)
	}
	if strings.Contains(stdout, "inflight") {
		t.Errorf("a live line reached stdout:\n%s", stdout)
	}
}

func TestLoadTextSummary(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t)
	code, stdout, stderr := runCLI(t, context.Background(), "load", srv.URL, "--rate", "100", "--duration", "500ms")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	n := srv.Total()
	if n == 0 || n > 50 {
		t.Fatalf("server answered %d requests, want up to 50", n)
	}
	for _, want := range []string{fmt.Sprintf("requests          %d in 0.500s, %.1f req/s", n, float64(n)/0.5),
		"latency           p50", "latency, ok       p50", "latency, failed   p50 0.00ms", "service time", "p99.9", "max",
		fmt.Sprintf("status            200: %d", n), "transport errors  none", "failed            0 (transport errors and 5xx)",
		fmt.Sprintf("dropped           %d ", 50-n), "availability      100.000%"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary has no %q:\n%s", want, stdout)
		}
	}
}

func TestLoadModels(t *testing.T) {
	t.Parallel()
	t.Run("closed", func(t *testing.T) {
		t.Parallel()
		srv := enginetest.NewServer(t)
		code, stdout, stderr := runCLI(t, context.Background(), "load", srv.URL, "--concurrency", "4", "--duration", "500ms", "--json")
		if code != exitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		s := decodeOne(t, stdout)
		if s.Requests == 0 || s.Requests != srv.Total() || s.Status["200"] != s.Requests || s.DurationS != 0.5 {
			t.Errorf("requests %d status %v duration %g, server answered %d", s.Requests, s.Status, s.DurationS, srv.Total())
		}
		if s.Model != "closed loop, 4 connections" {
			t.Errorf("model %q", s.Model)
		}
		if s.ConnectionsOpened != 4 || srv.Conns() != 4 || s.ConnectMs["max"] <= 0 || s.Requests < 100 {
			t.Errorf("connections_opened %d (server accepted %d), connect_ms %v for %d requests; want the 4 kept alive",
				s.ConnectionsOpened, srv.Conns(), s.ConnectMs, s.Requests)
		}
	})
	t.Run("stages", func(t *testing.T) {
		t.Parallel()
		srv := enginetest.NewServer(t)
		code, stdout, stderr := runCLI(t, context.Background(), "load", srv.URL, "--stages", "500ms:400,250ms:400", "--json")
		if code != exitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		s := decodeOne(t, stdout)
		// 0→400 over 0.5 s is 100 requests, then 400/s for 0.25 s is 100.
		if n := s.Requests + s.Dropped; n < 199 || n > 201 || s.Requests != srv.Total() || s.DurationS != 0.75 {
			t.Errorf("requests %d + dropped %d, duration %g, server %d; want 200 due in 0.75 s", s.Requests, s.Dropped, s.DurationS, srv.Total())
		}
	})
	t.Run("default rate", func(t *testing.T) {
		t.Parallel()
		srv := enginetest.NewServer(t)
		code, stdout, stderr := runCLI(t, context.Background(), "load", srv.URL, "--duration", "300ms", "--json")
		if code != exitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		s := decodeOne(t, stdout)
		checkSent(t, s, 30)
		if s.Model != "open loop, 100 req/s" {
			t.Errorf("model %q, want the default 100/s", s.Model)
		}
	})
}

func TestLoadRequestShape(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t)
	body := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(body, []byte(`{"n":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, context.Background(), "load", srv.URL+"/api", "-X", "PUT", "-H", "X-Run: cli",
		"-H", "Content-Type: application/json", "--body-file", body, "--no-keepalive", "--rate", "20", "--duration", "250ms", "--json")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	s := decodeOne(t, stdout)
	last := srv.Last()
	if last.Method != "PUT" || last.Path != "/api" || last.Header.Get("X-Run") != "cli" ||
		last.Header.Get("Content-Type") != "application/json" || string(last.Body) != `{"n":1}` {
		t.Errorf("server saw %+v", last)
	}
	checkSent(t, s, 5)
	if s.Requests == 0 || s.BytesOut != 7*s.Requests || srv.Conns() != s.Requests {
		t.Errorf("requests %d bytes out %d connections %d, want 7 bytes and one connection per request", s.Requests, s.BytesOut, srv.Conns())
	}
	if s.ConnectionsOpened != s.Requests || s.ConnectMs["max"] <= 0 || s.ConnectMs["p99"] > s.ConnectMs["max"] {
		t.Errorf("connections_opened %d, connect_ms %v; want one connection timed per request (%d)", s.ConnectionsOpened,
			s.ConnectMs, s.Requests)
	}
}

// TestLoadStopsOnCancel stops an unbounded run through its context, as the
// first Ctrl-C does, and checks the summary counts every request sent.
func TestLoadStopsOnCancel(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Delay(100*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for srv.Total() < 20 && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	code, stdout, stderr := runCLI(t, ctx, "load", srv.URL, "--rate", "100", "--json")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	s := decodeOne(t, stdout)
	if s.Requests < 20 || s.Requests != srv.Total() || s.Status["200"] != s.Requests || s.DurationS <= 0 {
		t.Errorf("requests %d status %v duration %g, server answered %d: every request sent must be awaited",
			s.Requests, s.Status, s.DurationS, srv.Total())
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runCLI(t, context.Background(), "version")
	if code != exitOK || !strings.HasPrefix(stdout, "scalelab ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
	code, stdout, _ = runCLI(t, context.Background(), "--help")
	if code != exitOK || !strings.Contains(stdout, "load") {
		t.Errorf("--help: exit %d, %q", code, stdout)
	}
	code, stdout, _ = runCLI(t, context.Background(), "load", "--help")
	if code != exitOK || !strings.Contains(stdout, "--rate") || !strings.Contains(stdout, "--json") {
		t.Errorf("load --help: exit %d, %q", code, stdout)
	}
	// Each command's help says the rate it sends without a load model.
	for cmd, rate := range map[string]int{"load": defaultRate, "run": defaultRate, "demo": demoRate} {
		_, stdout, _ = runCLI(t, context.Background(), cmd, "--help")
		if want := fmt.Sprintf("(default %d when no model is given)", rate); !strings.Contains(stdout, want) {
			t.Errorf("%s --help lacks %q:\n%s", cmd, want, lineOf(stdout, "--rate float"))
		}
	}
	for _, args := range [][]string{{"no-such-command"}, {"version", "extra"}} {
		code, _, stderr := runCLI(t, context.Background(), args...)
		if code != exitUsage || len(lines(stderr)) != 1 {
			t.Errorf("%q: exit %d, stderr %q; want %d and one line", args, code, stderr, exitUsage)
		}
	}
}
