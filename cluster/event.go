package cluster

import "time"

// EventKind says what an Event reports.
type EventKind string

// The event kinds. Replica events name the replica; scale, rollout and
// fault events describe the action.
const (
	ReplicaStarted  EventKind = "replica-started"  // a replica process started
	ReplicaReady    EventKind = "replica-ready"    // it passed its readiness check
	ReplicaUnready  EventKind = "replica-unready"  // it failed its readiness check while serving
	ReplicaDraining EventKind = "replica-draining" // it stopped taking new traffic and drains
	ReplicaStopped  EventKind = "replica-stopped"  // it exited after its drain
	ReplicaKilled   EventKind = "replica-killed"   // it died abruptly
	ReplicaReplaced EventKind = "replica-replaced" // a new replica took a dead one's place
	BalancerAdded   EventKind = "balancer-added"   // the balancer routes to the replica
	BalancerRemoved EventKind = "balancer-removed" // the balancer stopped routing to it
	ScaleStarted    EventKind = "scale-started"
	ScaleDone       EventKind = "scale-done"
	RolloutStarted  EventKind = "rollout-started"
	RolloutProgress EventKind = "rollout-progress"
	RolloutDone     EventKind = "rollout-done"
	Rollback        EventKind = "rollback"
	FaultInjected   EventKind = "fault"
	// FaultCleared reports a replica's fault ended by a heal.
	FaultCleared EventKind = "fault-cleared"
	Note         EventKind = "note"
	// KubeEvent is a Kubernetes Event about the Deployment, its
	// ReplicaSets or pods ("k8s Event: Killing pod/demo-5d9c-x2kq: ...").
	KubeEvent EventKind = "k8s-event"
)

// Event is one timestamped thing that happened to the cluster.
type Event struct {
	// Time is when it happened.
	Time time.Time `json:"time"`
	// Kind says what happened.
	Kind EventKind `json:"kind"`
	// Replica names the replica concerned, if any.
	Replica string `json:"replica,omitempty"`
	// Version is the version concerned, if any.
	Version string `json:"version,omitempty"`
	// Message is a short human label, fit for a chart marker and an event
	// log ("replica-2 killed", "rollout v2: 2/3 updated").
	Message string `json:"message"`
}

// String is the event's time of day and message.
func (e Event) String() string {
	return e.Time.Format("15:04:05.000") + " " + e.Message
}
