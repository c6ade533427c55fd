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
	var text string
	switch {
	case r.Active && short:
		text = fmt.Sprintf("→ %s: %d/%d updated", r.Version, r.Updated, r.Desired)
	case r.Active:
		text = fmt.Sprintf("rollout → %s: %d/%d updated, %d ready", r.Version, r.Updated, r.Desired, r.Ready)
		if Kube(s) || r.Available > 0 {
			text += fmt.Sprintf(", %d available", r.Available)
		}
	case r.Paused && short:
		text = "rollout"
	case r.Paused:
		text = "changes roll out on resume"
	default: // stalled
		text = "rollout → " + r.Version
	}
	return strings.Join(append(flags, st.Warn.Render(text)), " ")
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
