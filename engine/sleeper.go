package engine

import "time"

// sleeper waits for the open loop's next send. wake ends a sleep early (and
// the next one, if none is under way); it may be called from any goroutine.
type sleeper interface {
	sleep(d time.Duration)
	wake()
	close()
}

// timerSleeper is the portable sleeper on a runtime timer, which the Go
// runtime wakes with millisecond precision when the process is idle.
type timerSleeper struct {
	t *time.Timer
	w chan struct{}
}

func newTimerSleeper() *timerSleeper {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &timerSleeper{t: t, w: make(chan struct{}, 1)}
}

func (s *timerSleeper) sleep(d time.Duration) {
	s.t.Reset(d)
	select {
	case <-s.t.C:
	case <-s.w:
		s.t.Stop()
	}
}

func (s *timerSleeper) wake() {
	select {
	case s.w <- struct{}{}:
	default:
	}
}

func (s *timerSleeper) close() { s.t.Stop() }
