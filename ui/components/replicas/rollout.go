package replicas

import (
	"fmt"
	"strings"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/ui/common"
)

// Bounds are the rolling update's bounds ("surge 1 · unavail 0").
func Bounds(s cluster.State) string {
	return fmt.Sprintf("surge %d · unavail %d", s.MaxSurge, s.MaxUnavailable)
}

// Rollout describes the rollout in progress, "" when none is and none is
// paused or stalled: updated, ready (and, on Kubernetes, available) against
// desired, after a STALLED or PAUSED flag.
func Rollout(st *common.Styles, s cluster.State) string { return rollout(st, s, false) }

// RolloutShort is Rollout in fewer cells: updated against desired only.
func RolloutShort(st *common.Styles, s cluster.State) string { return rollout(st, s, true) }

func rollout(st *common.Styles, s cluster.State, short bool) string {
	r := s.Rollout
	if !showRollout(r) {
		return ""
	}
	var flags []string
	if r.Stalled {
		flags = append(flags, st.Bad.Render("STALLED"))
	}
	if r.Paused {
		flags = append(flags, st.Bad.Render("PAUSED"))
	}
	updated, ready := rolledOut(s)
	var text string
	switch {
	case r.Active && short:
		text = fmt.Sprintf("→ %s: %d/%d updated", r.Version, updated, r.Desired)
	case r.Active:
		// The ready and available are of the updated ones.
		of := fmt.Sprintf("%d ready", ready)
		if Kube(s) || r.Available > 0 {
			of += fmt.Sprintf(", %d available", r.Available)
		}
		text = fmt.Sprintf("rollout → %s: %d/%d updated (%s)", r.Version, updated, r.Desired, of)
	case r.Paused && short:
		text = "rollout"
	case r.Paused:
		text = "changes roll out on resume"
	default: // stalled
		text = "rollout → " + r.Version
	}
	return strings.Join(append(flags, st.Warn.Render(text)), " ")
}

// rolledOut counts the replicas of the rollout's version that count
// towards the desired number (updated) and those of them ready, from the
// replicas the panel lists, so that the line and the title (which counts
// the ready replicas of every version) agree; the rollout's own counters
// when no replica is listed.
func rolledOut(s cluster.State) (updated, ready int) {
	if len(s.Replicas) == 0 {
		return s.Rollout.Updated, s.Rollout.Ready
	}
	for _, r := range s.Replicas {
		if r.Version != s.Rollout.Version || !r.Phase.Live() {
			continue
		}
		updated++
		if r.Phase == cluster.Ready {
			ready++
		}
	}
	return updated, ready
}

// showRollout reports a rollout worth a line: in progress, paused or
// stalled.
func showRollout(r cluster.Rollout) bool { return r.Active || r.Paused || r.Stalled }

// waitingPrefix ends the head of kubectl's "Waiting for deployment "demo"
// rollout to finish: ..." messages, which the panel leaves out.
const waitingPrefix = "rollout to finish: "

// Message is the rollout's status in kubectl's words, shortened, while a
// rollout is in progress, paused or stalled; "" otherwise.
func Message(s cluster.State) string {
	r := s.Rollout
	if !showRollout(r) {
		return ""
	}
	msg := strings.Join(strings.Fields(r.Message), " ")
	if _, tail, ok := strings.Cut(msg, waitingPrefix); ok && strings.HasPrefix(msg, "Waiting for ") {
		msg = tail
	}
	return msg
}

// Autoscaler describes an autoscaler in one line: name, bounds, current
// and desired replicas, metrics ("HPA demo 2–10: 3 → 5 · cpu 80%/60%").
func Autoscaler(st *common.Styles, a cluster.Autoscaler) string {
	head := st.Bold.Render("HPA") + " " + a.Name
	counts := fmt.Sprintf("%d–%d: %d → %d", a.Min, a.Max, a.Current, a.Desired)
	if a.Current != a.Desired {
		counts = st.Warn.Render(counts)
	}
	return strings.Join(append([]string{head + " " + counts}, a.Metrics...), " · ")
}
