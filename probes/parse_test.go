package probes

import (
	"os"
	"slices"
	"testing"
)

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePressure(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     pressure
		ok       bool
	}{
		{"cpu", "some avg10=20.66 avg60=23.81 avg300=24.30 total=1279414283\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", pressure{20.66, 1279414283}, true},
		{"cpu without full (older kernels)", "some avg10=0.13 avg60=0.28 avg300=0.43 total=31001920\n", pressure{0.13, 31001920}, true},
		{"empty (psi=0)", "", pressure{}, false},
		{"no total", "some avg10=1.00 avg60=0.00\n", pressure{avg10: 1}, false},
	} {
		got, ok := parsePressure([]byte(c.in))
		if ok != c.ok || (ok && (got.total != c.want.total || got.avg10-c.want.avg10 > 1e-9 || c.want.avg10-got.avg10 > 1e-9)) {
			t.Errorf("%s: parsePressure = %+v, %v; want %+v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestParseSmallFiles(t *testing.T) {
	l, ok := parseLoadavg(readFixture(t, "testdata/v1/proc/loadavg"))
	if !ok || l.runnable != 3 || l.entities != 132 || l.load1 != 2.65 {
		t.Errorf("loadavg = %+v, %v", l, ok)
	}
	if _, ok := parseLoadavg([]byte("garbage\n")); ok {
		t.Error("loadavg of garbage parsed")
	}
	run, delay, ok := parseSchedstat(readFixture(t, "testdata/v1/proc/self/task/101/schedstat"))
	if !ok || run != 9000 || delay != 2000000 {
		t.Errorf("schedstat = %d %d %v", run, delay, ok)
	}
	if pages, ok := parseStatm(readFixture(t, "testdata/v1/proc/self/statm")); !ok || pages != 403 {
		t.Errorf("statm resident = %d, %v", pages, ok)
	}
	for _, c := range []struct {
		in   string
		a, b int64
	}{{"32768\t60999\n", 32768, 60999}, {"max 100000\n", -1, 100000}, {"150000 100000\n", 150000, 100000}} {
		if a, b, ok := parsePair([]byte(c.in)); !ok || a != c.a || b != c.b {
			t.Errorf("parsePair(%q) = %d %d %v", c.in, a, b, ok)
		}
	}
	if q, ok := parseOne([]byte("-1\n")); !ok || q != -1 {
		t.Errorf("cfs_quota_us -1 = %d, %v", q, ok)
	}
}

func TestParseCgroupStat(t *testing.T) {
	v1 := readFixture(t, "testdata/v1/sys/fs/cgroup/cpu/scalelab/gen/cpu.stat")
	v2 := readFixture(t, "testdata/v2/sys/fs/cgroup/user.slice/app.scope/cpu.stat")
	for _, c := range []struct {
		file []byte
		key  string
		want int64
		ok   bool
	}{
		{v1, "nr_periods", 1000, true}, {v1, "nr_throttled", 100, true}, {v1, "throttled_time", 5000000000, true},
		{v1, "throttled_usec", 0, false},
		{v2, "nr_throttled", 0, true}, {v2, "throttled_usec", 0, true}, {v2, "usage_usec", 4987338985, true},
	} {
		if got, ok := keyValue(c.file, c.key); got != c.want || ok != c.ok {
			t.Errorf("%s = %d, %v; want %d, %v", c.key, got, ok, c.want, c.ok)
		}
	}
}

func TestParseNet(t *testing.T) {
	out := make([]int64, 4)
	if !tableValues(readFixture(t, "testdata/v1/proc/net/snmp"), "Tcp:", snmpNames, out) {
		t.Fatal("no Tcp: table in snmp")
	}
	if want := []int64{67, 85831, 50222, 5146}; !slices.Equal(out, want) {
		t.Errorf("snmp Tcp = %v, want %v", out, want)
	}
	if !tableValues(readFixture(t, "testdata/v1/proc/net/netstat"), "TcpExt:", netstatNames, out) {
		t.Fatal("no TcpExt: table in netstat")
	}
	if want := []int64{0, 0, 2, 0}; !slices.Equal(out, want) {
		t.Errorf("netstat TcpExt = %v, want %v", out, want)
	}
	if tableValues([]byte("Ip: Forwarding\nIp: 1\n"), "Tcp:", snmpNames, out) || out[0] != -1 {
		t.Errorf("a file without Tcp: = %v", out)
	}
	sock := readFixture(t, "testdata/v1/proc/net/sockstat")
	for _, c := range []struct {
		prefix, key string
		want        int64
	}{{"sockets:", "used", 142}, {"TCP:", "inuse", 130}, {"TCP:", "tw", 1856}, {"UDP:", "mem", 0}} {
		if got, ok := lineValue(sock, c.prefix, c.key); !ok || got != c.want {
			t.Errorf("sockstat %s %s = %d, %v; want %d", c.prefix, c.key, got, ok, c.want)
		}
	}
}

func TestFindCgroup(t *testing.T) {
	for _, c := range []struct {
		name, tree string
		want       cgroupDir
	}{
		{"v1 beside an empty unified hierarchy", "v1", cgroupDir{1, "/r/sys/fs/cgroup/cpu/scalelab/gen"}},
		{"v2", "v2", cgroupDir{2, "/r/sys/fs/cgroup/user.slice/app.scope"}},
	} {
		got := findCgroup("/r", readFixture(t, "testdata/"+c.tree+"/proc/self/cgroup"), readFixture(t, "testdata/"+c.tree+"/proc/self/mountinfo"))
		if got != c.want {
			t.Errorf("%s: findCgroup = %+v, want %+v", c.name, got, c.want)
		}
	}
	if got := findCgroup("/", nil, nil); got.version != 0 {
		t.Errorf("no files: findCgroup = %+v, want none", got)
	}
	// In a cgroup namespace the path lies outside the mount's root: the
	// mount is the cgroup.
	mi := []byte("25 22 0:23 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
	if got := findCgroup("/", []byte("0::/../other\n"), mi); got.dir != "/sys/fs/cgroup" {
		t.Errorf("namespaced: findCgroup = %+v", got)
	}
}
