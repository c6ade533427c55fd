package probes

import (
	"os"
	"path/filepath"
	"time"
)

// kernel reads the Linux files of the probes, kept open, and remembers the
// counters of the previous sample.
type kernel struct {
	buf                                      []byte
	loadavg, statm, snmp, netstat, sockstat  procFile
	sockstat6                                procFile
	ports                                    procFile
	psi                                      [3]procFile
	cg                                       cgroupDir
	cpuStat, cpuMax, cfsQuota, cfsPeriod     procFile
	threads                                  *threads
	page                                     int64
	prevPSI                                  [3]int64
	prevPeriods, prevThrottled, prevThrottle int64
	prevNet, net                             [8]int64
}

func newKernel(root string) *kernel {
	p := func(parts ...string) procFile {
		return procFile{path: filepath.Join(append([]string{root}, parts...)...)}
	}
	k := &kernel{
		loadavg: p("proc/loadavg"), statm: p("proc/self/statm"),
		snmp: p("proc/net/snmp"), netstat: p("proc/net/netstat"), sockstat: p("proc/net/sockstat"), sockstat6: p("proc/net/sockstat6"),
		ports:   p("proc/sys/net/ipv4/ip_local_port_range"),
		threads: newThreads(filepath.Join(root, "proc/self/task"), filepath.Join(root, "proc/self/schedstat")),
		page:    int64(os.Getpagesize()),
	}
	for i, n := range psiNames {
		k.psi[i] = p("proc/pressure", n)
	}
	cgroups, _ := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	mounts, _ := os.ReadFile(filepath.Join(root, "proc/self/mountinfo"))
	k.cg = findCgroup(root, cgroups, mounts)
	if k.cg.version != 0 {
		k.cpuStat = procFile{path: filepath.Join(k.cg.dir, "cpu.stat")}
	}
	switch k.cg.version {
	case 1:
		k.cfsQuota = procFile{path: filepath.Join(k.cg.dir, "cpu.cfs_quota_us")}
		k.cfsPeriod = procFile{path: filepath.Join(k.cg.dir, "cpu.cfs_period_us")}
	case 2:
		k.cpuMax = procFile{path: filepath.Join(k.cg.dir, "cpu.max")}
	}
	return k
}

// sample fills s's kernel groups; a baseline sample only records the
// counters.
func (k *kernel) sample(s *GeneratorSample, baseline bool) {
	k.runQueue(&s.RunQueue, s.Interval, baseline)
	k.pressure(&s.Pressure, baseline)
	k.cgroup(&s.Cgroup, baseline)
	k.network(&s.Network, baseline)
	if b, ok := k.statm.read(&k.buf); ok {
		if pages, ok := parseStatm(b); ok {
			s.Memory.RSS = pages * k.page
		}
	}
}

func (k *kernel) runQueue(r *RunQueue, interval time.Duration, baseline bool) {
	delay, ok, note := k.threads.delay(&k.buf, baseline)
	r.Note = note
	if b, lok := k.loadavg.read(&k.buf); lok {
		if l, lok := parseLoadavg(b); lok {
			r.Load1, r.Runnable = l.load1, int(l.runnable)
		}
	}
	if !ok {
		return
	}
	r.Available, r.Delay = true, delay
	if interval > 0 {
		r.DelayPerSecond = perSecond(float64(delay)/float64(time.Millisecond), interval)
	}
}

func (k *kernel) pressure(p *Pressure, baseline bool) {
	stalls := [3]*Stall{&p.CPU, &p.Memory, &p.IO}
	for i := range k.psi {
		b, ok := k.psi[i].read(&k.buf)
		if !ok {
			continue
		}
		v, ok := parsePressure(b)
		if !ok {
			continue
		}
		st := stalls[i]
		st.Available, st.Avg10 = true, v.avg10
		if !baseline {
			st.Stalled = time.Duration(v.total-k.prevPSI[i]) * time.Microsecond
		}
		k.prevPSI[i] = v.total
		p.Available = true
	}
	if !p.Available {
		p.Note = "not available: no PSI in this kernel (/proc/pressure)"
	}
}

