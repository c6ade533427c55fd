//go:build unix && !linux

package procstat

import (
	"syscall"
	"time"
)

// CPU returns the processor time the process has used, user and system,
// all threads together (getrusage(2)); false when it cannot be read.
func CPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
