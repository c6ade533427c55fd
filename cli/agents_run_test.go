package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/tmuxtest"
)

// agentsRun is what the tests read of an agents' run's JSON summary.
type agentsRun struct {
	Requests  uint64             `json:"requests"`
	LatencyMs map[string]float64 `json:"latency_ms"`
	Agents    struct {
		Count   int     `json:"count"`
		Lost    int     `json:"lost"`
		Missing float64 `json:"missing_requests"`
		Agents  []struct {
			State    string  `json:"state"`
			Requests uint64  `json:"requests"`
			LostAtS  float64 `json:"lost_at_s"`
			CPULimit float64 `json:"cpu_limit"`
			SampledS int     `json:"sampled_s"`
		} `json:"agents"`
	} `json:"agents"`
}

// startAgents starts n `scalelab agent` processes on loopback with the
// token in a file, and returns their addresses and the token file.
func startAgents(t *testing.T, bin string, n int) ([]string, []*process, string) {
	t.Helper()
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte("a-test-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := regexp.MustCompile(`listening on (\S+)`)
	var addrs []string
	var ps []*process
	for range n {
		p := start(t, bin, "agent", "--listen", "127.0.0.1:0", "--token-file", tok, "--orphan-timeout", "2s")
		deadline := time.After(15 * time.Second)
	wait:
		for {
			select {
			case l := <-p.lines:
				if m := addr.FindStringSubmatch(l); m != nil {
					addrs = append(addrs, strings.TrimPrefix(m[1], "http://"))
					break wait
				}
			case <-deadline:
				t.Fatal("no agent listening after 15 s")
			}
		}
		ps = append(ps, p)
	}
	return addrs, ps, tok
}

// servedBy stops a scalelab target and returns the requests it answered.
func servedBy(t *testing.T, p *process) uint64 {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`stopped: (\d+) requests answered`)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatal("the target ended without its count")
			}
			if m := re.FindStringSubmatch(l); m != nil {
				n, _ := strconv.ParseUint(m[1], 10, 64)
				return n
			}
		case <-deadline:
			t.Fatal("no count from the target")
		}
	}
}

// TestRunWithAgents runs three `scalelab agent` processes and one
// `scalelab target` on loopback, and `scalelab run --agents-at` at 3,000
// req/s for 3 s: the merged requests are exactly the target's answers,
// each agent's part adds up to them, and an agent refuses a request
// without the token (401).
func TestRunWithAgents(t *testing.T) {
	bin := tuiBinary(t)
	target := start(t, bin, "target", "--listen", "127.0.0.1:0", "--drain", "0s")
	url := target.listeningURL(t)
	addrs, _, tok := startAgents(t, bin, 3)
	resp, err := http.Get("http://" + addrs[0] + "/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a request without the token: %d, want 401", resp.StatusCode)
	}
	out, errOut, code := runBin(t, bin, "run", url+"/", "--headless", "--json", "--no-record", "--rate", "3000", "--duration", "3s",
		"--agents-at", strings.Join(addrs, ","), "--token-file", tok)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	var r agentsRun
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	served := servedBy(t, target)
	var parts uint64
	for _, a := range r.Agents.Agents {
		parts += a.Requests
		if a.SampledS < 2 || a.CPULimit <= 0 {
			t.Errorf("agent %+v: want its own probes, each second", a)
		}
	}
	if r.Requests < 6000 || r.Requests != served || parts != r.Requests || r.Agents.Count != 3 || r.Agents.Lost != 0 {
		t.Fatalf("merged %d requests, the agents' parts %d, the target answered %d; agents %+v\n%s", r.Requests, parts, served, r.Agents, errOut)
	}
	t.Logf("3 agents: %d requests merged = %d answered, p50 %v p99 %v p99.9 %v ms", r.Requests, served,
		r.LatencyMs["p50"], r.LatencyMs["p99"], r.LatencyMs["p999"])
}

