// Package agent runs the load engine under remote control, and drives
// such agents from a controller: load beyond one machine, merged into one
// exact view.
//
// An agent (Server, `scalelab agent`) waits for a run (Spec): its share
// of the load, the target, and a start time shared by every agent of the
// run. It then streams each tick's snapshot, encoded as a recording's
// frame (recordings.AppendSnapshot: exact histograms and counters),
// relative to that start, so that a controller adds the agents' ticks up
// bucket by bucket whatever their clocks. Every request needs the run's
// token (Header); without it the answer is 401 and the agent logs it.
// An agent that loses its controller (no frame stream and no request for
// its orphan timeout) stops its load by itself.
//
// The protocol is HTTP/1.1: JSON for the control requests (Paths) and a
// stream of length-prefixed messages for the frames (Message).
package agent
