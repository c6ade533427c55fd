package procstat

import (
	"testing"
	"time"
)

func TestUsageOfBusyLoop(t *testing.T) {
	from := Take()
	deadline := time.Now().Add(200 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	to := Take()
	if x == 0 {
		t.Fatal("loop did not run")
	}
	if to.CPU <= from.CPU {
		t.Fatalf("CPU time did not grow: %s -> %s", from.CPU, to.CPU)
	}
	// One goroutine spinning keeps at least a part of one processor busy,
	// even on a loaded machine; it cannot use more than all of them.
	if u := Usage(from, to); u <= 0.05 || u > 1.5 {
		t.Fatalf("usage of a busy loop = %.2f, want in (0.05, 1.5]", u)
	}
}

func TestUsageOfEmptyInterval(t *testing.T) {
	s := Take()
	if u := Usage(s, s); u != 0 {
		t.Fatalf("usage over no time = %v, want 0", u)
	}
}