// TestRunWithAgentsLosesOne kills one of three agents (SIGKILL) a second
// into the load: the run goes on with its share split over the other two
// (exit 0), and the summary says which agent was lost, when, and what
// its share left unsent; with --on-agent-loss fail the run stops and
// fails (exit 99 after the summary).
func TestRunWithAgentsLosesOne(t *testing.T) {
	bin := tuiBinary(t)
	for _, c := range []struct {
		policy string
		exit   int
	}{{"reassign", 0}, {"fail", exitFailed}} {
		t.Run(c.policy, func(t *testing.T) {
			target := start(t, bin, "target", "--listen", "127.0.0.1:0", "--drain", "0s")
			url := target.listeningURL(t)
			addrs, ps, tok := startAgents(t, bin, 3)
			go func() {
				time.Sleep(2 * time.Second) // the run's start is a second after its arming
				_ = ps[1].cmd.Process.Kill()
			}()
			out, errOut, code := runBin(t, bin, "run", url+"/", "--headless", "--json", "--no-record", "--rate", "600", "--duration", "3s",
				"--agents-at", strings.Join(addrs, ","), "--token-file", tok, "--on-agent-loss", c.policy)
			if code != c.exit {
				t.Fatalf("run: exit %d, want %d\n%s", code, c.exit, errOut)
			}
			var r agentsRun
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("summary: %v\n%s", err, out)
			}
			lost := r.Agents.Agents[1]
			if r.Agents.Lost != 1 || lost.State != "lost" || lost.LostAtS < 0.5 || lost.LostAtS > 2.5 || r.Agents.Missing <= 0 ||
				!strings.Contains(errOut, "agent 1") {
				t.Fatalf("agents %+v: want agent 1 lost about 1 s in, with requests missing\n%s", r.Agents, errOut)
			}
			served := servedBy(t, target)
			// The merged run misses what the killed agent sent after its
			// last frame the controller got: the target answered those.
			if r.Requests > served || float64(served-r.Requests) > 200*1.5 {
				t.Errorf("merged %d, the target answered %d: want at most a second and a half of one agent's share missing", r.Requests, served)
			}
			t.Logf("%s: lost at %.2fs, %.0f unsent; merged %d of %d answered", c.policy, lost.LostAtS, r.Agents.Missing, r.Requests, served)
		})
	}
}

