package engine

import (
	"testing"
	"time"
)

// idlePool is an open loop's pool of n idle workers (slots only: reap
// tells a worker to exit through its slot), before its first reap.
func idlePool(n int) *openLoop {
	o := &openLoop{workers: n}
	for i := 0; i < n; i++ {
		o.idle = append(o.idle, &slot{ch: make(chan time.Duration, 1)})
	}
	return o
}

// TestReapIgnoresDipsWhileBehind: a dip of the idle stack to nothing
// while the sender ran behind (the generator short of processor time, its
// answers waiting for it) does not hold off the reap of workers that are
// idle otherwise; a dip while the sender is on time does, since then the
// target held every connection.
func TestReapIgnoresDipsWhileBehind(t *testing.T) {
	for _, c := range []struct {
		name   string
		onTime bool
		left   int // workers after the reap
	}{
		{"dip while behind", false, 600 - (600-idleReserve)/2},
		{"dip on time", true, 600},
	} {
		o := idlePool(600)
		o.reap() // sets the low-water mark to the idle stack
		o.took(0, c.onTime)
		o.reap()
		if o.workers != c.left || len(o.idle) != c.left {
			t.Errorf("%s: %d workers (%d idle) after the reap, want %d", c.name, o.workers, len(o.idle), c.left)
		}
	}
}

// TestReapShrinksToTheReserve: a pool left idle after a burst halves its
// surplus every reap until idleReserve are left, and retires the workers
// at the bottom of the idle stack (those idle longest).
func TestReapShrinksToTheReserve(t *testing.T) {
	o := idlePool(1000)
	top := o.idle[len(o.idle)-1]
	for i := 0; i < 20; i++ {
		o.reap()
	}
	if o.workers > idleReserve+1 || o.workers < idleReserve {
		t.Fatalf("%d workers after 20 idle reaps, want about %d", o.workers, idleReserve)
	}
	if o.idle[len(o.idle)-1] != top {
		t.Fatal("the most recently idle worker was retired")
	}
}
