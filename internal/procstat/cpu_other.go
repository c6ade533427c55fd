//go:build !unix

package procstat

import "time"

// CPU returns false: the process's processor time is unknown on this
// system.
func CPU() (time.Duration, bool) { return 0, false }
