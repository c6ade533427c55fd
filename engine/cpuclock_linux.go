package engine

import (
	"time"

	"golang.org/x/sys/unix"
)

// processCPU returns the processor time the process has used, all threads
// together.
func processCPU() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
