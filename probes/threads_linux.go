package probes

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// threads sums the run delay of every thread of the process
// (/proc/self/task/*/schedstat): /proc/self/schedstat alone is the main
// thread's. The task directory is listed with getdents into a reused
// buffer and each thread's file kept open, so a sample allocates only when
// a thread appears.
type threads struct {
	dir      string
	fallback procFile
	mainPrev int64
	d        *os.File
	dents    []byte
	tasks    map[int64]*thread
	gen      uint32
}

// thread is one task's schedstat file and its run delay at the previous
// sample.
type thread struct {
	f    procFile
	prev int64
	gen  uint32
}

func newThreads(dir, fallback string) *threads {
	t := &threads{dir: dir, fallback: procFile{path: fallback}, tasks: map[int64]*thread{}}
	if d, err := os.Open(dir); err == nil {
		t.d, t.dents = d, make([]byte, 8192)
	}
	return t
}

// delay is the run delay of the process's threads since the previous
// call; a note says when only the main thread could be read.
func (t *threads) delay(buf *[]byte, baseline bool) (time.Duration, bool, string) {
	if t.d == nil {
		return t.mainOnly(buf, baseline)
	}
	t.gen++
	fd := int(t.d.Fd())
	if _, err := syscall.Seek(fd, 0, 0); err != nil {
		return t.mainOnly(buf, baseline)
	}
	var sum int64
	seen := 0
	for {
		n, err := syscall.Getdents(fd, t.dents)
		if err != nil || n <= 0 {
			break
		}
		for b := t.dents[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				break
			}
			name := b[19:reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			b = b[reclen:]
			tid, ok := parseInt(name)
			if !ok {
				continue
			}
			d, ok := t.task(tid, buf, baseline)
			if ok {
				sum += d
				seen++
			}
		}
	}
	for tid, th := range t.tasks {
		if th.gen != t.gen {
			th.f.close()
			delete(t.tasks, tid)
		}
	}
	if seen == 0 {
		return t.mainOnly(buf, baseline)
	}
	return time.Duration(sum), true, ""
}

// task reads one thread's run delay and returns its increase; a thread
// new since the previous sample counts all of its delay, except in the
// baseline.
func (t *threads) task(tid int64, buf *[]byte, baseline bool) (int64, bool) {
	th := t.tasks[tid]
	if th == nil {
		th = &thread{f: procFile{path: filepath.Join(t.dir, strconv.FormatInt(tid, 10), "schedstat")}}
		t.tasks[tid] = th
	}
	th.gen = t.gen
	b, ok := th.f.read(buf)
	if !ok {
		return 0, false
	}
	_, delay, ok := parseSchedstat(b)
	if !ok {
		return 0, false
	}
	d := delay - th.prev
	th.prev = delay
	if baseline {
		return 0, true
	}
	return d, true
}

// mainOnly reads /proc/self/schedstat, the main thread's run delay, when
// the task directory cannot be listed.
func (t *threads) mainOnly(buf *[]byte, baseline bool) (time.Duration, bool, string) {
	b, ok := t.fallback.read(buf)
	if !ok {
		return 0, false, "not available: no schedstat (kernel without CONFIG_SCHEDSTATS)"
	}
	_, delay, ok := parseSchedstat(b)
	if !ok {
		return 0, false, "not available: schedstat unreadable"
	}
	d := delay - t.mainPrev
	t.mainPrev = delay
	if baseline {
		d = 0
	}
	return time.Duration(d), true, "main thread only"
}

func (t *threads) close() {
	for _, th := range t.tasks {
		th.f.close()
	}
	t.fallback.close()
	if t.d != nil {
		t.d.Close()
	}
}
