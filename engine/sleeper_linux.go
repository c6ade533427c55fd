package engine

import (
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// fdSleeper sleeps on a timerfd read through the runtime's poller, which
// wakes on the timer's expiry to the microsecond instead of rounding up to
// the next millisecond as runtime timers do in an idle process.
type fdSleeper struct {
	fd    int
	f     *os.File
	buf   [8]byte
	woken atomic.Bool
}

// newSleeper returns a timerfd sleeper, or the portable one when the kernel
// refuses a timerfd.
func newSleeper() sleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return newTimerSleeper()
	}
	return &fdSleeper{fd: fd, f: os.NewFile(uintptr(fd), "scalelab-pacer")}
}

func (s *fdSleeper) arm(d time.Duration) error {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(max(int64(d), 1))}
	return unix.TimerfdSettime(s.fd, 0, &spec, nil)
}

func (s *fdSleeper) sleep(d time.Duration) {
	if s.woken.Swap(false) {
		return
	}
	if err := s.arm(d); err != nil {
		time.Sleep(d)
		return
	}
	if s.woken.Load() { // woken between the check and the arming
		s.woken.Store(false)
		return
	}
	if _, err := s.f.Read(s.buf[:]); err != nil {
		time.Sleep(d)
	}
	s.woken.Store(false)
}

func (s *fdSleeper) wake() {
	s.woken.Store(true)
	_ = s.arm(1)
}

func (s *fdSleeper) close() { _ = s.f.Close() }
