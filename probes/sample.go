package probes

import "time"

// GeneratorSample is what the generator probes measured over one interval:
// from the previous sample (or NewGenerator) to At. Counters are the
// increase over the interval, gauges the value at At. A group that could
// not be read has Available false and says why in Note.
type GeneratorSample struct {
	// At is when the sample was taken; Interval the time since the one
	// before.
	At       time.Time     `json:"at"`
	Interval time.Duration `json:"interval_ns"`
	// CPU is the process's processor time; RunQueue its wait for a CPU;
	// Pressure the kernel's stall information; Cgroup its CPU quota and
	// throttling.
	CPU      ProcessCPU `json:"cpu"`
	RunQueue RunQueue   `json:"run_queue"`
	Pressure Pressure   `json:"pressure"`
	Cgroup   Cgroup     `json:"cgroup"`
	// Memory is the process's resident set and Go heap; Network the TCP
	// counters of its network namespace.
	Memory  Memory  `json:"memory"`
	Network Network `json:"network"`
}

// ProcessCPU is the processor time the process used in the interval.
type ProcessCPU struct {
	Available bool `json:"available"`
	// Cores is the processor time used per second of the interval: 2 is
	// two cores busy all along.
	Cores float64 `json:"cores"`
	// Procs is GOMAXPROCS; Limit the cores the process may use: the
	// smaller of Procs, the CPUs it may run on (RunQueue.Online) and the
	// cgroup's quota.
	Procs int     `json:"procs"`
	Limit float64 `json:"limit"`
}

// RunQueue is the saturation of the CPU: how long the process's threads
// waited, runnable, for a processor, and how many tasks the whole system
// had runnable against its cores.
type RunQueue struct {
	Available bool   `json:"available"`
	Note      string `json:"note,omitempty"`
	// Delay is the time the process's threads, together, spent runnable
	// but waiting for a CPU in the interval (/proc/self/task/*/schedstat).
	Delay time.Duration `json:"delay_ns"`
	// DelayPerSecond is Delay per second of the interval, in milliseconds.
	DelayPerSecond float64 `json:"delay_ms_per_s"`
	// Runnable is the number of tasks runnable system-wide now (including
	// the one reading), Online the CPUs the process may run on, Load1 the
	// 1-minute load average (/proc/loadavg).
	Runnable int     `json:"runnable"`
	Online   int     `json:"online"`
	Load1    float64 `json:"load1"`
}

// Pressure is the kernel's pressure stall information (PSI), "some": the
// share of time at least one task stalled on the resource.
type Pressure struct {
	Available bool   `json:"available"`
	Note      string `json:"note,omitempty"`
	CPU       Stall  `json:"cpu"`
	Memory    Stall  `json:"memory"`
	IO        Stall  `json:"io"`
}

// Stall is one resource's PSI "some" line.
type Stall struct {
	Available bool `json:"available"`
	// Avg10 is the percentage of the last 10 seconds stalled, as the
	// kernel computes it; Stalled the stalled time in the interval.
	Avg10   float64       `json:"avg10"`
	Stalled time.Duration `json:"stalled_ns"`
}

// Cgroup is the CPU controller of the process's cgroup: its quota and how
// often it throttled the process in the interval.
type Cgroup struct {
	Available bool   `json:"available"`
	Note      string `json:"note,omitempty"`
	// Version is 1 or 2 (the unified hierarchy); Dir the cgroup's
	// directory.
	Version int    `json:"version"`
	Dir     string `json:"dir"`
	// Quota is the CPU quota in cores (cpu.max or cfs_quota_us over
	// cfs_period_us); 0 when no quota is set.
	Quota float64 `json:"quota"`
	// Periods is the number of enforcement periods in the interval,
	// Throttled how many of them ran out of quota, ThrottledTime the time
	// the cgroup's tasks were held back.
	Periods       int64         `json:"periods"`
	Throttled     int64         `json:"throttled"`
	ThrottledTime time.Duration `json:"throttled_ns"`
	// ThrottledShare is Throttled over Periods (0 with no periods).
	ThrottledShare float64 `json:"throttled_share"`
}

// Memory is the process's memory: its resident set, from the kernel, and
// the Go runtime's heap and garbage collection.
type Memory struct {
	Available bool `json:"available"`
	// RSS is the resident set in bytes (/proc/self/statm); 0 when unknown.
	RSS int64 `json:"rss_bytes"`
	// Heap is the bytes of heap objects, live or not yet swept; HeapGoal
	// the heap size at which the next collection starts.
	Heap     int64 `json:"heap_bytes"`
	HeapGoal int64 `json:"heap_goal_bytes"`
	// GCCycles is the collections completed in the interval; GCPauseMax
	// the longest stop-the-world pause in it (the upper bound of its
	// runtime/metrics bucket).
	GCCycles   int64         `json:"gc_cycles"`
	GCPauseMax time.Duration `json:"gc_pause_max_ns"`
}

// Network is the TCP counters of the process's network namespace: the
// counters are the increase in the interval, the socket counts now.
type Network struct {
	Available bool   `json:"available"`
	Note      string `json:"note,omitempty"`
	// From /proc/net/snmp.
	RetransSegs  int64 `json:"retrans_segs"`
	ActiveOpens  int64 `json:"active_opens"`
	AttemptFails int64 `json:"attempt_fails"`
	EstabResets  int64 `json:"estab_resets"`
	// From /proc/net/netstat.
	ListenOverflows int64 `json:"listen_overflows"`
	ListenDrops     int64 `json:"listen_drops"`
	TCPTimeouts     int64 `json:"tcp_timeouts"`
	TCPSynRetrans   int64 `json:"tcp_syn_retrans"`
	// From /proc/net/sockstat (and sockstat6): sockets of every kind in
	// use, TCP sockets in use (IPv4 and IPv6), and TCP sockets in
	// TIME_WAIT.
	Sockets  int64 `json:"sockets"`
	TCPInUse int64 `json:"tcp_inuse"`
	TimeWait int64 `json:"time_wait"`
	// PortsLeft is, roughly, the ephemeral ports left: the size of
	// ip_local_port_range less the TCP sockets in use and in TIME_WAIT
	// (ports are per destination, so this is a floor); -1 when unknown.
	PortsLeft int64 `json:"ports_left"`
}
