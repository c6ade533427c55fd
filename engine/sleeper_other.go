//go:build !linux

package engine

// newSleeper returns the portable sleeper.
func newSleeper() sleeper { return newTimerSleeper() }
