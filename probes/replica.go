package probes

import (
	"fmt"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// ReplicaThresholds are the limits past which a replica is saturated. A
// zero field takes its default (DefaultReplicaThresholds).
type ReplicaThresholds struct {
	// CPU is the share of its CPU limit at or above which it is CPU-bound
	// (judged only when it has a limit).
	CPU float64
	// Throttled is the share of its CFS periods throttled at or above
	// which it is throttled.
	Throttled float64
	// RunDelay is the wait for a CPU per second at or above which its
	// threads are starved.
	RunDelay time.Duration
}

// DefaultReplicaThresholds are 90% of the CPU limit, 10% of periods
// throttled and 100 ms of run delay per second.
func DefaultReplicaThresholds() ReplicaThresholds {
	return ReplicaThresholds{CPU: 0.9, Throttled: 0.1, RunDelay: 100 * time.Millisecond}
}

// JudgeReplica sets u.Saturated and u.Reasons from u's measured figures:
// throttled periods, CPU against its limit, and run delay. Figures not
// measured are not judged.
func JudgeReplica(u *cluster.Usage, t ReplicaThresholds) {
	d := DefaultReplicaThresholds()
	if t.CPU <= 0 {
		t.CPU = d.CPU
	}
	if t.Throttled <= 0 {
		t.Throttled = d.Throttled
	}
	if t.RunDelay <= 0 {
		t.RunDelay = d.RunDelay
	}
	u.Reasons = nil
	if u.ThrottledKnown && u.Throttled >= t.Throttled {
		u.Reasons = append(u.Reasons, fmt.Sprintf("throttled %.0f%% of periods", 100*u.Throttled))
	}
	if u.CPUKnown && u.CPULimit > 0 && u.CPU >= t.CPU*u.CPULimit {
		u.Reasons = append(u.Reasons, fmt.Sprintf("cpu %.2f of %s limit", u.CPU, trim(u.CPULimit)))
	}
	if u.RunDelayKnown && u.RunDelay >= t.RunDelay {
		u.Reasons = append(u.Reasons, fmt.Sprintf("run delay %d ms/s", u.RunDelay.Milliseconds()))
	}
	u.Saturated = len(u.Reasons) > 0
}
