// Package experiments scripts changes to a cluster while it takes load:
// steps such as "10s:scale=5" or "20s:upgrade=v2" fire at their offsets
// against any cluster.Cluster, and each step is measured from the load
// engine's snapshots while it ran.
//
// Plans (plan*.go, docs/plans.md) generalise steps into experiment
// files: steps with at:, after: and when: triggers, thresholds, a steady
// state, rollbacks and a capacity search; the step syntax stays.
package experiments
