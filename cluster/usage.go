package cluster

import "time"

// Usage is what one replica (or pod) used of its machine over the driver's
// last sampling interval (about a second). Only measured figures are set: a
// figure whose Known flag is false was not measured, which is not zero.
type Usage struct {
	// Source names where the figures come from: "process" (the replica's
	// own /proc files and cgroup), "in-process" (a fleet replica inside
	// scalelab's process), "metrics.k8s.io", "cadvisor", "/metrics", or
	// several joined by "+".
	Source string `json:"source"`
	// CPU is the CPU used, in cores; CPULimit its CPU quota in cores, 0
	// when it has none or it is unknown.
	CPU      float64 `json:"cpu_cores"`
	CPUKnown bool    `json:"cpu_known"`
	CPULimit float64 `json:"cpu_limit,omitempty"`
	// Throttled is the share (0..1) of its CFS periods in the interval
	// that were throttled; NrThrottled the cgroup's cumulative count.
	Throttled      float64 `json:"throttled"`
	ThrottledKnown bool    `json:"throttled_known"`
	NrThrottled    uint64  `json:"nr_throttled,omitempty"`
	// RSS is its resident memory in bytes, 0 when unknown.
	RSS uint64 `json:"rss_bytes,omitempty"`
	// RunDelay is the time its threads waited for a CPU per second of the
	// interval (/proc/PID/schedstat).
	RunDelay      time.Duration `json:"run_delay"`
	RunDelayKnown bool          `json:"run_delay_known"`
	// Busy is the share (0..1) of the interval it spent serving requests,
	// summed over concurrent requests (so it may exceed 1), and InFlight
	// the requests it was serving at the sample: what an in-process
	// replica can measure of itself.
	Busy      float64 `json:"busy"`
	BusyKnown bool    `json:"busy_known"`
	InFlight  int     `json:"in_flight"`
	// Saturated says a figure passed its limit (probes.JudgeReplica), with
	// the reasons, each with its figure ("throttled 34% of periods").
	Saturated bool     `json:"saturated"`
	Reasons   []string `json:"reasons,omitempty"`
}
