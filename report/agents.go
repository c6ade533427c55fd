package report

import (
	"fmt"
	"io"
	"strings"
)

// AgentsResult is what a run's agents (--agents-at) did, each one's part
// beside the merged figures of the summary (which count every agent's
// requests once).
type AgentsResult struct {
	Count int `json:"count"`
	Lost  int `json:"lost"`
	// OnLoss is what a lost agent's share did: "reassign" or "fail".
	OnLoss string `json:"on_loss"`
	// MissingTicks counts the agent-ticks that went out (to the charts,
	// the thresholds) without their agent's part: late or cut off. Its
	// requests still count in the totals, in a later tick.
	MissingTicks int `json:"missing_ticks"`
	// Missing is the open-loop requests of the lost agents' shares the
	// merged figures lack (sent but never reported, or never sent),
	// estimated from each one's share's rate: from its last tick the
	// controller got to its share's reassignment (or the stop).
	Missing float64 `json:"missing_requests"`
	// GeneratorBound counts the agents that set the pace for a tenth of
	// their sampled seconds or more (their own probes): their share of
	// the figures measured the agent, not the target.
	GeneratorBound int           `json:"generator_bound"`
	Agents         []AgentResult `json:"agents"`
}

// AgentResult is one agent's part.
type AgentResult struct {
	Index int    `json:"index"`
	Addr  string `json:"addr"`
	// Pod is the agent's pod when it ran in the cluster (its Addr the
	// API server's pod proxy).
	Pod      string  `json:"pod,omitempty"`
	State    string  `json:"state"`
	Requests uint64  `json:"requests"`
	Failed   uint64  `json:"failed"`
	Dropped  uint64  `json:"dropped"`
	Late     uint64  `json:"late"`
	LostAtS  float64 `json:"lost_at_s,omitempty"`
	Error    string  `json:"error,omitempty"`
	Missing  float64 `json:"missing_requests,omitempty"`
	// NotReassigned is the part of a lost agent's open-loop share
	// (req/s) the others had no headroom for, left unsent (in Missing).
	NotReassigned float64 `json:"not_reassigned_rps,omitempty"`
	// CPU and CPULimit are its last probed second's (cores); SaturatedS
	// and SampledS its probes' seconds; GeneratorBound and Reasons their
	// judgement (a tenth of the seconds saturated), the last reasons.
	CPU            float64  `json:"cpu_cores"`
	CPULimit       float64  `json:"cpu_limit"`
	SaturatedS     int      `json:"saturated_s"`
	SampledS       int      `json:"sampled_s"`
	GeneratorBound bool     `json:"generator_bound"`
	Reasons        []string `json:"reasons,omitempty"`
}

// writeAgents prints the agents' lines of the text summary.
func writeAgents(w io.Writer, a *AgentsResult) {
	if a == nil {
		return
	}
	head := fmt.Sprintf("%d", a.Count)
	if a.Lost > 0 {
		head += fmt.Sprintf(", %d lost (%s), %.0f requests missing", a.Lost, a.OnLoss, a.Missing)
	}
	if a.GeneratorBound > 0 {
		head += fmt.Sprintf(", %d generator-bound", a.GeneratorBound)
	}
	if a.MissingTicks > 0 {
		head += fmt.Sprintf(", %d agent-ticks late or cut off", a.MissingTicks)
	}
	fmt.Fprintf(w, "  %-17s %s\n", "agents", head)
	for _, g := range a.Agents {
		parts := []string{g.State, fmt.Sprintf("%d requests", g.Requests), fmt.Sprintf("%d failed", g.Failed),
			fmt.Sprintf("dropped %d late %d", g.Dropped, g.Late)}
		if g.SampledS > 0 {
			parts = append(parts, fmt.Sprintf("cpu %.2f of %g", g.CPU, g.CPULimit))
		}
		if g.GeneratorBound {
			parts = append(parts, fmt.Sprintf("generator-bound %d of %d s: %s", g.SaturatedS, g.SampledS, strings.Join(g.Reasons, ", ")))
		}
		if g.State == "lost" {
			parts = append(parts, fmt.Sprintf("lost at %.1fs: %s", g.LostAtS, g.Error))
			if g.NotReassigned > 0 {
				parts = append(parts, fmt.Sprintf("%.0f req/s of its share beyond the others' headroom, not sent", g.NotReassigned))
			}
		}
		where := g.Addr
		if g.Pod != "" {
			where = "pod " + g.Pod
		}
		fmt.Fprintf(w, "  %-17s %s: %s\n", fmt.Sprintf("  agent %d", g.Index), where, strings.Join(parts, ", "))
	}
}
