package engine

import "time"

// WindowDrain shortens the wait for the requests in flight once a window
// ends by itself (MaxWindowDrain outside tests), so that a test of it runs
// in a second.
func WindowDrain(d time.Duration) Option { return func(c *config) { c.windowDrain = d } }
