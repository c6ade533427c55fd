//go:build !linux

package engine

// rawIO reports that this platform has no raw socket steps: requests are
// written before their answer is read, and connections are used without
// the idle check.
const rawIO = false

// writeRead writes the pending request, then reads.
func (c *wconn) writeRead(p []byte) (int, error) {
	rest := c.pending
	c.pending = nil
	if _, err := c.nc.Write(rest); err != nil {
		return 0, err
	}
	return c.nc.Read(p)
}

func (c *wconn) writeReadStep(uintptr) bool  { return true }
func (c *wconn) peekClosedStep(uintptr) bool { return true }

// peerClosed cannot tell on this platform.
func (c *wconn) peerClosed() bool { return false }
