package replicas

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/scalelab/scalelab/cluster"
)

// usageFleet is two process replicas, one throttled under its quota, and
// a pod-like in-process one that measures only its busy time.
func usageFleet() cluster.State {
	throttled := &cluster.Usage{Source: "process", CPU: 0.2, CPUKnown: true, CPULimit: 0.2, Throttled: 0.97, ThrottledKnown: true,
		NrThrottled: 26, RSS: 37 << 20, RunDelay: 1906 * time.Millisecond, RunDelayKnown: true, Busy: 1.33, BusyKnown: true, InFlight: 4,
		Saturated: true, Reasons: []string{"throttled 97% of periods", "cpu 0.20 of 0.2 limit"}}
	free := &cluster.Usage{Source: "process", CPU: 0.63, CPUKnown: true, RSS: 37 << 20, RunDelay: 12 * time.Millisecond, RunDelayKnown: true, Busy: 1.41, BusyKnown: true, InFlight: 2}
	inproc := &cluster.Usage{Source: "in-process", Busy: 0.52, BusyKnown: true, InFlight: 3}
	return cluster.State{Replicas: []cluster.Replica{
		{Name: "replica-1", Version: "v1", Phase: cluster.Ready, Share: 0.5, ShareKnown: true, Usage: throttled},
		{Name: "replica-2", Version: "v1", Phase: cluster.Ready, Share: 0.5, ShareKnown: true, Usage: free},
		{Name: "replica-3", Version: "v1", Phase: cluster.Ready, Share: 0, ShareKnown: true, Usage: inproc},
		{Name: "replica-4", Version: "v1", Phase: cluster.Stopped, Usage: free},
	}}
}

// TestUsageColumns: wide, each replica shows what was measured of it (a
// process replica its CPU of its limit, throttled share, RSS, run delay;
// an in-process one its busy time and in flight), the throttled one is
// marked, a stopped one shows no usage; narrower, the main figure and the
// mark stay; narrower still, neither, and no line is ever wider than
// asked.
func TestUsageColumns(t *testing.T) {
	st := styles()
	s := usageFleet()
	wide := ansi.Strip(View(st, s, nil, 10, 100))
	for _, want := range []string{
		"replica-1 v1 ● ready   ███░░  50% cpu 0.20/0.2 busy 1.33 thr  97%   37M rd 1906ms in  4 throttled",
		"replica-2 v1 ● ready   ███░░  50% cpu 0.63 busy 1.41   37M rd   12ms in  2",
		"replica-3 v1 ● ready   ░░░░░   0% busy 0.52 in  3",
	} {
		if !strings.Contains(wide, want) {
			t.Errorf("at 100 cells:\n%s\nwant a line %q", wide, want)
		}
	}
	if strings.Contains(wide, "replica-4 v1 ○ stopped cpu") || strings.Contains(strings.SplitN(wide, "replica-4", 2)[1], "cpu") {
		t.Errorf("at 100 cells:\n%s\nwant no usage on the stopped replica", wide)
	}
	short := ansi.Strip(View(st, s, nil, 10, 60))
	if !strings.Contains(short, "replica-1 v1 ● ready   ███░░  50% cpu 0.20/0.2 throttled") || strings.Contains(short, "rd ") {
		t.Errorf("at 60 cells:\n%s\nwant the CPU and the mark only", short)
	}
	bare := ansi.Strip(View(st, s, nil, 10, 54))
	if !strings.Contains(bare, "replica-1 v1 ● ready    50% cpu 0.20/0.2 throttled") {
		t.Errorf("at 54 cells:\n%s\nwant the CPU and the mark before the share bar", bare)
	}
	if none := ansi.Strip(View(st, s, nil, 10, 40)); strings.Contains(none, "cpu") {
		t.Errorf("at 40 cells:\n%s\nwant no usage", none)
	}
	for w := 40; w <= 120; w++ {
		for _, l := range strings.Split(View(st, s, nil, 10, w), "\n") {
			if lipgloss.Width(l) > w {
				t.Fatalf("at %d cells a line of %d: %q", w, lipgloss.Width(l), ansi.Strip(l))
			}
		}
	}
	if n := Width(st, s, nil); n < lipgloss.Width("replica-1 v1 ● ready    50% cpu 0.20/0.2 busy 1.33 thr  97%   37M rd 1906ms in  4 throttled") {
		t.Errorf("Width %d: want room for the whole usage", n)
	}
}

// TestKubeUsageBeforeTheNode: pods whose lines at their columns' widths
// leave no room for their usage (a 120-column terminal's replicas panel)
// shorten their node and name, or leave the node out, for its main
// figure; wide enough, they keep both whole; no line is wider than asked.
func TestKubeUsageBeforeTheNode(t *testing.T) {
	st := styles()
	busy := &cluster.Usage{Source: "pod", Busy: 0.11, BusyKnown: true, InFlight: 1}
	s := cluster.State{Replicas: []cluster.Replica{
		{Name: "web-db767988c-j4slt", Version: "v1", Revision: "1", Phase: cluster.Ready, Node: "scalelab-e2e-node",
			EndpointsKnown: true, InEndpoints: true, Usage: busy},
		{Name: "web-db767988c-qhmd2", Version: "v1", Revision: "1", Phase: cluster.Ready, Node: "scalelab-e2e-node",
			EndpointsKnown: true, InEndpoints: true, Usage: &cluster.Usage{Source: "pod", BusyKnown: true}},
	}}
	wide := ansi.Strip(View(st, s, nil, 10, 90))
	if !strings.Contains(wide, "scalelab-e2e-node") || !strings.Contains(wide, "busy 0.11 in  1") {
		t.Errorf("at 90 cells:\n%s\nwant the node and the whole usage", wide)
	}
	narrow := ansi.Strip(View(st, s, nil, 10, 56))
	if strings.Contains(narrow, "scalelab-e2e-node") || !strings.Contains(narrow, "busy 0.11") || !strings.Contains(narrow, "busy 0.00") {
		t.Errorf("at 56 cells:\n%s\nwant the busy figures, the node shortened", narrow)
	}
	if tight := ansi.Strip(View(st, s, nil, 10, 44)); !strings.Contains(tight, "busy 0.11") {
		t.Errorf("at 44 cells:\n%s\nwant the busy figure", tight)
	}
	for w := 30; w <= 120; w++ {
		for _, l := range strings.Split(View(st, s, nil, 10, w), "\n") {
			if lipgloss.Width(l) > w {
				t.Fatalf("at %d cells a line of %d: %q", w, lipgloss.Width(l), ansi.Strip(l))
			}
		}
	}
}
