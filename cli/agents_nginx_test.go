package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/scalelab/scalelab/agent"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/recordings"
)

// agentFrames reads every frame of each agent's latest run from a
// stream of the test's own (an agent keeps all of a run's frames, so a
// stream opened after the run gets them from the first), decoded.
func agentFrames(t *testing.T, addrs []string, token string) [][]*engine.Snapshot {
	t.Helper()
	out := make([][]*engine.Snapshot, len(addrs))
	for i, a := range addrs {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := agent.NewClient(a, token, nil).Frames(ctx, func(kind byte, payload []byte) error {
			if kind != agent.MsgFrame {
				return nil
			}
			s, err := recordings.DecodeSnapshot(payload, time.Time{})
			if err != nil {
				return fmt.Errorf("frame %d: %w", len(out[i]), err)
			}
			out[i] = append(out[i], s)
			return nil
		})
		cancel()
		if err != nil {
			t.Fatalf("agent %d's frames: %v", i, err)
		}
	}
	return out
}

// latencyOf is one histogram of every latency in snaps.
func latencyOf(snaps ...*engine.Snapshot) *hdrhistogram.Histogram {
	h := engine.NewHistogram()
	for _, s := range snaps {
		h.Merge(s.Latency)
	}
	return h
}

// TestAgentsAgainstNginx: three `scalelab agent` processes send 30,000
// req/s between them at the reference nginx for 2 s, then 36,000 for
// 2 s (a rate change mid-run, a plan's step), driven by `scalelab run
// --plan --agents-at`.
// The merged requests are exactly nginx's access log lines, and each
// agent's part is exactly what its own frames count; the merged p50,
// p99 and p99.9 are exactly those of one histogram of every latency
// the agents recorded (read back from their own streams), not the mean
// of their p99s; the rate change reaches every agent within one tick
// of the others.
func TestAgentsAgainstNginx(t *testing.T) {
	bin := tuiBinary(t)
	ng := startNginx(t)
	addrs, _, tok := startAgents(t, bin, 3)
	const rate, raised, window = 30000, 36000, 4 * time.Second
	// The rate change is a plan's step: load actions are steps of plans.
	plan := writePlan(t, fmt.Sprintf(`name: agents-nginx
target: {url: %q}
load: {rate: %d, duration: %s}
steps:
  - {at: %s, action: "set-rate=%d"}
`, ng.URL, rate, window, window/2, raised))
	out, errOut, code := runBin(t, bin, "run", "--plan", plan, "--headless", "--json", "--no-record",
		"--agents-at", strings.Join(addrs, ","), "--token-file", tok)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	var r agentsRun
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	answered := ng.answered(t)
	b, err := os.ReadFile(tok)
	if err != nil {
		t.Fatal(err)
	}
	frames := agentFrames(t, addrs, strings.TrimSpace(string(b)))

	var all []*engine.Snapshot
	var p99s []float64
	for i, fs := range frames {
		var n uint64
		for _, s := range fs {
			n += s.Requests
		}
		if n != r.Agents.Agents[i].Requests {
			t.Errorf("agent %d: its frames count %d requests, the summary %d", i, n, r.Agents.Agents[i].Requests)
		}
		all = append(all, fs...)
		p99s = append(p99s, engine.PercentilesOf(latencyOf(fs...)).P99)
	}
	if r.Requests != answered || r.Requests < (rate+raised)*2*9/10 {
		t.Errorf("merged %d requests, nginx answered %d (sent at most %d)", r.Requests, answered, (rate+raised)*2)
	}
	one := engine.PercentilesOf(latencyOf(all...))
	got := engine.Percentiles{P50: r.LatencyMs["p50"], P99: r.LatencyMs["p99"], P999: r.LatencyMs["p999"]}
	if got.P50 != one.P50 || got.P99 != one.P99 || got.P999 != one.P999 {
		t.Errorf("merged p50/p99/p99.9 %v/%v/%v ms, one histogram of every agent's latencies %v/%v/%v", got.P50, got.P99, got.P999, one.P50, one.P99, one.P999)
	}
	mean := (p99s[0] + p99s[1] + p99s[2]) / 3
	t.Logf("3 agents at %d then %d req/s: merged %d = nginx's %d lines; p50 %v p99 %v p99.9 %v ms = one histogram's; the agents' p99s %v, their mean %.3f (off by %.1f%%)",
		rate, raised, r.Requests, answered, got.P50, got.P99, got.P999, p99s, mean, 100*math.Abs(mean-got.P99)/got.P99)

	// The tick in which each agent's own target rate (its schedule, not
	// its answers, which a loaded machine delays) passed midway from its
	// old share to its new one: the same tick for all, or the next.
	interval := frames[0][1].Start.Sub(frames[0][0].Start)
	mid := float64(rate+raised) / 2 / 3
	first := make([]int, len(frames))
	for i, fs := range frames {
		first[i] = -1
		for _, s := range fs {
			at := s.Start.Sub(fs[0].Start) // ticks start at the run's start, one interval apart
			if at > window/4 && s.TargetRate > mid {
				first[i] = int(math.Round(float64(at) / float64(interval)))
				break
			}
		}
	}
	lo, hi := first[0], first[0]
	for _, k := range first {
		lo, hi = min(lo, k), max(hi, k)
	}
	if lo < 0 || hi-lo > 1 {
		t.Errorf("the rate change reached the agents in ticks %v: want every agent within one tick", first)
	}
	t.Logf("the rate change reached the agents in ticks %v (%s each)", first, interval)
	for i, fs := range frames {
		var ns []uint64
		for _, s := range fs {
			ns = append(ns, s.Requests)
		}
		t.Logf("agent %d ticks' requests: %v", i, ns)
	}
	t.Logf("%s", out)
}

