package ui

// request coalesces an operator's repeated requests of one kind (the
// presses of + and -, of ↑ and ↓): each press counts from the last value
// asked, not from the last one the load or the cluster reported, and one
// request is in flight at a time, so that they take effect in the order
// pressed; when the one in flight lands, the latest asked is sent.
type request[T comparable] struct {
	want, sent T
	asking     bool // want is set: presses count from it
	flying     bool // sent is in flight
}

// base is what a press counts from: the last value asked, or now (what
// was reported) when none is pending.
func (r request[T]) base(now T) T {
	if r.asking {
		return r.want
	}
	return now
}

// ask records v as the value wanted and reports whether to send it now
// (nothing in flight).
func (r *request[T]) ask(v T) bool {
	r.want, r.asking = v, true
	if r.flying {
		return false
	}
	r.sent, r.flying = v, true
	return true
}

// inFlight reports whether v is the value in flight.
func (r request[T]) inFlight(v T) bool { return r.flying && r.sent == v }

// landed records that the value in flight took effect (or failed, which
// drops the requests pending) and returns the value to send next, if a
// later one was asked.
func (r *request[T]) landed(failed bool) (T, bool) {
	r.flying = false
	if failed || r.want == r.sent {
		r.asking = false
		var zero T
		return zero, false
	}
	r.sent, r.flying = r.want, true
	return r.want, true
}