func (k *kernel) cgroup(c *Cgroup, baseline bool) {
	c.Version, c.Dir = k.cg.version, k.cg.dir
	if k.cg.version == 0 {
		c.Note = "not available: no CPU cgroup found"
		return
	}
	b, ok := k.cpuStat.read(&k.buf)
	if !ok {
		c.Note = "not available: cpu.stat unreadable"
		return
	}
	periods, _ := keyValue(b, "nr_periods")
	throttled, _ := keyValue(b, "nr_throttled")
	var throttle time.Duration
	if k.cg.version == 1 {
		ns, _ := keyValue(b, "throttled_time")
		throttle = time.Duration(ns)
	} else {
		us, _ := keyValue(b, "throttled_usec")
		throttle = time.Duration(us) * time.Microsecond
	}
	c.Available = true
	if !baseline {
		c.Periods, c.Throttled = periods-k.prevPeriods, throttled-k.prevThrottled
		c.ThrottledTime = throttle - time.Duration(k.prevThrottle)
		if c.Periods > 0 {
			c.ThrottledShare = float64(c.Throttled) / float64(c.Periods)
		}
	}
	k.prevPeriods, k.prevThrottled, k.prevThrottle = periods, throttled, int64(throttle)
	c.Quota = k.quota()
	if c.Quota == 0 {
		c.Note = "no quota"
	}
}

// quota is the cgroup's CPU quota in cores, 0 when none is set.
func (k *kernel) quota() float64 {
	var quota, period int64
	if k.cg.version == 1 {
		b, ok := k.cfsQuota.read(&k.buf)
		if !ok {
			return 0
		}
		quota, _ = parseOne(b)
		if b, ok = k.cfsPeriod.read(&k.buf); !ok {
			return 0
		}
		period, _ = parseOne(b)
	} else {
		b, ok := k.cpuMax.read(&k.buf)
		if !ok {
			return 0
		}
		quota, period, _ = parsePair(b)
	}
	if quota <= 0 || period <= 0 {
		return 0
	}
	return float64(quota) / float64(period)
}

func (k *kernel) network(n *Network, baseline bool) {
	n.PortsLeft = -1
	b, ok := k.snmp.read(&k.buf)
	if !ok || !tableValues(b, "Tcp:", snmpNames, k.net[:4]) {
		n.Note = "not available: /proc/net/snmp unreadable"
		return
	}
	n.Available = true
	if b, ok = k.netstat.read(&k.buf); !ok || !tableValues(b, "TcpExt:", netstatNames, k.net[4:]) {
		n.Note = "no /proc/net/netstat"
	}
	if !baseline {
		d := [8]*int64{&n.RetransSegs, &n.ActiveOpens, &n.AttemptFails, &n.EstabResets,
			&n.ListenOverflows, &n.ListenDrops, &n.TCPTimeouts, &n.TCPSynRetrans}
		for i, p := range d {
			if k.net[i] >= 0 && k.prevNet[i] >= 0 {
				*p = k.net[i] - k.prevNet[i]
			}
		}
	}
	k.prevNet = k.net
	if b, ok = k.sockstat.read(&k.buf); ok {
		n.Sockets, _ = lineValue(b, "sockets:", "used")
		n.TCPInUse, _ = lineValue(b, "TCP:", "inuse")
		n.TimeWait, _ = lineValue(b, "TCP:", "tw")
		if b, ok = k.sockstat6.read(&k.buf); ok {
			v6, _ := lineValue(b, "TCP6:", "inuse")
			n.TCPInUse += v6
		}
		if b, ok = k.ports.read(&k.buf); ok {
			if lo, hi, ok := parsePair(b); ok && hi >= lo && lo > 0 {
				n.PortsLeft = max(0, hi-lo+1-n.TCPInUse-n.TimeWait)
			}
		}
	}
}

func (k *kernel) close() {
	for _, f := range []*procFile{&k.loadavg, &k.statm, &k.snmp, &k.netstat, &k.sockstat, &k.sockstat6, &k.ports,
		&k.psi[0], &k.psi[1], &k.psi[2], &k.cpuStat, &k.cpuMax, &k.cfsQuota, &k.cfsPeriod} {
		f.close()
	}
	k.threads.close()
}
