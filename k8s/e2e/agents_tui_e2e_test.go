//go:build k8se2e

package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/tmuxtest"
)

// TestRunK8sAgentsUIInTerminal runs `scalelab run --k8s deployment/web
// --agents 3` in a real terminal (tmux) on the real control plane: three
// agents of an Indexed Job, driven through the API server's pod proxy,
// balance the load over the Deployment's ready endpoints, and the screen
// shows the agents panel with each agent running at its share of the
// rate beside the cluster's replicas (at 120 columns in the generator's
// place), the generator's cpu theirs; ↑ raises the rate and each
// agent's share; u upgrades v1→v2 with no failed request and the split
// by version shows; q quits with exit 0, a summary with each agent's
// requests adding up to the run's, and the agents' Job and Secret gone.
func TestRunK8sAgentsUIInTerminal(t *testing.T) {
	t.Parallel()
	bin := os.Getenv("SCALELAB_BIN")
	if bin == "" {
		t.Fatal("SCALELAB_BIN is not set: run the suite with make k8s-e2e, which builds bin/scalelab")
	}
	began := time.Now()
	a := newApp(t, 3, "v1", replicaOpts()...)
	const rate = 300
	cmd := bin + " run --k8s deployment/" + appName + " -n " + a.ns + " --kubeconfig " + a.cp.kubeconfig +
		" --agents 3 --rate " + strconv.Itoa(rate) + " --no-record; echo EXIT=$?; sleep 600"
	x := tmuxtest.New(t, 200, 50, cmd)

	x.WaitFor(90*time.Second, "● RUNNING", "Replicas 3/3 ready · v1", "│ Agents", "3 agents · ")
	s := waitAgents(t, x, 3, rate, 60*time.Second)
	t.Logf("running (%s in):\n%s", time.Since(began).Round(time.Second), agentsPanel(s))

	// At 120 columns the agents panel is still there, beside the
	// replicas, each agent with its state, rate and share.
	x.Run("resize-window", "-t", "e2e", "-x", "120")
	s = waitAgents(t, x, 3, rate, 30*time.Second)
	if !strings.Contains(s, "│ Agents") {
		t.Fatalf("at 120 columns no agents panel:\n%s", s)
	}
	t.Logf("at 120 columns:\n%s", agentsPanel(s))
	x.Run("resize-window", "-t", "e2e", "-x", "200")
	// Back at 200, the generator's panel beside them, its cpu the
	// agents' (three of 2 cores each).
	agentsCPU := regexp.MustCompile(`│ cpu +\d+% of 6 cores`)
	x.WaitFor(30*time.Second, "│ Generator", "│ Agents")
	s = x.WaitMatch(30*time.Second, agentsCPU)
	t.Logf("the generator's %s", agentsCPU.FindString(s))

	// ↑: the next rate on the ladder, 400/s, split over the agents.
	const raised = 400
	x.Keys("Up")
	s = x.WaitFor(30*time.Second, fmt.Sprintf("target %d/s", raised))
	t.Logf("after ↑: %s", lineOf(s, "target "))
	waitAgents(t, x, 3, raised, 60*time.Second)
	// and the agents' achieved rate follows, at least 90% of it
	s = x.Until(60*time.Second, func(s string) string {
		m := agentsAchieved.FindStringSubmatch(s)
		if m == nil {
			return "shows no agents' total"
		}
		if v, _ := strconv.ParseFloat(m[1], 64); v < 0.9*raised {
			return fmt.Sprintf("shows the agents achieving %g/s in all, want at least %g", v, 0.9*raised)
		}
		return ""
	})
	t.Logf("after ↑ (%s in):\n%s", time.Since(began).Round(time.Second), agentsPanel(s))

	x.Keys("u")
	x.WaitFor(10*time.Second, "Rolling upgrade to version", "› v2")
	x.Keys("Enter")
	x.WaitFor(10*time.Second, "deployment "+appName+" in namespace "+a.ns)
	x.Keys("y")
	split := regexp.MustCompile(`by version[^\n]* v1 \d+%[^\n]* v2 \d+%`)
	s = x.WaitMatch(90*time.Second, split)
	t.Logf("during the rollout: %s", lineOf(s, "by version"))
	s = x.WaitFor(90*time.Second, "Replicas 3/3 ready · v2", "upgrade to v2: done")
	if !strings.Contains(s, "failed 0") {
		t.Fatalf("requests failed during the upgrade:\n%s", s)
	}
	s = waitAgents(t, x, 3, raised, 30*time.Second)
	// The throughput chart's scale is the rate's, not a sum of the
	// agents' ticks' targets (four ticks a second: 1600).
	if top := chartTop(s); top <= 0 || top >= 2*raised {
		t.Fatalf("the throughput chart goes up to %g at %d/s:\n%s", top, raised, s)
	} else {
		t.Logf("the throughput chart's scale goes up to %g", top)
	}

	x.Keys("q")
	x.WaitFor(30*time.Second, "EXIT=")
	out := x.Run("capture-pane", "-p", "-J", "-S", "-", "-t", "e2e")
	if !strings.Contains(out, "EXIT=0") {
		t.Fatalf("scalelab run --k8s --agents 3 did not exit 0:\n%s", out)
	}
	sum := out
	for _, want := range []string{"availability      100.000%", "transport errors  none", "failed            0 ", "by version", "v1", "v2"} {
		if !strings.Contains(sum, want) {
			t.Fatalf("the summary lacks %q:\n%s", want, sum)
		}
	}
	total, byAgent := summaryRequests(t, sum)
	var added uint64
	for _, n := range byAgent {
		if n == 0 {
			t.Errorf("an agent without requests in the summary: %v\n%s", byAgent, sum)
		}
		added += n
	}
	if len(byAgent) != 3 || added != total {
		t.Fatalf("the summary's agents: %v requests, adding up to %d, the run's %d:\n%s", byAgent, added, total, sum)
	}
	t.Logf("the summary's agents:\n%s", strings.Join(summaryAgent.FindAllString(sum, -1), "\n"))
	a.noAgentObjects(t, "after q")
	t.Logf("%d requests, by agent %v; %s in all", total, byAgent, time.Since(began).Round(time.Second))
}

