package session

// Control lets a sink act on its session. A sink is called under the
// fan-out's lock, one call at a time, so it must not call Session.Emit
// from inside Open, Tick, Event or Finish (that would wait for itself):
// it uses the Control its Info gave it instead. The zero Control (a sink
// used outside a session) does nothing; in a replay, Emit hands the
// event to the replay's sinks and Stop does nothing (the recorded frames
// end where the live load did).
type Control struct {
	fan  *fanout
	stop func(reason string)
}

// Emit hands e to every sink: from inside a sink's call, right after that
// call (after the other sinks had the tick or event being delivered),
// in the order emitted; from elsewhere, as Session.Emit does. An event's
// zero Time is now.
func (c Control) Emit(e Event) {
	if c.fan == nil {
		return
	}
	c.fan.emit(stamped(e))
}

// Stop ends the load for the reason given (the first reason is kept, in
// Result.Stopped): the session cancels the load's context, and the run
// ends as an operator's stop does, the requests in flight awaited within
// the drain. It does not block, and may be called from inside a sink's
// call; later calls do nothing.
func (c Control) Stop(reason string) {
	if c.stop == nil {
		return
	}
	c.stop(reason)
}
