package procstat

import (
	"time"

	"golang.org/x/sys/unix"
)

// CPU returns the processor time the process has used, all threads
// together, from CLOCK_PROCESS_CPUTIME_ID (precise to the nanosecond: the
// engine compares it over windows of a few milliseconds); false when it
// cannot be read.
func CPU() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
