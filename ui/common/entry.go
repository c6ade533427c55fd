package common

import "time"

// Level grades an Entry.
type Level int

// The levels.
const (
	Info  Level = iota // something happened
	Warn               // something degraded (a replica killed, a fault)
	Error              // an action failed
)

// Entry is one line of the event log and one marker on the charts' time
// axis.
type Entry struct {
	// Time is when it happened.
	Time time.Time
	// Label is a short marker label (a dozen cells at most).
	Label string
	// Text is the event log's line.
	Text string
	// Major entries (operator actions, faults, scaling, rollouts) also draw
	// a line through the charts; the others only a mark on the time axis.
	Major bool
	// Level grades it.
	Level Level
	// Kind names what an operator's entry reports ("rate", "pause",
	// "resume", "note", "failed"), for recordings; empty for cluster events.
	Kind string
}
