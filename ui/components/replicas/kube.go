package replicas

import (
	"net"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/ui/common"
)

// Kube reports a state whose replicas carry Kubernetes fields (revision,
// node, restarts, endpoints): the panel then shows them as columns.
func Kube(s cluster.State) bool {
	for _, r := range s.Replicas {
		if r.Revision != "" || r.Node != "" || r.Restarts > 0 || r.EndpointsKnown {
			return true
		}
	}
	return false
}

// Column widths below which a column is left out.
const (
	minName = 6 // "…x2k4z": a pod's random suffix
	minNode = 8
	// prefName is the width a pod's name gets before the node column:
	// its replica set's hash and its own suffix ("…8c6b5-x2k4z").
	prefName = 12
)

// columns are the widths of a Kubernetes replica line's columns (0: left
// out): name, version, revision ("#3"), phase (glyph and word), restarts
// ("↺2"), node, endpoints ("ep✓") and share ("40%"); width is the line's.
type columns struct {
	name, version, revision, phase, restarts, node, endpoints, share int
	width                                                            int
}

// kubeColumns sizes the columns for reps in width cells: each as wide as
// its widest value; when they do not fit, the node, then the revision,
// then the share go, and names and nodes are shortened.
func kubeColumns(reps []cluster.Replica, width int) columns {
	c := columns{width: width}
	var needName, needNode int
	for _, r := range reps {
		needName = max(needName, lipgloss.Width(r.Name))
		c.version = min(max(c.version, lipgloss.Width(r.Version)), 8)
		if r.Revision != "" {
			c.revision = min(max(c.revision, 1+lipgloss.Width(r.Revision)), 5)
		}
		c.phase = max(c.phase, 2+len(r.Phase))
		if r.Restarts > 0 {
			c.restarts = max(c.restarts, 1+len(strconv.Itoa(r.Restarts)))
		}
		needNode = max(needNode, lipgloss.Width(nodeShort(r.Node)))
		if r.EndpointsKnown {
			c.endpoints = 3
		}
		if r.ShareKnown && live(r) {
			c.share = 4
		}
	}
	for _, drop := range []*int{nil, &needNode, &c.revision, &c.share, &c.restarts} {
		if drop != nil {
			*drop = 0
		}
		rest := width - c.fixed()
		if needNode == 0 && rest >= minName {
			c.name, c.node = min(needName, rest), 0
			return c
		}
		if needNode > 0 && rest-1 >= minName+minNode {
			// A pod's name is told by its end: up to prefName cells of
			// it, then the node as much as it needs, then the name again.
			avail := rest - 1
			c.node = max(min(needNode, avail-min(needName, prefName)), minNode)
			c.name = min(needName, avail-c.node)
			return c
		}
	}
	c.name = max(width-c.fixed(), minName)
	return c
}

// fixed is the width of every column but the name and node, with the
// spaces before them.
func (c columns) fixed() int {
	n := 0
	for _, w := range []int{c.version, c.revision, c.phase, c.restarts, c.endpoints, c.share} {
		if w > 0 {
			n += w + 1
		}
	}
	return n
}

// kubeLine renders one Kubernetes replica in columns c, without its
// fault.
func kubeLine(st *common.Styles, r cluster.Replica, c columns) string {
	cells := []string{pad(truncateLeft(r.Name, c.name), c.name), pad(truncate(r.Version, c.version), c.version)}
	if c.revision > 0 {
		rev := ""
		if r.Revision != "" {
			rev = "#" + r.Revision
		}
		cells = append(cells, pad(truncate(rev, c.revision), c.revision))
	}
	cells = append(cells, phaseStyle(st, r.Phase).Render(pad(glyph(r.Phase)+" "+string(r.Phase), c.phase)))
	if c.restarts > 0 {
		rs := ""
		if r.Restarts > 0 {
			rs = st.Warn.Render("↺" + strconv.Itoa(r.Restarts))
		}
		cells = append(cells, pad(rs, c.restarts))
	}
	if c.node > 0 {
		cells = append(cells, pad(truncateLeft(nodeShort(r.Node), c.node), c.node))
	}
	if c.endpoints > 0 {
		cells = append(cells, endpoints(st, r))
	}
	if c.share > 0 && r.ShareKnown && live(r) {
		cells = append(cells, pad(strconv.Itoa(int(r.Share*100+0.5))+"%", -c.share))
	}
	return ansi.Truncate(strings.TrimRight(strings.Join(cells, " "), " "), c.width, "…")
}

// endpoints marks whether the service routes to r: "ep✓" or "ep✗",
// warned when that disagrees with its phase (ready and not routed to, or
// leaving and still routed to); blank when unknown.
func endpoints(st *common.Styles, r cluster.Replica) string {
	if !r.EndpointsKnown {
		return "   "
	}
	mark := "ep✗"
	if r.InEndpoints {
		mark = "ep✓"
	}
	if r.InEndpoints != (r.Phase == cluster.Ready) {
		return st.Warn.Render(mark)
	}
	return st.Dim.Render(mark)
}

// nodeShort drops a node name's domain ("ip-10-0-1-23.ec2.internal" is
// "ip-10-0-1-23"); IP addresses stay whole.
func nodeShort(node string) string {
	if net.ParseIP(node) != nil {
		return node
	}
	if head, _, ok := strings.Cut(node, "."); ok && head != "" {
		return head
	}
	return node
}

// truncateLeft keeps the end of s in n cells: pod and node names differ
// at their end ("…8c6b5-x2k4z").
func truncateLeft(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	return "…" + string(r[len(r)-n+1:])
}

// pad pads s with spaces to n cells, on the left when n is negative.
func pad(s string, n int) string {
	left := n < 0
	if left {
		n = -n
	}
	w := lipgloss.Width(s)
	if w >= n {
		return s
	}
	if left {
		return strings.Repeat(" ", n-w) + s
	}
	return s + strings.Repeat(" ", n-w)
}

// live reports a replica that is counted or still leaving.
func live(r cluster.Replica) bool { return r.Phase.Live() || r.Phase == cluster.Draining }
