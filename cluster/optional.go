package cluster

import (
	"context"
	"math"
	"slices"
)

// The optional interfaces below are what only some drivers have (a
// Kubernetes Deployment has them all; the local fleet pauses, resumes
// and runs canaries, but does not restart or autoscale). Consumers
// discover them with a type assertion and offer their actions only then.

// RolloutPauser pauses and resumes a rollout in progress, as `kubectl
// rollout pause` and `kubectl rollout resume` do.
type RolloutPauser interface {
	// PauseRollout pauses the rollout and returns once it is paused.
	PauseRollout(ctx context.Context) error
	// ResumeRollout resumes it and returns once it is no longer paused
	// (not when the rollout completed).
	ResumeRollout(ctx context.Context) error
}

// Restarter restarts every replica with a rolling restart, as `kubectl
// rollout restart` does, and returns when the restart rolled out.
type Restarter interface {
	Restart(ctx context.Context) error
}

// Autoscaled is implemented by a driver that can show the autoscaler
// targeting its replicas (read-only).
type Autoscaled interface {
	// Autoscaler returns the autoscaler's state, and false when there is
	// none.
	Autoscaler() (Autoscaler, bool)
}

// Autoscaler is a HorizontalPodAutoscaler's state.
type Autoscaler struct {
	// Name is the autoscaler's name.
	Name string `json:"name"`
	// Min and Max bound the replicas; Current and Desired are its view.
	Min     int `json:"min"`
	Max     int `json:"max"`
	Current int `json:"current"`
	Desired int `json:"desired"`
	// Metrics describes each metric as current/target ("cpu 45%/60%").
	Metrics []string `json:"metrics,omitempty"`
}

// FaultLimited is implemented by a driver that supports only some fault
// kinds (a Kubernetes Deployment cannot make a pod hang); a driver without
// it supports them all.
type FaultLimited interface {
	// FaultKinds lists the kinds Inject accepts.
	FaultKinds() []FaultKind
}

// SupportsFault reports whether c accepts faults of kind k.
func SupportsFault(c Cluster, k FaultKind) bool {
	l, ok := c.(FaultLimited)
	return !ok || slices.Contains(l.FaultKinds(), k)
}

// Planned is implemented by a driver whose configuration says, before a
// run, what scripted steps can ask of it (the local fleet: its replicas,
// its cap, its version, how it names replicas), so that a step that could
// never succeed is refused before any load rather than failing in it.
type Planned interface {
	// Plan returns what the driver is now and can become.
	Plan() Plan
}

// Plan is what a driver is at the start of a run and what bounds it.
type Plan struct {
	// Replicas is the desired number of replicas; Version the version they
	// run; Previous the version a rollback returns to ("" when there is
	// none, and a rollback fails).
	Replicas int
	Version  string
	Previous string
	// MaxReplicas bounds a scale (0: no bound known).
	MaxReplicas int
	// CheckName returns what is wrong with a replica name none of the
	// driver's replicas can ever carry, or nil; nil accepts every name.
	CheckName func(name string) error
}

// Canary is implemented by a driver that can run a canary with its own
// rollout: the new version brought up on some replicas beside the old,
// held there while both serve behind the same balancer or Service, then
// promoted or aborted. It needs no extra controller: a rolling upgrade
// paused once the canary's replicas of the new version are ready, as
// `kubectl rollout pause` holds a Deployment.
type Canary interface {
	// StartCanary starts the rolling upgrade to version and returns once
	// exactly replicas replicas of it are ready (1 up to one less than the
	// desired replicas), the others still on the current version, and the
	// rollout is held there (paused). The fleet replaces that many of the
	// old replicas; a Deployment that surges adds them beside its desired
	// count (one that does not surge replaces them), so the canary's share
	// of the requests is what the load measures by version.
	StartCanary(ctx context.Context, version string, replicas int) error
	// PromoteCanary completes the held rollout (resumes it) and returns
	// when every replica runs the canary's version.
	PromoteCanary(ctx context.Context) error
	// AbortCanary ends the canary the other way: every replica back on
	// the version it ran before, returning when they are (a Rollback of a
	// driver holding a canary does the same).
	AbortCanary(ctx context.Context) error
}

// CanaryReplicas is how many of desired replicas a canary takes: replicas
// when it is above 0, else percent of desired rounded up; at least 1.
func CanaryReplicas(desired, replicas int, percent float64) int {
	if replicas > 0 {
		return replicas
	}
	n := int(math.Ceil(float64(desired) * percent / 100))
	return max(n, 1)
}