// TestDemoWithAgents: the demo's fleet under the load of two agent
// processes: its balancer is their target, the summary has their parts
// and the split by version of the merged load (the answers' version
// header), and a step acts on the fleet as without agents.
func TestDemoWithAgents(t *testing.T) {
	bin := tuiBinary(t)
	addrs, _, tok := startAgents(t, bin, 2)
	out, errOut, code := runBin(t, bin, "demo", "--headless", "--json", "--no-record", "--rate", "400", "--duration", "3s",
		"--replicas", "2", "--startup-delay", "50ms", "--drain", "300ms", "--step", "1s:upgrade=v2",
		"--agents-at", strings.Join(addrs, ","), "--token-file", tok)
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, errOut)
	}
	var r struct {
		agentsRun
		ByVersion map[string]struct {
			Requests uint64 `json:"requests"`
		} `json:"by_version"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	var parts uint64
	for _, a := range r.Agents.Agents {
		parts += a.Requests
	}
	if r.Requests < 800 || parts != r.Requests || r.Agents.Count != 2 || r.ByVersion["v1"].Requests == 0 || r.ByVersion["v2"].Requests == 0 {
		t.Fatalf("merged %d requests (parts %d), by version %+v, agents %+v\n%s", r.Requests, parts, r.ByVersion, r.Agents, errOut)
	}
	if !strings.Contains(errOut, "from 2 agents") {
		t.Errorf("the demo does not say the agents send the load:\n%s", errOut)
	}
}

// TestRunWithAgentsInTerminal drives `scalelab run --agents-at` in tmux:
// the agents panel lists both agents with their shares of the rate, ↑
// raises the rate and each agent's share with it, and q quits with exit 0.
func TestRunWithAgentsInTerminal(t *testing.T) {
	bin := tuiBinary(t)
	target := start(t, bin, "target", "--listen", "127.0.0.1:0", "--drain", "0s")
	url := target.listeningURL(t)
	addrs, _, tok := startAgents(t, bin, 2)
	x := tmuxtest.New(t, 160, 40, shellQuit(bin+" run "+url+"/ --rate 300 --no-record --agents-at "+strings.Join(addrs, ",")+" --token-file "+tok))
	x.WaitFor(30*time.Second, "● RUNNING", "Agents", "2 agents")
	x.WaitMatch(30*time.Second, regexp.MustCompile(`0 127\.0\.0\.1:\d+ ● running +\d+/s of 150`))
	x.Keys("Up")
	s := x.Until(20*time.Second, func(screen string) string {
		if strings.Contains(screen, "of 150") {
			return "each agent still at 150/s"
		}
		return ""
	})
	x.Keys("q")
	s = x.WaitFor(20*time.Second, "EXIT=0")
	t.Logf("%s", s)
}

// TestRunWithAgentsJudgesTheirProbes: a threshold on the generator is
// judged on the agents' own probes (each second of each agent a reading
// the session's generator sink follows), and the summary's generator
// section is theirs.
func TestRunWithAgentsJudgesTheirProbes(t *testing.T) {
	bin := tuiBinary(t)
	target := start(t, bin, "target", "--listen", "127.0.0.1:0", "--drain", "0s")
	url := target.listeningURL(t)
	addrs, _, tok := startAgents(t, bin, 2)
	out, errOut, code := runBin(t, bin, "run", url+"/", "--headless", "--json", "--no-record", "--rate", "200", "--duration", "3s",
		"--agents-at", strings.Join(addrs, ","), "--token-file", tok, "--threshold", "generator.saturated == false")
	var r struct {
		Verdict    string `json:"verdict"`
		Thresholds []struct {
			NoData bool `json:"no_data"`
		} `json:"thresholds"`
		Generator *struct {
			Saturated bool    `json:"saturated"`
			SampledS  float64 `json:"sampled_s"`
		} `json:"generator"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("summary: %v (exit %d)\n%s\n%s", err, code, out, errOut)
	}
	if len(r.Thresholds) != 1 || r.Thresholds[0].NoData || r.Generator == nil || r.Generator.SampledS < 4 {
		t.Fatalf("exit %d, verdict %s, thresholds %+v, generator %+v: want the agents' seconds judged\n%s", code, r.Verdict, r.Thresholds, r.Generator, out)
	}
	if (code == 0) != (r.Verdict == "pass") || r.Generator.Saturated != (r.Verdict != "pass") {
		t.Errorf("exit %d, verdict %s, generator saturated %v: want them to agree", code, r.Verdict, r.Generator.Saturated)
	}
	t.Logf("verdict %s, generator %+v", r.Verdict, *r.Generator)
}

// TestRunWithAgentsRecordsAndReplays records a run of two agents and
// replays it: the replay's JSON summary is the live one, per-agent
// totals included, and the load model did not seem to change at the
// window's end (the last agent's tail tick is not the whole load).
func TestRunWithAgentsRecordsAndReplays(t *testing.T) {
	bin := tuiBinary(t)
	target := start(t, bin, "target", "--listen", "127.0.0.1:0", "--drain", "0s")
	url := target.listeningURL(t)
	addrs, _, tok := startAgents(t, bin, 2)
	rec := filepath.Join(t.TempDir(), "agents.scalelab")
	live, errOut, code := runBin(t, bin, "run", url+"/", "--headless", "--json", "--record", rec, "--rate", "600", "--duration", "3s",
		"--agents-at", strings.Join(addrs, ","), "--token-file", tok)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	replayed, errOut, code := runBin(t, bin, "replay", rec, "--headless", "--json")
	if code != 0 {
		t.Fatalf("replay: exit %d\n%s", code, errOut)
	}
	var a, b map[string]any
	if err := json.Unmarshal([]byte(live), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(replayed), &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the replay's summary differs from the live one:\nlive   %s\nreplay %s", live, replayed)
	}
	var r struct {
		agentsRun
		ModelChanges []any `json:"model_changes"`
	}
	if err := json.Unmarshal([]byte(live), &r); err != nil {
		t.Fatal(err)
	}
	if r.Agents.Count != 2 || len(r.Agents.Agents) != 2 || r.Agents.Agents[0].Requests+r.Agents.Agents[1].Requests != r.Requests || len(r.ModelChanges) != 0 {
		t.Errorf("agents %+v, model changes %v: want both agents' totals adding up to %d, the model unchanged", r.Agents, r.ModelChanges, r.Requests)
	}
}
