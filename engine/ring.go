package engine

import "time"

// queued is a due request waiting for a worker: its intended send offset,
// and the offset when it was queued.
type queued struct{ due, at time.Duration }

// ring is a fixed-size FIFO queue of due requests.
type ring struct {
	buf     []queued
	head, n int
}

func newRing(size int) ring { return ring{buf: make([]queued, size)} }

func (r *ring) len() int { return r.n }

// push adds q at the back; the caller keeps the queue within its size.
func (r *ring) push(q queued) {
	r.buf[(r.head+r.n)%len(r.buf)] = q
	r.n++
}

// front is the oldest request; the queue must not be empty.
func (r *ring) front() queued { return r.buf[r.head] }

// pop removes and returns the oldest request; the queue must not be empty.
func (r *ring) pop() queued {
	q := r.buf[r.head]
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return q
}

func (r *ring) clear() { r.head, r.n = 0, 0 }
