package cluster

import (
	"fmt"
	"strings"
)

// RolloutStatus is the rollout's status in the words of `kubectl rollout
// status` (kubectl's DeploymentStatusViewer, whose judgement it repeats for
// an observed generation): a one-line message and whether the rollout is
// done. desired is the replicas wanted, updated those of the new version,
// total every replica not yet terminated (old ones pending termination
// included), available those that serve. The local fleet speaks with it;
// the Kubernetes driver asks kubectl itself, and a test there keeps the two
// the same.
func RolloutStatus(name string, desired, updated, total, available int) (msg string, done bool) {
	switch {
	case updated < desired:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...", name, updated, desired), false
	case total > updated:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...", name, total-updated), false
	case available < updated:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...", name, available, updated), false
	}
	return fmt.Sprintf("deployment %q successfully rolled out", name), true
}

// ProgressText shortens a rollout status message for an event: the
// "Waiting for deployment "x" rollout to finish: " prefix goes ("3 out of
// 5 new replicas have been updated...").
func ProgressText(msg string) string {
	if _, rest, ok := strings.Cut(msg, "rollout to finish: "); ok {
		msg = rest
	}
	if msg != "" {
		msg = strings.ToLower(msg[:1]) + msg[1:]
	}
	return msg
}
