package residency

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// rssFile is the process's resident file-backed pages, in KiB.
func rssFile(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			return n
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}

// TestReleaseShrinksTheResidentSet releases this test binary's pages:
// its file-backed resident set falls to less than half (what the test
// touches after faults back in), every byte of its code and read-only
// data counted.
func TestReleaseShrinksTheResidentSet(t *testing.T) {
	before := rssFile(t)
	n, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	after := rssFile(t)
	t.Logf("released %d KiB of mappings: file-backed resident set %d KiB → %d KiB", n>>10, before, after)
	if n < 1<<20 {
		t.Errorf("released %d bytes, want the binary's code and data (a MiB or more)", n)
	}
	if after*2 > before {
		t.Errorf("file-backed resident set %d KiB after, %d KiB before: want less than half", after, before)
	}
}
