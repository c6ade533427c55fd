//go:build !linux

package fleet

import "syscall"

// childAttr puts a process replica in a process group of its own (a
// Ctrl-C reaches the fleet, which drains it); the end of its standard
// input ends it.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
