// Package experiments scripts changes to a cluster while it takes load:
// steps such as "10s:scale=5" or "20s:upgrade=v2" fire at their offsets
// against any cluster.Cluster, and each step is measured from the load
// engine's snapshots while it ran.
//
// A later issue generalises steps into experiment files; the step syntax
// stays.
package experiments
