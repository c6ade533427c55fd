package session

import (
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/probes/scrape"
)

// Sink consumes a session: its ticks and events, then its result. The
// session calls a sink's methods from one goroutine at a time, in one order
// shared by every sink; a sink must return quickly (it holds up the
// others, and the engine's collector): one that does slow work hands it to
// its own goroutine. A recorded session replays through the same sinks
// (Replay): there Info's Engine and Cluster are nil, and a sink that acts
// on them must do without.
type Sink interface {
	// Open is called once the cluster started and the target is known,
	// before the load starts. An error ends the session before any load.
	Open(Info) error
	// Tick is called with each tick of the load, in order.
	Tick(Tick)
	// Event is called with each event, in order with the ticks.
	Event(Event)
	// Close is called once, with the session's result: after the load
	// ended, or without one (nil) when the session failed before it (also
	// when Open was not called).
	Close(*Result) error
}

// Info describes a session to its sinks as it opens.
type Info struct {
	// Command names the command that runs it ("load", "run", "demo").
	Command string
	// Target is where the load goes.
	Target engine.Target
	// Closed is set for the closed loop (connections), unset for the open
	// loop (a rate).
	Closed bool
	// Window is the sending window, 0 when it lasts until stopped.
	Window time.Duration
	// Cluster is the attached cluster, nil when there is none (and in a
	// replay, whose cluster's states come with the ticks).
	Cluster cluster.Cluster
	// Interval is the snapshot interval.
	Interval time.Duration
	// Engine is the load, for a sink that changes it (the UI's keys);
	// nil in a replay.
	Engine Load
	// Start is when the session opened, just before the load started:
	// what a stream's times count from (a replay: the recording's start,
	// which the live session's was). Zero is when Open is called.
	Start time.Time
	// Control lets the sink emit events and stop the load from inside its
	// calls.
	Control Control
}

// Finisher is a sink that adds to the session's result: Finish is called
// once the load ended and the steps' results are in, before the result
// is summarized (Config.Summarize) and the sinks close, in the sinks'
// order and under the same rules as Tick and Event (the events it emits
// through its Control reach every sink before they close). The
// thresholds' sink puts its final statuses there.
type Finisher interface {
	Finish(*Result)
}

// CountsOnly is a sink that reads no histogram of its ticks' snapshots,
// only their window, gauges and counters: its copy of each tick carries
// every histogram nil (a version's Latency too), which spares a dense
// copy of some 180 KB per histogram and sink that it would never read.
type CountsOnly interface {
	CountsOnly()
}

// Tick is one snapshot interval of the load.
type Tick struct {
	// Snapshot is what the engine measured in the tick. It is the sink's
	// own until its next Tick call (the session reuses it then): a sink
	// that keeps it longer copies it (Clone).
	Snapshot *engine.Snapshot
	// CPU is the process's CPU use over the tick as a share of Procs
	// (GOMAXPROCS) processors; CPUKnown is false when it was not measured.
	CPU      float64
	CPUKnown bool
	Procs    int
	// State is the cluster's state at the tick's end, nil without a
	// cluster. Its Replicas are the sink's own. Autoscaler is its
	// autoscaler's (a cluster.Autoscaled that has one), nil without.
	State      *cluster.State
	Autoscaler *cluster.Autoscaler
}

// Source says where an event came from.
type Source string

// The event sources.
const (
	// FromCluster is a cluster's event; Cluster holds it.
	FromCluster Source = "cluster"
	// FromOperator is an operator's action or note (a rate change, a
	// pause, a failed action), given to Session.Emit.
	FromOperator Source = "operator"
	// FromStep is a scripted step starting or ending, or its fault's
	// effect ending; Step holds its result.
	FromStep Source = "step"
	// FromSession is the session's own: "load-ended" when the load
	// returned (its window, or the stop), before a held session closes.
	FromSession Source = "session"
	// FromJudge is the thresholds' judge (ThresholdSink): a threshold's
	// state changed ("threshold-failed", "threshold-passed"; Threshold
	// holds its status) or an abortOnFail threshold stopped the load
	// ("aborted"; Threshold holds the status that breached).
	FromJudge Source = "judge"
)

// FromRollback (rollbacks.go) is a rollback action's start or end.

// LoadEnded is the kind of the session's event when the load returned.
const LoadEnded = "load-ended"

// Event is one thing that happened in a session.
type Event struct {
	// Time is when it happened.
	Time time.Time
	// Source says where it came from, Kind what it is within its source:
	// a cluster.EventKind, an operator's action ("rate", "pause", "note",
	// "failed", ...), a step's state ("started", "completed", "failed",
	// "effect-ended").
	Source Source
	Kind   string
	// Message is the event's text; Title (optional) a short name of it
	// ("rate 800", "scale 5"), for a mark on a time axis.
	Message string
	Title   string
	// Cluster is the cluster's event (FromCluster).
	Cluster *cluster.Event
	// Step is the step's result (FromStep).
	Step *experiments.Result
	// Threshold is the threshold's status at the change (FromJudge).
	Threshold *analysis.Status
	// Rollback is the rollback action's result (FromRollback).
	Rollback *RollbackResult
	// Scrape is a scrape's reading (FromScrape).
	Scrape *scrape.Reading
	// Generator is a second of the generator's probes (FromGenerator,
	// GeneratorSampled).
	Generator *GeneratorReading
}
