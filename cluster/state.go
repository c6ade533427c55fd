package cluster

import "time"

// Phase is a replica's lifecycle state.
type Phase string

// The replica phases.
const (
	Starting Phase = "starting" // started, not ready yet
	Ready    Phase = "ready"    // passing its readiness check, taking traffic
	Unready  Phase = "unready"  // running but failing its readiness check
	Draining Phase = "draining" // leaving: no new traffic, finishing what it has
	Stopped  Phase = "stopped"  // exited after draining
	Killed   Phase = "killed"   // died abruptly
)

// Live reports whether a replica in phase p counts towards the desired
// number of replicas (starting, ready or unready).
func (p Phase) Live() bool { return p == Starting || p == Ready || p == Unready }

// Replica is one replica's state.
type Replica struct {
	// Name identifies the replica ("replica-3", a pod name).
	Name string `json:"name"`
	// Version is the version it runs.
	Version string `json:"version"`
	// Phase is its lifecycle state.
	Phase Phase `json:"phase"`
	// Address is where it listens, when known.
	Address string `json:"address,omitempty"`
	// Share is its fraction (0..1) of the requests routed over the driver's
	// last measuring interval; meaningful only when ShareKnown.
	Share      float64 `json:"share"`
	ShareKnown bool    `json:"share_known"`
	// Fault describes a fault injected into it ("hang", "latency 200ms"),
	// empty when none.
	Fault string `json:"fault,omitempty"`
	// FaultSince is when that fault was injected (the time of its
	// FaultInjected event), zero when none or unknown.
	FaultSince time.Time `json:"fault_since,omitzero"`
	// Revision is its ReplicaSet's revision on Kubernetes, empty elsewhere.
	Revision string `json:"revision,omitempty"`
	// Restarts counts its container restarts; Node is where it runs (both
	// Kubernetes only).
	Restarts int    `json:"restarts,omitempty"`
	Node     string `json:"node,omitempty"`
	// InEndpoints reports whether the service's endpoints (the balancer)
	// route to it; meaningful only when EndpointsKnown.
	InEndpoints    bool `json:"in_endpoints,omitempty"`
	EndpointsKnown bool `json:"endpoints_known,omitempty"`
	// Usage is what it used of its machine over the last sampling
	// interval, nil when the driver does not measure it.
	Usage *Usage `json:"usage,omitempty"`
}

// Rollout is the progress of the current (or last) rollout, in the terms
// of `kubectl rollout status`.
type Rollout struct {
	// Active is true while replicas of other versions remain.
	Active bool `json:"active"`
	// Version is the version being rolled out.
	Version string `json:"version"`
	// Updated counts live replicas of Version, Ready those of them ready,
	// Desired the desired number of replicas.
	Updated int `json:"updated"`
	Ready   int `json:"ready"`
	Desired int `json:"desired"`
	// Available counts replicas available for at least the Deployment's
	// minReadySeconds (Kubernetes; equals Ready elsewhere).
	Available int `json:"available,omitempty"`
	// Message is the rollout's status in the words of `kubectl rollout
	// status` ("Waiting for deployment \"demo\" rollout to finish: 1 old
	// replicas are pending termination..."), empty when the driver has none.
	Message string `json:"message,omitempty"`
	// Paused is true while the rollout is paused; Stalled when it exceeded
	// its progress deadline.
	Paused  bool `json:"paused,omitempty"`
	Stalled bool `json:"stalled,omitempty"`
}

// State is a cluster's state at one moment.
type State struct {
	// Desired is the desired number of replicas.
	Desired int `json:"desired"`
	// Version is the version the cluster converges on; Previous the one
	// before it (the rollback target), empty when there is none.
	Version  string `json:"version"`
	Previous string `json:"previous,omitempty"`
	// MaxSurge and MaxUnavailable are the rolling-update bounds.
	MaxSurge       int `json:"max_surge"`
	MaxUnavailable int `json:"max_unavailable"`
	// Replicas lists the replicas, live ones and those that left recently,
	// oldest first.
	Replicas []Replica `json:"replicas"`
	// Rollout is the rollout's progress.
	Rollout Rollout `json:"rollout"`
	// UsageNotes say, one line per source, which usage figures cannot be
	// measured and why ("metrics.k8s.io is not served: no pod CPU or
	// memory"); empty when every source answered.
	UsageNotes []string `json:"usage_notes,omitempty"`
}

// Count returns the number of replicas in phase p.
func (s State) Count(p Phase) int {
	n := 0
	for _, r := range s.Replicas {
		if r.Phase == p {
			n++
		}
	}
	return n
}
