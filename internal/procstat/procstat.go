// Package procstat measures the process's own resource use, so that a load
// generator can tell when it, not its target, is the bottleneck.
package procstat

import (
	"runtime"
	"time"
)

// Sample is the process's CPU time used up to a moment.
type Sample struct {
	// At is when the sample was taken.
	At time.Time
	// CPU is the user plus system CPU time used since the process started.
	CPU time.Duration
}

// Take samples the process's CPU time now.
func Take() Sample {
	cpu, _ := CPU()
	return Sample{At: time.Now(), CPU: cpu}
}

// Usage is the share of the process's available processors used between
// two samples: 1 means every one of GOMAXPROCS processors was busy.
func Usage(from, to Sample) float64 {
	wall := to.At.Sub(from.At)
	if wall <= 0 {
		return 0
	}
	procs := runtime.GOMAXPROCS(0)
	return float64(to.CPU-from.CPU) / float64(wall) / float64(procs)
}
