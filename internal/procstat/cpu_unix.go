//go:build unix

package procstat

import (
	"syscall"
	"time"
)

// cpuTime reads the process's user and system time with getrusage(2).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
