package probes

// The TCP counters read from /proc/net/snmp ("Tcp:") and /proc/net/netstat
// ("TcpExt:"), in the order of Network's fields.
var (
	snmpNames    = []string{"RetransSegs", "ActiveOpens", "AttemptFails", "EstabResets"}
	netstatNames = []string{"ListenOverflows", "ListenDrops", "TCPTimeouts", "TCPSynRetrans"}
)

// PSI resources, in the order of kernel.psi.
var psiNames = [3]string{"cpu", "memory", "io"}

// The parsers below read the kernel's text formats in place, without
// allocating, so that a sample once a second costs only the reads.

// nextLine returns the first line of b and the rest after its newline.
func nextLine(b []byte) (line, rest []byte) {
	for i, c := range b {
		if c == '\n' {
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}

// nextField returns the first blank-separated field of b and the rest.
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' {
		j++
	}
	return b[i:j], b[j:]
}

// hasPrefix reports whether b starts with s.
func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}

// parseInt reads a decimal integer, optionally negative.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseFloat reads a plain decimal such as 20.66 (the kernel writes no
// exponents in these files).
func parseFloat(b []byte) (float64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var v float64
	scale, frac, digits := 1.0, false, 0
	for _, c := range b {
		switch {
		case c == '.' && !frac:
			frac = true
		case c >= '0' && c <= '9':
			digits++
			if frac {
				scale /= 10
				v += float64(c-'0') * scale
			} else {
				v = v*10 + float64(c-'0')
			}
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// keyValue finds the line "key value" in b (cgroup cpu.stat) and returns
// its value.
func keyValue(b []byte, key string) (int64, bool) {
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		k, rest := nextField(line)
		if string(k) == key {
			v, _ := nextField(rest)
			return parseInt(v)
		}
	}
	return 0, false
}

// lineValue finds the line starting with prefix (such as "TCP:" in
// /proc/net/sockstat), whose fields after it alternate name and value, and
// returns the value named key.
func lineValue(b []byte, prefix, key string) (int64, bool) {
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		if !hasPrefix(line, prefix) {
			continue
		}
		rest := line[len(prefix):]
		for len(rest) > 0 {
			var k, v []byte
			k, rest = nextField(rest)
			v, rest = nextField(rest)
			if len(k) == 0 {
				break
			}
			if string(k) == key {
				return parseInt(v)
			}
		}
		return 0, false
	}
	return 0, false
}

// tableValues reads the paired header and value lines that start with
// prefix (such as "Tcp:" in /proc/net/snmp or "TcpExt:" in
// /proc/net/netstat) and stores the value of each of names in out, at the
// same index. It reports whether the table was found; a name missing
// from it leaves its out at -1.
func tableValues(b []byte, prefix string, names []string, out []int64) bool {
	for i := range out {
		out[i] = -1
	}
	for len(b) > 0 {
		var header, values []byte
		header, b = nextLine(b)
		if !hasPrefix(header, prefix) {
			continue
		}
		values, b = nextLine(b)
		if !hasPrefix(values, prefix) {
			return false
		}
		header, values = header[len(prefix):], values[len(prefix):]
		for len(header) > 0 {
			var name, value []byte
			name, header = nextField(header)
			value, values = nextField(values)
			if len(name) == 0 {
				break
			}
			for i, n := range names {
				if string(name) == n {
					if v, ok := parseInt(value); ok {
						out[i] = v
					}
				}
			}
		}
		return true
	}
	return false
}

// pressure is one PSI line: the share of the last 10 s in which some task
// stalled, and the stalled time in total, in microseconds.
type pressure struct {
	avg10 float64
	total int64
}

// parsePressure reads the "some" line of a /proc/pressure file.
func parsePressure(b []byte) (pressure, bool) {
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		kind, rest := nextField(line)
		if string(kind) != "some" {
			continue
		}
		var p pressure
		var seen int
		for len(rest) > 0 {
			var f []byte
			f, rest = nextField(rest)
			switch {
			case hasPrefix(f, "avg10="):
				if v, ok := parseFloat(f[len("avg10="):]); ok {
					p.avg10, seen = v, seen|1
				}
			case hasPrefix(f, "total="):
				if v, ok := parseInt(f[len("total="):]); ok {
					p.total, seen = v, seen|2
				}
			}
			if len(f) == 0 {
				break
			}
		}
		return p, seen == 3
	}
	return pressure{}, false
}

// parseSchedstat reads a thread's /proc/.../schedstat: time run, time
// waited on a run queue (the run delay), both in nanoseconds.
func parseSchedstat(b []byte) (run, delay int64, ok bool) {
	f, rest := nextField(b)
	run, ok1 := parseInt(f)
	f, _ = nextField(rest)
	delay, ok2 := parseInt(f)
	return run, delay, ok1 && ok2
}

// loadavg is /proc/loadavg: the 1-minute load and the runnable and total
// scheduling entities now.
type loadavg struct {
	load1              float64
	runnable, entities int64
}

// parseLoadavg reads /proc/loadavg, such as "2.65 2.15 2.11 1/132 19830".
func parseLoadavg(b []byte) (loadavg, bool) {
	var l loadavg
	f, rest := nextField(b)
	v, ok := parseFloat(f)
	if !ok {
		return l, false
	}
	l.load1 = v
	_, rest = nextField(rest)
	_, rest = nextField(rest)
	f, _ = nextField(rest)
	for i, c := range f {
		if c == '/' {
			r, ok1 := parseInt(f[:i])
			e, ok2 := parseInt(f[i+1:])
			l.runnable, l.entities = r, e
			return l, ok1 && ok2
		}
	}
	return l, false
}

// parseStatm reads the resident set, in pages, from /proc/self/statm.
func parseStatm(b []byte) (int64, bool) {
	_, rest := nextField(b)
	f, _ := nextField(rest)
	return parseInt(f)
}

// parsePair reads two integers on a line: ip_local_port_range ("32768
// 60999") or cgroup v2 cpu.max ("50000 100000"; "max" for no quota reads as
// -1).
func parsePair(b []byte) (a, c int64, ok bool) {
	f, rest := nextField(b)
	g, _ := nextField(rest)
	if string(f) == "max" {
		a, ok = -1, true
	} else {
		a, ok = parseInt(f)
	}
	c, ok2 := parseInt(g)
	return a, c, ok && ok2
}

// parseOne reads a file holding one integer (cgroup v1 cpu.cfs_quota_us).
func parseOne(b []byte) (int64, bool) {
	f, _ := nextField(b)
	return parseInt(f)
}