// TestAgentsAgainstNginxLoseOne: three agents at 30,000 req/s against
// the reference nginx, one killed (SIGKILL) a second into the load: it
// is reported lost and its share moves to the two left; what the merged
// figures lack (missing_requests: what it sent and never reported, and
// what it never sent) plus what they have adds up to the load the
// schedule asked for, and nginx answered at least the merged requests
// and at most that much more.
func TestAgentsAgainstNginxLoseOne(t *testing.T) {
	bin := tuiBinary(t)
	ng := startNginx(t)
	addrs, ps, tok := startAgents(t, bin, 3)
	const rate, window = 30000, 4 * time.Second
	go func() {
		time.Sleep(2 * time.Second) // the load starts a second after its arming
		_ = ps[1].cmd.Process.Kill()
	}()
	out, errOut, code := runBin(t, bin, "run", ng.URL, "--headless", "--json", "--no-record", "--rate", fmt.Sprint(rate),
		"--duration", window.String(), "--agents-at", strings.Join(addrs, ","), "--token-file", tok)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	var r struct {
		agentsRun
		Dropped uint64 `json:"dropped"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	answered := ng.answered(t)
	lost := r.Agents.Agents[1]
	if r.Agents.Lost != 1 || lost.State != "lost" || r.Agents.Missing <= 0 {
		t.Fatalf("agents %+v: want agent 1 lost, with requests missing\n%s", r.Agents, errOut)
	}
	asked := float64(rate) * window.Seconds()
	accounted := float64(r.Requests) + float64(r.Dropped) + r.Agents.Missing
	if math.Abs(accounted-asked) > asked/100 {
		t.Errorf("merged %d + dropped %d + missing %.0f = %.0f: want the %.0f asked, within 1%%", r.Requests, r.Dropped, r.Agents.Missing, accounted, asked)
	}
	if answered < r.Requests || float64(answered-r.Requests) > r.Agents.Missing*1.05 { // the missing is an estimate: its share × the time to the reassignment
		t.Errorf("nginx answered %d, merged %d, missing %.0f: the unreported part of what nginx answered must be within the missing", answered, r.Requests, r.Agents.Missing)
	}
	t.Logf("agent 1 lost at %.2fs: merged %d, nginx %d (%d sent, never reported), dropped %d, missing %.0f; accounted %.0f of %.0f",
		lost.LostAtS, r.Requests, answered, answered-r.Requests, r.Dropped, r.Agents.Missing, accounted, asked)
}
