package probes

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// copyTree copies the fixture tree testdata/name over dir.
func copyTree(t *testing.T, name, dir string) {
	t.Helper()
	src := filepath.Join("testdata", name)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sampleFixture starts a Generator on the fixture tree name, lays the
// tree name-after over it, and samples one second later.
func sampleFixture(t *testing.T, name string) GeneratorSample {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, name, dir)
	g := NewGenerator(Options{Root: dir})
	t.Cleanup(g.Close)
	if _, err := os.Stat(filepath.Join("testdata", name+"-after")); err == nil {
		copyTree(t, name+"-after", dir)
	}
	return g.Sample(g.prevAt.Add(time.Second))
}

func TestGeneratorOnCgroupV1(t *testing.T) {
	s := sampleFixture(t, "v1")
	c := s.Cgroup
	if !c.Available || c.Version != 1 || c.Quota != 0.5 || c.Periods != 10 || c.Throttled != 4 ||
		c.ThrottledTime != 200*time.Millisecond || c.ThrottledShare != 0.4 {
		t.Errorf("cgroup = %+v", c)
	}
	if s.CPU.Limit != min(0.5, float64(runtime.GOMAXPROCS(0))) {
		t.Errorf("cpu limit = %v, want the quota", s.CPU.Limit)
	}
	// Threads 100 and 101 waited 30 and 5 ms more; 102 appeared having
	// waited 2 ms.
	if r := s.RunQueue; !r.Available || r.Delay != 37*time.Millisecond || r.DelayPerSecond != 37 || r.Runnable != 3 || r.Note != "" {
		t.Errorf("run queue = %+v", r)
	}
	if p := s.Pressure; !p.Available || p.CPU.Avg10 != 22 || p.CPU.Stalled != 350*time.Millisecond || !p.IO.Available || p.IO.Stalled != 0 {
		t.Errorf("pressure = %+v", p)
	}
	n := s.Network
	got := []int64{n.RetransSegs, n.ActiveOpens, n.AttemptFails, n.EstabResets, n.ListenOverflows, n.ListenDrops, n.TCPTimeouts, n.TCPSynRetrans}
	if want := []int64{30, 500, 7, 3, 11, 12, 4, 5}; !n.Available || !slices.Equal(got, want) {
		t.Errorf("network deltas = %v, want %v (%+v)", got, want, n)
	}
	if n.Sockets != 142 || n.TCPInUse != 130+6 || n.TimeWait != 1856 || n.PortsLeft != 60999-32768+1-136-1856 {
		t.Errorf("sockets = %+v", n)
	}
	if s.Memory.RSS != 403*int64(os.Getpagesize()) {
		t.Errorf("rss = %d", s.Memory.RSS)
	}
}

func TestGeneratorOnCgroupV2WithoutPSIOrQuota(t *testing.T) {
	s := sampleFixture(t, "v2")
	if c := s.Cgroup; !c.Available || c.Version != 2 || c.Quota != 0 || c.Note != "no quota" || c.Periods != 20 || c.Throttled != 0 {
		t.Errorf("cgroup = %+v", c)
	}
	if s.CPU.Limit != float64(runtime.GOMAXPROCS(0)) {
		t.Errorf("cpu limit without quota = %v", s.CPU.Limit)
	}
	if p := s.Pressure; p.Available || !strings.Contains(p.Note, "not available") {
		t.Errorf("pressure without PSI = %+v", p)
	}
	if r := s.RunQueue; !r.Available || r.Delay != 40*time.Microsecond || r.Note != "main thread only" {
		t.Errorf("run queue without task dir = %+v", r)
	}
	if n := s.Network; !n.Available || n.Note != "no /proc/net/netstat" || n.ListenDrops != 0 {
		t.Errorf("network without netstat = %+v", n)
	}
}

