package probes

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's CPU
// times: 100 on every Linux architecture Go runs on.
const clockTicks = 100

// ProcessUsage samples another process's use of the machine (a fleet
// replica run as a process of its own): its CPU from /proc/PID/stat
// (every thread's), resident memory from /proc/PID/statm, its threads'
// run delay summed from /proc/PID/task/*/schedstat, and, when it runs in
// a CPU cgroup of its own, that cgroup's throttling (cpu.stat, v1 or v2).
// Sample is for one goroutine at a time.
type ProcessUsage struct {
	proc   string // /proc/PID
	cgroup string // its cgroup's folder, "" for none
	limit  float64

	prevAt                     time.Time
	prevCPU, prevDelay         int64 // clock ticks, nanoseconds
	prevPeriods, prevThrottled int64
	havePrev, haveCgroupPrev   bool
	buf                        []byte
	pageSize                   int64
}

// NewProcessUsage returns a sampler of process pid, with cgroupDir its
// own CPU cgroup's folder ("" when it has none) and limit its CPU quota in
// cores (0 for none).
func NewProcessUsage(pid int, cgroupDir string, limit float64) *ProcessUsage {
	return &ProcessUsage{proc: "/proc/" + strconv.Itoa(pid), cgroup: cgroupDir, limit: limit, pageSize: int64(os.Getpagesize())}
}

// Sample reads the process's figures at now: rates over the interval
// since the previous Sample (CPU, run delay and throttling are unknown at
// the first), judged by JudgeReplica. Source is "process".
func (p *ProcessUsage) Sample(now time.Time) cluster.Usage {
	u := cluster.Usage{Source: "process", CPULimit: p.limit}
	secs := now.Sub(p.prevAt).Seconds()
	cpu, cpuOK := p.cpuTicks()
	delay, delayOK := p.runDelay()
	if p.havePrev && secs > 0 {
		if cpuOK && cpu >= p.prevCPU {
			u.CPU, u.CPUKnown = float64(cpu-p.prevCPU)/clockTicks/secs, true
		}
		if delayOK && delay >= p.prevDelay {
			u.RunDelay, u.RunDelayKnown = time.Duration(float64(delay-p.prevDelay)/secs), true
		}
	}
	if b, err := os.ReadFile(p.proc + "/statm"); err == nil {
		if pages, ok := parseStatm(b); ok {
			u.RSS = uint64(pages * p.pageSize)
		}
	}
	if p.cgroup != "" {
		if b, err := os.ReadFile(filepath.Join(p.cgroup, "cpu.stat")); err == nil {
			periods, ok1 := keyValue(b, "nr_periods")
			throttled, ok2 := keyValue(b, "nr_throttled")
			if ok1 && ok2 {
				u.NrThrottled = uint64(max(0, throttled))
				if p.haveCgroupPrev && periods >= p.prevPeriods && throttled >= p.prevThrottled {
					u.ThrottledKnown = true
					if d := periods - p.prevPeriods; d > 0 {
						u.Throttled = float64(throttled-p.prevThrottled) / float64(d)
					}
				}
				p.prevPeriods, p.prevThrottled, p.haveCgroupPrev = periods, throttled, true
			}
		}
	}
	p.prevAt, p.prevCPU, p.prevDelay, p.havePrev = now, cpu, delay, cpuOK || delayOK
	JudgeReplica(&u, ReplicaThresholds{})
	return u
}

// cpuTicks is the process's user and system CPU time, in clock ticks.
func (p *ProcessUsage) cpuTicks() (int64, bool) {
	b, err := os.ReadFile(p.proc + "/stat")
	if err != nil {
		return 0, false
	}
	return parseProcStatCPU(b)
}

// parseProcStatCPU reads utime + stime (fields 14 and 15) from
// /proc/PID/stat, whose second field, the command in parentheses, may
// hold spaces and parentheses of its own.
func parseProcStatCPU(b []byte) (int64, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	rest := b[i+1:]
	var f []byte
	// Field 3 (state) is the first after the command; utime is field 14.
	for range 14 - 3 {
		if _, rest = nextField(rest); len(rest) == 0 {
			return 0, false
		}
	}
	f, rest = nextField(rest)
	utime, ok1 := parseInt(f)
	f, _ = nextField(rest)
	stime, ok2 := parseInt(f)
	return utime + stime, ok1 && ok2
}

// runDelay is the run delay of the process's threads, summed, in
// nanoseconds.
func (p *ProcessUsage) runDelay() (int64, bool) {
	tasks, err := os.ReadDir(p.proc + "/task")
	if err != nil {
		return 0, false
	}
	var total int64
	read := false
	for _, t := range tasks {
		b, err := os.ReadFile(p.proc + "/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue
		}
		if _, d, ok := parseSchedstat(b); ok {
			total, read = total+d, true
		}
	}
	return total, read
}
