//go:build !linux

package probes

import (
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// ProcessUsage samples another process's use of the machine; without
// /proc (not Linux) only its CPU limit is known.
type ProcessUsage struct{ limit float64 }

// NewProcessUsage returns a sampler of process pid (see the Linux one).
func NewProcessUsage(pid int, cgroupDir string, limit float64) *ProcessUsage {
	return &ProcessUsage{limit: limit}
}

// Sample has nothing measured but the limit: no /proc here.
func (p *ProcessUsage) Sample(time.Time) cluster.Usage {
	return cluster.Usage{Source: "process", CPULimit: p.limit}
}

// Close does nothing.
func (p *ProcessUsage) Close() {}