func TestGeneratorWithNoFiles(t *testing.T) {
	g := NewGenerator(Options{Root: t.TempDir()})
	defer g.Close()
	s := g.Sample(time.Now())
	if s.RunQueue.Available || s.Pressure.Available || s.Cgroup.Available || s.Network.Available || s.Network.PortsLeft != -1 {
		t.Errorf("with no files, some group is available: %+v", s)
	}
	for _, note := range []string{s.RunQueue.Note, s.Pressure.Note, s.Cgroup.Note, s.Network.Note} {
		if !strings.HasPrefix(note, "not available") {
			t.Errorf("note %q does not say not available", note)
		}
	}
	if !s.CPU.Available || !s.Memory.Available || s.Memory.Heap <= 0 {
		t.Errorf("process CPU and Go memory need no files: %+v %+v", s.CPU, s.Memory)
	}
	if j := Judge(s, Sends{}, Thresholds{}); j.Saturated {
		t.Errorf("an idle sample with nothing available is judged saturated: %v", j.Reasons)
	}
}

func TestGeneratorOnThisMachine(t *testing.T) {
	g := NewGenerator(Options{})
	defer g.Close()
	time.Sleep(100 * time.Millisecond)
	s := g.Sample(time.Now())
	t.Logf("cgroup v%d %s quota %v note %q; run queue %+v; pressure available %v %q; network %+v",
		s.Cgroup.Version, s.Cgroup.Dir, s.Cgroup.Quota, s.Cgroup.Note, s.RunQueue, s.Pressure.Available, s.Pressure.Note, s.Network)
	if _, err := os.Stat("/proc/self/statm"); err != nil {
		t.Skip("no /proc here")
	}
	if s.Memory.RSS <= 0 || !s.CPU.Available || s.CPU.Cores < 0 {
		t.Errorf("rss %d, cpu %+v", s.Memory.RSS, s.CPU)
	}
	if _, err := os.Stat("/proc/self/task"); err == nil && !s.RunQueue.Available {
		t.Errorf("run queue unavailable with /proc/self/task present: %+v", s.RunQueue)
	}
	if _, err := os.Stat("/proc/net/snmp"); err == nil && (!s.Network.Available || s.Network.PortsLeft < 0) {
		t.Errorf("network = %+v", s.Network)
	}
	if b, err := os.ReadFile("/proc/pressure/cpu"); err == nil && len(b) > 0 && !s.Pressure.CPU.Available {
		t.Errorf("PSI readable but not available: %+v", s.Pressure)
	}
	if s.Cgroup.Version == 0 {
		t.Log("no CPU cgroup on this machine")
	}
}

