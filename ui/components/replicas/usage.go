package replicas

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/ui/common"
)

// How much of a replica's usage its line shows.
const (
	usageNone  = iota
	usageShort // the main figure (CPU, else busy) and the mark
	usageFull  // every figure measured
)

// usageCell is r's usage as it follows its line at level: CPU in cores
// (of its limit, when it has one), the throttled share of its periods,
// resident memory and run delay for a process replica or a pod; busy
// time and requests in flight for what measures only those (an
// in-process replica). A saturated replica is marked "throttled" or
// "saturated" (probes.JudgeReplica's reasons), in the warning style.
// Figures not measured are not shown; "" for a replica not live or
// without usage.
func usageCell(st *common.Styles, r cluster.Replica, level int) string {
	u := r.Usage
	if u == nil || level == usageNone || !live(r) {
		return ""
	}
	var cells []string
	if u.CPUKnown {
		c := fmt.Sprintf("cpu %4.2f", u.CPU)
		if u.CPULimit > 0 {
			c += "/" + strconv.FormatFloat(u.CPULimit, 'g', 3, 64)
		}
		cells = append(cells, c)
	}
	if u.BusyKnown && (!u.CPUKnown || level == usageFull) {
		cells = append(cells, fmt.Sprintf("busy %4.2f", u.Busy))
	}
	if level == usageFull {
		if u.ThrottledKnown {
			cells = append(cells, fmt.Sprintf("thr %3.0f%%", 100*u.Throttled))
		}
		if u.RSS > 0 {
			cells = append(cells, fmt.Sprintf("%4dM", u.RSS>>20))
		}
		if u.RunDelayKnown {
			cells = append(cells, fmt.Sprintf("rd %4dms", u.RunDelay.Milliseconds()))
		}
		if u.BusyKnown {
			cells = append(cells, fmt.Sprintf("in %2d", u.InFlight))
		}
	}
	var out []string
	if len(cells) > 0 {
		out = append(out, st.Dim.Render(strings.Join(cells, " ")))
	}
	if u.Saturated {
		mark := "saturated"
		for _, why := range u.Reasons {
			if strings.HasPrefix(why, "throttled") {
				mark = "throttled"
			}
		}
		out = append(out, st.Warn.Render(mark))
	}
	if len(out) == 0 {
		return ""
	}
	return " " + strings.Join(out, " ")
}

// usageLevel is the most usage every line of reps shows within width,
// each line being head(r) and its usage.
func usageLevel(st *common.Styles, reps []cluster.Replica, width int, head func(cluster.Replica) string) int {
	for _, level := range []int{usageFull, usageShort} {
		fits := true
		for _, r := range reps {
			if lipgloss.Width(head(r)+usageCell(st, r, level)) > width {
				fits = false
				break
			}
		}
		if fits {
			return level
		}
	}
	return usageNone
}

// kubeUsageColumns sizes the Kubernetes columns of reps and the usage
// they leave room for in width cells. The pods' usage (their main
// figure) comes before the node, the revision and the share: when the
// columns at their widths leave no room for it, they are sized again in
// the width its short form leaves.
func kubeUsageColumns(st *common.Styles, reps []cluster.Replica, width int) (columns, int) {
	c := kubeColumns(reps, width)
	level := usageLevel(st, reps, width, func(r cluster.Replica) string { return kubeLine(st, r, c) })
	if level != usageNone {
		return c, level
	}
	need := 0
	for _, r := range reps {
		need = max(need, lipgloss.Width(usageCell(st, r, usageShort)))
	}
	if need == 0 || width-need < minName {
		return c, level
	}
	narrow := kubeColumns(reps, width-need)
	if l := usageLevel(st, reps, width, func(r cluster.Replica) string { return kubeLine(st, r, narrow) }); l != usageNone {
		return narrow, l
	}
	return c, level
}
