package engine

import (
	"testing"
	"time"
)

// TestDueBeforeMatchesTheSchedule: the arithmetic count of the requests due
// before a window's close is the one walking the schedule request by
// request gives, for constant rates, ramps, pauses and a rate changed
// mid-plan, at windows on and off a request's time.
func TestDueBeforeMatchesTheSchedule(t *testing.T) {
	plans := map[string]func() *schedule{
		"constant": func() *schedule { return newSchedule(1000, nil) },
		"odd rate": func() *schedule { return newSchedule(333.3, nil) },
		"ramps": func() *schedule {
			return newSchedule(0, []Stage{{time.Second, 500}, {time.Second, 500}, {time.Second, 0}, {time.Second, 0}, {time.Second, 2000}})
		},
		"changed": func() *schedule {
			sc := newSchedule(0, []Stage{{2 * time.Second, 1000}})
			sc.setRate(0.7, 3000)
			return sc
		},
	}
	for name, plan := range plans {
		walked := plan()
		var k uint64
		for _, w := range []time.Duration{0, time.Nanosecond, 1500 * time.Microsecond, 2 * time.Millisecond,
			700 * time.Millisecond, time.Second, 2500 * time.Millisecond, 3 * time.Second, 3500 * time.Millisecond, 5 * time.Second} {
			for toOffset(walked.at(k)) < w {
				k++
			}
			if got := plan().dueBefore(w); got != k {
				t.Errorf("%s: %d due before %s, walking the schedule counts %d", name, got, w, k)
			}
			// On the time of a request: it is not before it.
			if at := toOffset(walked.at(k)); at < 10*time.Second {
				if got := plan().dueBefore(at); got != k {
					t.Errorf("%s: %d due before %s (request %d's time), want %d", name, got, at, k, k)
				}
			}
		}
	}
}

// TestDropUnsentIsArithmetic: the requests a sender never reached are
// counted at once, whatever their number: at MaxRate over an hour's
// window, 36 billion (one at a time, ~140 M a second, that took minutes:
// at an unreachable rate a run did not end).
func TestDropUnsentIsArithmetic(t *testing.T) {
	e, err := New(Target{URL: "http://127.0.0.1:1/"}, Rate(MaxRate), Duration(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	o := &openLoop{e: e, sched: newSchedule(MaxRate, nil), queue: newRing(4)}
	o.queue.push(queued{})
	o.queue.push(queued{})
	o.outstanding.Add(2)
	const sent = 12345
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		o.dropUnsent(sent, time.Hour)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("counting the unsent requests of an hour at MaxRate took over 2s")
	}
	// 3.6e10 due in the hour, sent of them reached, 2 of those still queued.
	if got, want := e.rec.dropped.Load(), uint64(3_600*MaxRate-sent+2); got != want {
		t.Errorf("dropped %d, want %d", got, want)
	}
	if o.queue.len() != 0 || o.outstanding.Load() != 0 {
		t.Errorf("queue %d, outstanding %d after the drop: want both 0", o.queue.len(), o.outstanding.Load())
	}
	t.Logf("counted in %s", time.Since(start))
}
