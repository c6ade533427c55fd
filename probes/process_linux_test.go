package probes

import (
	"os"
	"testing"
	"time"
)

// TestParseProcStatCPU reads utime + stime past a command holding spaces
// and parentheses; a truncated line is not read.
func TestParseProcStatCPU(t *testing.T) {
	for _, tt := range []struct {
		line string
		want int64
		ok   bool
	}{
		{"4242 (scalelab) S 1 4242 4242 0 -1 4194560 1153 0 0 0 37 12 0 0 20 0 9 0 123 1000 200\n", 49, true},
		{"7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 1 1 1\n", 11, true},
		{"7 (x) R 1 7 7", 0, false},
		{"no parenthesis", 0, false},
	} {
		got, ok := parseProcStatCPU([]byte(tt.line))
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q: %d %v, want %d %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

// TestProcessUsageSelf samples this test's own process while it burns
// CPU: the second sample has its CPU near a core, its RSS and run delay
// known; without a cgroup, throttling is unknown.
func TestProcessUsageSelf(t *testing.T) {
	p := NewProcessUsage(os.Getpid(), "", 0)
	first := p.Sample(time.Now())
	if first.CPUKnown || first.RunDelayKnown || first.RSS == 0 {
		t.Fatalf("first sample %+v: want RSS, and no rates yet", first)
	}
	start := time.Now()
	for time.Since(start) < 300*time.Millisecond {
	}
	u := p.Sample(time.Now())
	if !u.CPUKnown || u.CPU < 0.3 || u.CPU > 4 || !u.RunDelayKnown || u.RSS == 0 || u.ThrottledKnown || u.Source != "process" {
		t.Errorf("sample %+v: want CPU about a core, run delay and RSS known, throttling unknown", u)
	}
}

// TestProcessUsageGone: a process that exited has no figures, not zeros.
func TestProcessUsageGone(t *testing.T) {
	p := NewProcessUsage(1<<30, "", 0)
	p.Sample(time.Now())
	if u := p.Sample(time.Now().Add(time.Second)); u.CPUKnown || u.RunDelayKnown || u.RSS != 0 {
		t.Errorf("sample of a process that is not there %+v: want nothing known", u)
	}
}
