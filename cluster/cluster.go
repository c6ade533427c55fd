package cluster

import (
	"context"
	"errors"
)

// Cluster is a service of replicas that scalelab can change while it takes
// load. Every action method blocks until the action completed (the cluster
// converged on what it asked for) or ctx ended, and returns nil only when
// it completed. Methods may be called concurrently; a later action can
// supersede an earlier one, which then returns an error wrapping
// ErrSuperseded.
type Cluster interface {
	// Scale sets the desired number of replicas and returns when that many
	// ready replicas of the current version serve, and no more.
	Scale(ctx context.Context, replicas int) error
	// Upgrade starts a rolling upgrade to version and returns when every
	// replica runs it and is ready. Upgrading to the current version is a
	// no-op.
	Upgrade(ctx context.Context, version string) error
	// Rollback rolls back to the previous version (also in the middle of a
	// rollout) and returns when every replica runs it and is ready.
	Rollback(ctx context.Context) error
	// Inject applies a fault. It returns once the fault is in place and, for
	// faults that take replicas out (kill, hang), once the cluster has
	// replaced them and is back at its desired state; a bad version returns
	// when its rollout completed.
	Inject(ctx context.Context, f Fault) error
	// State is the cluster's state now.
	State() State
	// Subscribe returns a channel of the events from now on, in order. The
	// channel is closed when ctx ends or the cluster stops; the subscriber
	// must keep reading or cancel ctx.
	Subscribe(ctx context.Context) <-chan Event
}

// Lifecycle is how a cluster's driver starts and stops: Start begins
// watching (and, for a local fleet, serving) and returns once the
// cluster's state is known; Stop ends it within ctx. Events subscribed to
// before Start include the first ones. A session owns the order: subscribe,
// Start, the load, Stop.
type Lifecycle interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// ErrSuperseded is wrapped by the error of an action that a later action
// replaced before it completed (an upgrade interrupted by a rollback, a
// scale by another scale).
var ErrSuperseded = errors.New("superseded by a later action")

// ErrStopped is wrapped by the error of an action on a stopped cluster.
var ErrStopped = errors.New("cluster stopped")
