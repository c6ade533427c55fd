package ui

import (
	"strings"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/ui/common"
)

// maxLabel bounds a marker label, in cells.
const maxLabel = 12

// eventEntry turns a cluster event into an event log entry and marker.
func eventEntry(e cluster.Event) common.Entry {
	en := common.Entry{Time: e.Time, Text: e.Message}
	if en.Text == "" {
		en.Text = strings.TrimSpace(string(e.Kind) + " " + e.Replica + " " + e.Version)
	}
	r := shortName(e.Replica)
	switch e.Kind {
	case cluster.ReplicaStarted:
		en.Label = "start " + r
	case cluster.ReplicaReady:
		en.Label = "ready " + r
	case cluster.ReplicaUnready:
		en.Label, en.Level = "unready "+r, common.Warn
	case cluster.ReplicaDraining:
		en.Label = "drain " + r
	case cluster.ReplicaStopped:
		en.Label = "stop " + r
	case cluster.ReplicaKilled:
		en.Label, en.Major, en.Level = "killed "+r, true, common.Warn
	case cluster.ReplicaReplaced:
		en.Label = "new " + r
	case cluster.BalancerAdded:
		en.Label = "lb+" + r
	case cluster.BalancerRemoved:
		en.Label = "lb-" + r
	case cluster.ScaleStarted, cluster.ScaleDone:
		en.Label, en.Major = label(e.Message, "scale"), true
	case cluster.RolloutStarted:
		en.Label, en.Major = label("upgrade "+e.Version, "upgrade"), true
	case cluster.RolloutProgress:
		en.Label = label(e.Message, "rollout")
	case cluster.RolloutDone:
		en.Label, en.Major = label(e.Version+" done", "rolled out"), true
	case cluster.Rollback:
		en.Label, en.Major, en.Level = label("rollback "+e.Version, "rollback"), true, common.Warn
	case cluster.FaultInjected:
		en.Label, en.Major, en.Level = label(e.Message, "fault"), true, common.Warn
	case cluster.Note:
		en.Label, en.Major = "note", true
	case cluster.KubeEvent:
		en.Label, en.Level = kubeLabel(e.Message)
	default:
		en.Label = label(e.Message, string(e.Kind))
	}
	return en
}

// shortName shortens a replica name for a marker: replica-2 is r2, a pod
// name keeps its last 5 characters (its random suffix).
func shortName(name string) string {
	if n, ok := strings.CutPrefix(name, "replica-"); ok {
		return "r" + n
	}
	if r := []rune(name); len(r) > 6 {
		return string(r[len(r)-5:])
	}
	return name
}

// label shortens a message to a marker label, or falls back to def:
// replica-2 becomes r2, a "fault: " prefix goes, and so does what follows
// a colon ("scaled to 5: all ready" is "scaled to 5").
func label(msg, def string) string {
	msg = strings.TrimSpace(strings.ReplaceAll(msg, "replica-", "r"))
	msg = strings.TrimPrefix(msg, "fault: ")
	if head, _, ok := strings.Cut(msg, ": "); ok && head != "" {
		msg = head
	}
	if msg == "" {
		return def
	}
	if r := []rune(msg); len(r) > maxLabel {
		return string(r[:maxLabel-1]) + "…"
	}
	return msg
}

// kubeWarnings are the reasons of Kubernetes Events that report trouble.
var kubeWarnings = map[string]bool{
	"Killing": true, "Unhealthy": true, "BackOff": true, "Failed": true, "FailedCreate": true,
	"FailedKillPod": true, "Evicted": true, "ProgressDeadlineExceeded": true, "FailedScheduling": true,
}

// kubeLabel is the marker of a Kubernetes Event ("k8s Event: Killing
// pod/web-5d9c-x2k4z: Stopping container target"): its reason, and a
// warning level for the reasons that report trouble.
func kubeLabel(msg string) (string, common.Level) {
	rest := strings.TrimPrefix(msg, "k8s Event: ")
	reason, _, _ := strings.Cut(rest, " ")
	level := common.Info
	if kubeWarnings[reason] {
		level = common.Warn
	}
	return label(reason, "k8s event"), level
}
