package fleet

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestSweepStaleCgroups: the folders a fleet killed before its Stop left
// (scalelab-PID-N of a PID that does not run, with its replicas'
// cgroups) are removed when a fleet makes its own; a live fleet's folder
// and anything not named so stay.
func TestSweepStaleCgroups(t *testing.T) {
	parent := t.TempDir()
	gone := 4194000 // below the kernel's pid_max, and checked not running
	for exists(filepath.Join("/proc", strconv.Itoa(gone))) {
		gone++
	}
	stale := filepath.Join(parent, fmt.Sprintf("scalelab-%d-3", gone))
	live := filepath.Join(parent, fmt.Sprintf("scalelab-%d-1", os.Getpid()))
	for _, d := range []string{filepath.Join(stale, "replica-1"), filepath.Join(stale, "replica-2"), live,
		filepath.Join(parent, "scalelab-x-1"), filepath.Join(parent, "system.slice")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sweepStale(parent)
	if exists(stale) {
		t.Errorf("%s left: its fleet's process %d does not run", stale, gone)
	}
	for _, d := range []string{live, filepath.Join(parent, "scalelab-x-1"), filepath.Join(parent, "system.slice")} {
		if !exists(d) {
			t.Errorf("%s removed: want it kept", d)
		}
	}
	for _, c := range []struct {
		name string
		pid  int
		ok   bool
	}{
		{"scalelab-123-4", 123, true},
		{"scalelab-123", 0, false},
		{"scalelab-0-1", 0, false},
		{"scalelab-12a-1", 0, false},
		{"scalelab-12-b", 0, false},
		{"other-123-4", 0, false},
	} {
		if pid, ok := stalePID(c.name); pid != c.pid || ok != c.ok {
			t.Errorf("stalePID(%q) = %d, %v; want %d, %v", c.name, pid, ok, c.pid, c.ok)
		}
	}
}
