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
// run delay (/proc/PID/task/*/schedstat, read as the generator's own),
// and, when it runs in a CPU cgroup of its own, that cgroup's throttling
// (cpu.stat, v1 or v2). Its files stay open between samples: Close it
// when the process is gone. Sample is for one goroutine at a time.
type ProcessUsage struct {
	limit                float64
	stat, statm, cpuStat procFile
	threads              *threads
	buf                  []byte
	pageSize             int64
	prevAt               time.Time
	prevCPU              int64 // clock ticks
	prevPeriods, prevThr int64
	havePrev, haveCgroup bool
}

// NewProcessUsage returns a sampler of process pid, with cgroupDir its
// own CPU cgroup's folder ("" when it has none) and limit its CPU quota in
// cores (0 for none).
func NewProcessUsage(pid int, cgroupDir string, limit float64) *ProcessUsage {
	proc := "/proc/" + strconv.Itoa(pid)
	p := &ProcessUsage{limit: limit, pageSize: int64(os.Getpagesize()),
		stat: procFile{path: proc + "/stat"}, statm: procFile{path: proc + "/statm"},
		threads: newThreads(proc+"/task", proc+"/schedstat")}
	if cgroupDir != "" {
		p.cpuStat = procFile{path: filepath.Join(cgroupDir, "cpu.stat")}
	}
	return p
}

// Sample reads the process's figures at now: rates over the interval
// since the previous Sample (CPU, run delay and throttling are unknown at
// the first). Source is "process"; the caller judges it (JudgeReplica)
// once it added what the process's own counts say (busy, in flight).
func (p *ProcessUsage) Sample(now time.Time) cluster.Usage {
	u := cluster.Usage{Source: "process", CPULimit: p.limit}
	secs := now.Sub(p.prevAt).Seconds()
	first := !p.havePrev || secs <= 0
	if b, ok := p.stat.read(&p.buf); ok {
		if cpu, ok := parseProcStatCPU(b); ok {
			if !first && cpu >= p.prevCPU {
				u.CPU, u.CPUKnown = float64(cpu-p.prevCPU)/clockTicks/secs, true
			}
			p.prevCPU = cpu
		}
	}
	if delay, ok, _ := p.threads.delay(&p.buf, first); ok && !first {
		u.RunDelay, u.RunDelayKnown = time.Duration(float64(delay)/secs), true
	}
	if b, ok := p.statm.read(&p.buf); ok {
		if pages, ok := parseStatm(b); ok {
			u.RSS = uint64(pages * p.pageSize)
		}
	}
	if b, ok := p.cpuStat.read(&p.buf); ok {
		periods, ok1 := keyValue(b, "nr_periods")
		throttled, ok2 := keyValue(b, "nr_throttled")
		if ok1 && ok2 {
			u.NrThrottled = uint64(max(0, throttled))
			if p.haveCgroup && periods >= p.prevPeriods && throttled >= p.prevThr {
				u.ThrottledKnown = true
				if d := periods - p.prevPeriods; d > 0 {
					u.Throttled = float64(throttled-p.prevThr) / float64(d)
				}
			}
			p.prevPeriods, p.prevThr, p.haveCgroup = periods, throttled, true
		}
	}
	p.prevAt, p.havePrev = now, true
	return u
}

// Close closes the process's files.
func (p *ProcessUsage) Close() {
	p.stat.close()
	p.statm.close()
	p.cpuStat.close()
	p.threads.close()
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
	// Field 3 (state) is the first after the command; utime is field 14.
	for range 14 - 3 {
		if _, rest = nextField(rest); len(rest) == 0 {
			return 0, false
		}
	}
	f, rest := nextField(rest)
	utime, ok1 := parseInt(f)
	f, _ = nextField(rest)
	stime, ok2 := parseInt(f)
	return utime + stime, ok1 && ok2
}
