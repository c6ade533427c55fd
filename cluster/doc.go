// Package cluster is the small contract between the drivers that run a
// service's replicas (the local fleet in package fleet, a Kubernetes
// Deployment later) and their consumers (the step runner, the UI,
// recordings).
//
// A driver implements Cluster. Its operations (scale, rolling upgrade,
// rollback, faults) are asynchronous actions on a real system: each method
// starts the action, then blocks until the action completed or ctx ended,
// while the driver reports progress as timestamped Events. A caller that
// must not block (a terminal UI) runs the method in a goroutine or a
// tea.Cmd; a step runner times it by the call's return. Cancelling ctx
// stops the wait, not the action: the cluster goes on converging, as a
// Deployment does after `kubectl rollout status` is interrupted.
//
// Everything else here is a value type that can be copied, compared in
// tests and stored in recordings.
package cluster
