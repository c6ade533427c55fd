package residency

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Release hands back the resident pages of the executable's clean
// read-only mappings (cleanSpans) and returns their size in bytes (the
// mappings', resident or not). Each mapping is marked for random access
// (no read-ahead, so that a page faults in alone) and paged out: a page
// the process alone maps leaves its resident set and the page cache, a
// page another process maps too stays. A page the program uses again
// faults back in, from the page cache or the file: the first use of a
// code path costs a read of its pages, once. Writable mappings, and any
// page of the process's own, are never touched. On a kernel without
// MADV_PAGEOUT (before 5.4) the pages are dropped from the process's
// page tables alone (MADV_DONTNEED, which leaves large page-cache folios
// mapped whole on the next use).
func Release() (int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("residency: the executable: %w", err)
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, fmt.Errorf("residency: %w", err)
	}
	spans, err := cleanSpans(f, exe)
	f.Close()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, s := range spans {
		size := s.hi - s.lo
		_ = madvise(s.lo, size, unix.MADV_RANDOM) // an advice: without it, read-ahead
		if err := madvise(s.lo, size, unix.MADV_PAGEOUT); err != nil {
			if err := madvise(s.lo, size, unix.MADV_DONTNEED); err != nil {
				return n, fmt.Errorf("residency: madvise %#x-%#x: %w", s.lo, s.hi, err)
			}
		}
		n += int64(size)
	}
	return n, nil
}

// madvise is madvise(2) on a range of the process's mappings by address
// (unix.Madvise takes a byte slice of memory the Go runtime owns).
func madvise(addr, length uintptr, advice int) error {
	if _, _, e := unix.Syscall(unix.SYS_MADVISE, addr, length, uintptr(advice)); e != 0 {
		return e
	}
	return nil
}
