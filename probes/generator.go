package probes

import (
	"runtime"
	"time"

	"github.com/scalelab/scalelab/internal/procstat"
)

// Options configures a Generator.
type Options struct {
	// Root is the directory under which /proc and /sys are read: "/" (the
	// default) for this machine, a copy of their files in tests.
	Root string
}

// Generator samples the generator process's own saturation: CPU, run
// queue, pressure, cgroup throttling, memory and the TCP counters of its
// network namespace. Call Sample once a second; each sample holds the
// change since the previous one. A Generator is not safe for concurrent
// use; Close releases its open files.
type Generator struct {
	kernel  *kernel
	runtime *goRuntime
	prevAt  time.Time
	prevCPU time.Duration
	cpuOK   bool
}

// NewGenerator starts the probes: it finds the process's cgroup, opens the
// files it will read, and takes the baseline the first Sample counts
// from.
func NewGenerator(opts Options) *Generator {
	root := opts.Root
	if root == "" {
		root = "/"
	}
	g := &Generator{kernel: newKernel(root), runtime: newGoRuntime(), prevAt: time.Now()}
	g.prevCPU, g.cpuOK = procstat.CPU()
	g.kernel.sample(&GeneratorSample{}, true)
	return g
}

// Sample measures the interval since the previous sample (or
// NewGenerator) up to now, which the caller passes (its tick's time).
func (g *Generator) Sample(now time.Time) GeneratorSample {
	s := GeneratorSample{At: now, Interval: now.Sub(g.prevAt)}
	cpu, ok := procstat.CPU()
	s.CPU = ProcessCPU{Available: ok && g.cpuOK, Procs: runtime.GOMAXPROCS(0)}
	if s.CPU.Available && s.Interval > 0 {
		s.CPU.Cores = float64(cpu-g.prevCPU) / float64(s.Interval)
	}
	g.prevAt, g.prevCPU, g.cpuOK = now, cpu, ok
	s.RunQueue.Online = runtime.NumCPU()
	g.kernel.sample(&s, false)
	s.CPU.Limit = float64(min(s.CPU.Procs, s.RunQueue.Online))
	if q := s.Cgroup.Quota; q > 0 && q < s.CPU.Limit {
		s.CPU.Limit = q
	}
	g.runtime.read(&s.Memory, false)
	s.Memory.Available = true
	return s
}

// Close closes the files the probes keep open.
func (g *Generator) Close() { g.kernel.close() }

// perSecond scales a count over interval d to a rate per second.
func perSecond(n float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return n / d.Seconds()
}