// TestBusyLoopIsGeneratorBound pins the generator to one processor
// (GOMAXPROCS 1) and spins a busy loop on it for 2 s: the sampler sees
// the process's CPU near its one core, and the judgement names CPU. On a
// machine whose cores others keep busy the loop gets less than its core
// but waits for it on the run queue: that too is the CPU, named by the
// run delay.
func TestBusyLoopIsGeneratorBound(t *testing.T) {
	if testing.Short() {
		t.Skip("spins a core for 2 s")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	g := NewGenerator(Options{})
	defer g.Close()
	stop := time.Now().Add(2 * time.Second)
	x := 0
	for time.Now().Before(stop) {
		x++
	}
	s := g.Sample(time.Now())
	j := Judge(s, Sends{}, Thresholds{})
	t.Logf("%.2f cores of %v, run delay %.0f ms/s: %q", s.CPU.Cores, s.CPU.Limit, s.RunQueue.DelayPerSecond, j.Reasons)
	if s.CPU.Limit != 1 || x == 0 {
		t.Fatalf("limit %v with GOMAXPROCS 1, loop ran %d times", s.CPU.Limit, x)
	}
	if !j.Saturated || !(strings.HasPrefix(j.Reasons[0], "cpu ") || strings.HasPrefix(j.Reasons[0], "run delay ")) {
		t.Fatalf("busy loop judged %+v", j)
	}
	if s.CPU.Cores < 0.9 && s.RunQueue.DelayPerSecond < 50 {
		t.Fatalf("busy loop at %.2f cores with a run delay of only %.0f ms/s", s.CPU.Cores, s.RunQueue.DelayPerSecond)
	}
}

func BenchmarkGeneratorSample(b *testing.B) {
	g := NewGenerator(Options{})
	defer g.Close()
	g.Sample(time.Now())
	b.ReportAllocs()
	for b.Loop() {
		g.Sample(time.Now())
	}
}

func TestGeneratorQuota(t *testing.T) {
	for _, c := range []struct {
		tree, file, content string
		want                float64
	}{
		{"v1", "sys/fs/cgroup/cpu/scalelab/gen/cpu.cfs_quota_us", "-1\n", 0},
		{"v1", "sys/fs/cgroup/cpu/scalelab/gen/cpu.cfs_quota_us", "150000\n", 1.5},
		{"v2", "sys/fs/cgroup/user.slice/app.scope/cpu.max", "max 100000\n", 0},
		{"v2", "sys/fs/cgroup/user.slice/app.scope/cpu.max", "20000 100000\n", 0.2},
	} {
		dir := t.TempDir()
		copyTree(t, c.tree, dir)
		if err := os.WriteFile(filepath.Join(dir, c.file), []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		g := NewGenerator(Options{Root: dir})
		s := g.Sample(time.Now())
		g.Close()
		if s.Cgroup.Quota != c.want || (c.want == 0) != (s.Cgroup.Note == "no quota") {
			t.Errorf("%s %q: quota %v note %q, want %v", c.tree, c.content, s.Cgroup.Quota, s.Cgroup.Note, c.want)
		}
	}
}

// TestParseThisMachine runs each parser on this machine's own file,
// skipping the files this kernel does not have.
func TestParseThisMachine(t *testing.T) {
	for _, c := range []struct {
		path  string
		parse func([]byte) bool
	}{
		{"/proc/loadavg", func(b []byte) bool { _, ok := parseLoadavg(b); return ok }},
		{"/proc/self/statm", func(b []byte) bool { _, ok := parseStatm(b); return ok }},
		{"/proc/self/schedstat", func(b []byte) bool { _, _, ok := parseSchedstat(b); return ok }},
		{"/proc/pressure/cpu", func(b []byte) bool { _, ok := parsePressure(b); return ok }},
		{"/proc/pressure/memory", func(b []byte) bool { _, ok := parsePressure(b); return ok }},
		{"/proc/pressure/io", func(b []byte) bool { _, ok := parsePressure(b); return ok }},
		{"/proc/net/snmp", func(b []byte) bool {
			out := make([]int64, 4)
			return tableValues(b, "Tcp:", snmpNames, out) && !slices.Contains(out, -1)
		}},
		{"/proc/net/netstat", func(b []byte) bool {
			out := make([]int64, 4)
			return tableValues(b, "TcpExt:", netstatNames, out) && !slices.Contains(out, -1)
		}},
		{"/proc/net/sockstat", func(b []byte) bool { _, ok := lineValue(b, "TCP:", "tw"); return ok }},
		{"/proc/sys/net/ipv4/ip_local_port_range", func(b []byte) bool { _, _, ok := parsePair(b); return ok }},
	} {
		b, err := os.ReadFile(c.path)
		if err != nil || len(b) == 0 {
			t.Logf("%s: absent here (%v)", c.path, err)
			continue
		}
		if !c.parse(b) {
			t.Errorf("%s does not parse:\n%s", c.path, b)
		}
	}
	cg, _ := os.ReadFile("/proc/self/cgroup")
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	d := findCgroup("/", cg, mi)
	if d.version == 0 {
		t.Log("no CPU cgroup here")
		return
	}
	b, err := os.ReadFile(filepath.Join(d.dir, "cpu.stat"))
	if err != nil {
		t.Fatalf("cgroup v%d at %s: %v", d.version, d.dir, err)
	}
	if _, ok := keyValue(b, "nr_throttled"); !ok {
		t.Logf("cgroup v%d at %s has no nr_throttled (no CPU controller)", d.version, d.dir)
	}
}