// agentLine is an agent's line in the agents panel, its address left
// out when narrow ("0 scalelab-agents-x7k2q-0-abcde ● running    100/s
// of 100 late 12 cpu 0.12/1"): its groups are its index, its pod, its
// achieved rate and its share.
var agentLine = regexp.MustCompile(`│ (\d+) (scalelab-agents-[a-z0-9-]+ )?● running +(\d+)/s of (\d+)`)

// agentsTotal is the agents panel's total line ("3 agents · 311/s · late
// 117 dropped 0"); agentsAchieved has their achieved rate as its group.
var (
	agentsTotal    = regexp.MustCompile(`│ \d+ agents · `)
	agentsAchieved = regexp.MustCompile(`│ \d+ agents · (\d+)/s`)
)

// lineOf is the first line of screen s that contains sub, trimmed.
func lineOf(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// waitAgents waits until the agents panel shows n agents running, each
// with a non-zero achieved rate and a share of about rate/n, the shares
// adding up to rate, and returns the screen; it fails after timeout.
func waitAgents(t *testing.T, x *tmuxtest.Term, n int, rate float64, timeout time.Duration) string {
	t.Helper()
	return x.Until(timeout, func(s string) string {
		seen, shares := map[string]bool{}, 0.0
		for _, m := range agentLine.FindAllStringSubmatch(s, -1) {
			achieved, _ := strconv.ParseFloat(m[3], 64)
			share, _ := strconv.ParseFloat(m[4], 64)
			if achieved == 0 {
				return fmt.Sprintf("shows agent %s running at 0/s", m[1])
			}
			if d := share - rate/float64(n); d < -1 || d > 1 {
				return fmt.Sprintf("shows agent %s's share %g, want %g", m[1], share, rate/float64(n))
			}
			seen[m[1]], shares = true, shares+share
		}
		if len(seen) != n {
			return fmt.Sprintf("shows %d of %d agents running", len(seen), n)
		}
		if d := shares - rate; d < -float64(n) || d > float64(n) {
			return fmt.Sprintf("shows shares adding up to %g, want %g", shares, rate)
		}
		return ""
	})
}

// agentsPanel is the agents panel's lines of screen s: the total and the
// agents.
func agentsPanel(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		i := strings.Index(l, "│ Agents")
		if m := agentsTotal.FindStringIndex(l); m != nil {
			i = m[0]
		}
		if m := agentLine.FindStringIndex(l); m != nil {
			i = m[0]
		}
		if i < 0 {
			continue
		}
		l = l[i:]
		if j := strings.Index(l[len("│"):], "│"); j >= 0 {
			l = l[:len("│")+j+len("│")]
		}
		out = append(out, strings.TrimRight(l, " "))
	}
	return strings.Join(out, "\n")
}

var (
	summaryTotal = regexp.MustCompile(`(?m)^  requests +(\d+)`)
	summaryAgent = regexp.MustCompile(`(?m)^    agent (\d+) +pod \S+: \w+, (\d+) requests.*$`)
)

// summaryRequests reads the text summary's requests and each agent's.
func summaryRequests(t *testing.T, sum string) (uint64, []uint64) {
	t.Helper()
	m := summaryTotal.FindStringSubmatch(sum)
	if m == nil {
		t.Fatalf("no requests line in the summary:\n%s", sum)
	}
	total, _ := strconv.ParseUint(m[1], 10, 64)
	var by []uint64
	for _, a := range summaryAgent.FindAllStringSubmatch(sum, -1) {
		n, _ := strconv.ParseUint(a[2], 10, 64)
		by = append(by, n)
	}
	return total, by
}

// chartTop is the throughput chart's highest y-axis label on screen s
// ("  450┤"), 0 without one.
func chartTop(s string) float64 {
	_, after, ok := strings.Cut(s, "Throughput (requests/s)")
	if !ok {
		return 0
	}
	m := regexp.MustCompile(`(?m)^ *([0-9.]+)(k?)[┤┼]`).FindStringSubmatch(after)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	if m[2] == "k" {
		v *= 1000
	}
	return v
}
