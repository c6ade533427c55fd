package fleet

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/scalelab/scalelab/cluster"
)

var _ cluster.Planned = (*Fleet)(nil)

// replicaPrefix begins every replica's name: replica-1, replica-2, …
const replicaPrefix = "replica-"

// Plan returns the fleet's desired replicas and version (those it starts
// with until it started), the version a rollback returns to, its cap, and
// the check of its replicas' names (replica-N, N from 1).
func (f *Fleet) Plan() cluster.Plan {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.cfg.replicas
	if f.started {
		n = f.desired
	}
	return cluster.Plan{Replicas: n, Version: f.version, Previous: f.previous,
		MaxReplicas: f.cfg.maxReplicas, CheckName: checkReplicaName}
}

// checkReplicaName returns an error when no replica of a fleet can be
// named name: the fleet names them replica-1, replica-2, … in the order it
// starts them.
func checkReplicaName(name string) error {
	id, ok := strings.CutPrefix(name, replicaPrefix)
	if n, err := strconv.Atoi(id); ok && err == nil && n >= 1 && strconv.Itoa(n) == id {
		return nil
	}
	return fmt.Errorf("no replica of the fleet is named %q: they are %s1, %s2, … in the order they start", name, replicaPrefix, replicaPrefix)
}
