package fleet

import "syscall"

// childAttr makes a process replica die with the fleet's process even if
// its standard input were somehow kept open, and puts it in a process
// group of its own, so a Ctrl-C at the terminal reaches the fleet (which
// drains it) and not the replica directly.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
