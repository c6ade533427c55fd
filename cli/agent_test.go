package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/agent"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
)

// tokenFile writes content to a file and returns its path.
func tokenFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAgentBadInputIsOneLineExit2(t *testing.T) {
	t.Parallel()
	good := tokenFile(t, "tok-123\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"agent"}, "--token-file"},
		{[]string{"agent", "--token-file", tokenFile(t, " \n\t\n")}, "empty"},
		{[]string{"agent", "--token-file", filepath.Join(t.TempDir(), "none")}, "no such file"},
		{[]string{"agent", "--token-file", tokenFile(t, "two words")}, "printable"},
		{[]string{"agent", "--token-file", good, "--listen", "0.0.0.0:0"}, "--listen-any"},
		{[]string{"agent", "--token-file", good, "--listen", ":7001"}, "every interface"},
		{[]string{"agent", "--token-file", good, "--listen", "garbage"}, "HOST:PORT"},
		{[]string{"agent", "--token-file", good, "--listen", "127.0.0.1:99999"}, "port"},
		{[]string{"agent", "--token-file", good, "--orphan-timeout", "0"}, "--orphan-timeout"},
		{[]string{"agent", "--token-file", good, "--orphan-timeout", "-1s"}, "--orphan-timeout"},
		{[]string{"agent", "--token-file", good, "--orphan-timeout", "soon"}, "orphan-timeout"},
		{[]string{"agent", "--token-file", good, "extra"}, "no arguments"},
	} {
		code, _, errOut := scalelab(t.Context(), tc.args...)
		if code != exitUsage || len(lines(errOut)) != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and one line saying %q", tc.args, code, errOut, exitUsage, tc.want)
		}
		if strings.Contains(errOut, "tok-123") {
			t.Errorf("%q: stderr %q shows the token", tc.args, errOut)
		}
	}
}

// TestAgentServesWithTheToken runs the real binary: it listens, refuses a
// request without the token with 401, runs a load it is given, and on
// SIGTERM stops that load and exits 0.
func TestAgentServesWithTheToken(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	const token = "agent-test-token"
	p := start(t, bin, "agent", "--listen", "127.0.0.1:0", "--token-file", tokenFile(t, token+"\n"))
	addr := p.agentAddr(t)

	get := func(tok string) (int, agent.Status) {
		req, err := http.NewRequestWithContext(t.Context(), "GET", "http://"+addr+agent.PathStatus, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tok != "" {
			req.Header.Set(agent.TokenHeader, tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st agent.Status
		_ = json.NewDecoder(resp.Body).Decode(&st)
		return resp.StatusCode, st
	}
	if code, _ := get(""); code != http.StatusUnauthorized {
		t.Errorf("status without the token: %d, want 401", code)
	}
	if code, st := get(token); code != http.StatusOK || st.State != agent.Idle {
		t.Errorf("status with the token: %d %+v, want 200 idle", code, st)
	}

	srv := enginetest.NewServer(t)
	spec := agent.Spec{RunID: "cli", Count: 1, Target: engine.Target{URL: srv.URL}, StartAt: time.Now(),
		Interval: 250 * time.Millisecond, Rate: 50, Window: 30 * time.Second, Timeout: 2 * time.Second}
	body, _ := json.Marshal(spec)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", "http://"+addr+agent.PathRun, bytes.NewReader(body))
	req.Header.Set(agent.TokenHeader, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("run: %s", resp.Status)
	}
	p.waitLine(t, "started", 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	if code := p.wait(t, 15*time.Second); code != exitOK {
		t.Fatalf("exit %d after SIGTERM, want 0", code)
	}
	took := time.Since(sent)
	n := srv.Total()
	time.Sleep(300 * time.Millisecond)
	t.Logf("exited %s after SIGTERM; the target answered %d requests", took.Round(time.Millisecond), n)
	if n == 0 || srv.Total() != n {
		t.Errorf("the target answered %d requests, then %d: want load until the signal, none after", n, srv.Total())
	}
}

// agentAddr waits for the agent's "listening on ADDR" line.
func (p *process) agentAddr(t *testing.T) string {
	t.Helper()
	re := regexp.MustCompile(`^scalelab agent listening on (\S+)$`)
	deadline := time.After(15 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatal("scalelab agent ended before listening")
			}
			if m := re.FindStringSubmatch(l); m != nil {
				return m[1]
			}
		case <-deadline:
			t.Fatal("no listening line after 15s")
		}
	}
}
