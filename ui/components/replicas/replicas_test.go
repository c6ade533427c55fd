package replicas

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/ui/common"
)

func styles() *common.Styles {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return common.DefaultStyles(r)
}

const gke = "gke-lab-default-pool-6f1c2a9b-k2x7.c.proj.internal"

func pods() []cluster.Replica {
	return []cluster.Replica{
		{Name: "demo-7d9f8c6b5-x2k4z", Version: "v1", Revision: "3", Phase: cluster.Ready, Node: "kind-worker", EndpointsKnown: true, InEndpoints: true, Share: 0.5, ShareKnown: true},
		{Name: "demo-7d9f8c6b5-q8w2n", Version: "v1", Revision: "3", Phase: cluster.Draining, Node: gke, EndpointsKnown: true, Restarts: 12, Share: 0.1, ShareKnown: true},
		{Name: "demo-5c4b7f9d8-h6j3k", Version: "v2", Revision: "4", Phase: cluster.Starting, Node: "10.0.0.7", EndpointsKnown: true, ShareKnown: true},
	}
}

// TestKubeLinesFitEveryWidth renders pods from 20 to 90 cells: no line is
// wider than asked, the pod's suffix always shows, and columns go in the
// order the panel drops them (node first, then revision).
func TestKubeLinesFitEveryWidth(t *testing.T) {
	st := styles()
	s := cluster.State{Desired: 2, Version: "v2", Replicas: pods()}
	for w := 20; w <= 90; w++ {
		c := kubeColumns(pods(), w)
		for _, r := range pods() {
			l := ansi.Strip(kubeLine(st, r, c))
			if ansi.StringWidth(l) > w {
				t.Fatalf("width %d: %q is %d cells", w, l, ansi.StringWidth(l))
			}
			if !strings.Contains(l, r.Name[len(r.Name)-5:]) {
				t.Fatalf("width %d: %q lost the pod's suffix", w, l)
			}
		}
		if c.revision == 0 && c.node > 0 {
			t.Fatalf("width %d: node kept, revision dropped: the node goes first: %+v", w, c)
		}
		body := ansi.Strip(View(st, s, nil, 10, w))
		for _, l := range strings.Split(body, "\n")[1:] {
			if ansi.StringWidth(l) > w {
				t.Fatalf("width %d: View line %q too wide", w, l)
			}
		}
	}
	wide := ansi.Strip(kubeLine(st, pods()[1], kubeColumns(pods(), 90)))
	for _, want := range []string{"demo-7d9f8c6b5-q8w2n", "v1", "#3", "◌ draining", "↺12", "gke-lab-default-pool-6f1c2a9b-k2x7 ", "ep✗", "10%"} {
		if !strings.Contains(wide, want) {
			t.Errorf("at 90 cells %q lacks %q", wide, want)
		}
	}
	mid := ansi.Strip(kubeLine(st, pods()[1], kubeColumns(pods(), 56)))
	if !strings.Contains(mid, "…6f1c2a9b-k2x7") && !strings.Contains(mid, "…f1c2a9b-k2x7") {
		t.Errorf("at 56 cells the node keeps its end: %q", mid)
	}
}

func TestNodeShortAndTruncateLeft(t *testing.T) {
	for in, want := range map[string]string{
		"ip-10-0-1-23.ec2.internal": "ip-10-0-1-23",
		"kind-worker":               "kind-worker",
		"10.0.0.7":                  "10.0.0.7",
		"fd00::1":                   "fd00::1",
		".odd":                      ".odd",
	} {
		if got := nodeShort(in); got != want {
			t.Errorf("nodeShort(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{{"kind-worker2", 20, "kind-worker2"}, {"kind-worker2", 8, "…worker2"}, {"abc", 1, "…"}} {
		if got := truncateLeft(tc.in, tc.n); got != tc.want {
			t.Errorf("truncateLeft(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestRolloutLinesAndMessage(t *testing.T) {
	st := styles()
	s := cluster.State{Replicas: pods(), Rollout: cluster.Rollout{Active: true, Version: "v2", Updated: 1, Ready: 0, Available: 0, Desired: 2,
		Message: "Waiting for deployment \"demo\" rollout to finish: 1 old replicas are pending termination...\n"}}
	if got := ansi.Strip(Rollout(st, s)); got != "rollout → v2: 1/2 updated (0 ready, 0 available)" {
		t.Errorf("Rollout = %q", got)
	}
	if got := Message(s); got != "1 old replicas are pending termination..." {
		t.Errorf("Message = %q", got)
	}
	s.Rollout.Stalled, s.Rollout.Paused = true, true
	s.Rollout.Message = `deployment "demo" exceeded its progress deadline`
	if got := ansi.Strip(RolloutShort(st, s)); got != "STALLED PAUSED → v2: 1/2 updated" {
		t.Errorf("RolloutShort = %q", got)
	}
	if got := Message(s); got != s.Rollout.Message {
		t.Errorf("a stalled rollout's message must stay whole: %q", got)
	}
	done := cluster.State{Rollout: cluster.Rollout{Version: "v2", Message: `deployment "demo" successfully rolled out`}}
	if Rollout(st, done) != "" || Message(done) != "" || HeadRows(done, false) != 0 {
		t.Error("a finished rollout needs no line")
	}
	paused := cluster.State{Rollout: cluster.Rollout{Paused: true}}
	if got := ansi.Strip(Rollout(st, paused)); got != "PAUSED changes roll out on resume" {
		t.Errorf("paused without a rollout: %q", got)
	}
	fleet := cluster.State{Rollout: cluster.Rollout{Active: true, Version: "v2", Updated: 2, Ready: 1, Desired: 3}}
	if got := ansi.Strip(Rollout(st, fleet)); got != "rollout → v2: 2/3 updated (1 ready)" {
		t.Errorf("the local fleet's rollout line changed: %q", got)
	}
	// The title and the line count the same replicas, whatever the
	// rollout's counters (read at another moment) say.
	var reps []cluster.Replica
	for i := range 5 {
		reps = append(reps, cluster.Replica{Name: fmt.Sprintf("replica-%d", i+6), Version: "v2", Phase: cluster.Ready})
	}
	reps = append(reps, cluster.Replica{Name: "replica-1", Version: "v1", Phase: cluster.Stopped})
	now := cluster.State{Desired: 5, Version: "v2", Replicas: reps, Rollout: cluster.Rollout{Active: true, Version: "v2", Updated: 5, Ready: 4, Desired: 5}}
	if title, line := Title(now), ansi.Strip(Rollout(st, now)); title != "Replicas 5/5 ready · v2" || line != "rollout → v2: 5/5 updated (5 ready)" {
		t.Errorf("title %q and line %q must agree", title, line)
	}
	a := cluster.Autoscaler{Name: "demo", Min: 2, Max: 10, Current: 3, Desired: 5, Metrics: []string{"cpu 80%/60%", "rps 120/100"}}
	if got := ansi.Strip(Autoscaler(st, a)); got != "HPA demo 2–10: 3 → 5 · cpu 80%/60% · rps 120/100" {
		t.Errorf("Autoscaler = %q", got)
	}
	if HeadRows(s, true) != 3 {
		t.Errorf("HeadRows = %d, want 3", HeadRows(s, true))
	}
}

// TestFleetLinesUnchanged checks that replicas without Kubernetes fields
// keep the local fleet's columns.
func TestFleetLinesUnchanged(t *testing.T) {
	st := styles()
	s := cluster.State{Replicas: []cluster.Replica{{Name: "replica-1", Version: "v1", Phase: cluster.Ready, Share: 1, ShareKnown: true}}}
	if Kube(s) {
		t.Fatal("a fleet replica is not a pod")
	}
	got := ansi.Strip(View(st, s, nil, 5, 60))
	if want := "replica-1 v1 ● ready █████ 100%"; got != want {
		t.Errorf("fleet line %q, want %q", got, want)
	}
}

// faulty is a local fleet mid-rollout whose replicas carry faults.
func faulty() cluster.State {
	return cluster.State{Desired: 5, Version: "v2", Previous: "v1", MaxSurge: 1,
		Replicas: []cluster.Replica{
			{Name: "replica-6", Version: "v2", Phase: cluster.Ready, Share: 0.2, ShareKnown: true, Fault: "latency 5ms..50ms"},
			{Name: "replica-8", Version: "v2", Phase: cluster.Ready, Share: 0.2, ShareKnown: true, Fault: "errors 30%"},
			{Name: "replica-10", Version: "v2", Phase: cluster.Ready, Share: 0.2, ShareKnown: true},
			{Name: "replica-11", Version: "v2", Phase: cluster.Starting, ShareKnown: true},
			{Name: "replica-7", Version: "v1", Phase: cluster.Killed},
		}}
}

// TestFleetNamesAndFaultsWhole renders a fleet with faults in the widths
// the panel gets from 100 to 120 columns: every line fits, every replica
// shown has its whole name, version, phase and share, and its fault whole
// on its line or the next.
func TestFleetNamesAndFaultsWhole(t *testing.T) {
	st := styles()
	s := faulty()
	for w := 30; w <= 70; w++ {
		body := ansi.Strip(View(st, s, nil, 12, w))
		lines := strings.Split(body, "\n")
		for _, l := range lines {
			if ansi.StringWidth(l) > w {
				t.Fatalf("width %d: %q is %d cells", w, l, ansi.StringWidth(l))
			}
		}
		for _, r := range s.Replicas {
			i := slicesIndex(lines, func(l string) bool { return strings.HasPrefix(l, r.Name+" ") })
			if i < 0 {
				t.Fatalf("width %d: no line for %s:\n%s", w, r.Name, body)
			}
			fields := strings.Fields(lines[i])
			if fields[1] != r.Version || fields[3] != string(r.Phase) {
				t.Errorf("width %d: %q lacks version or phase", w, lines[i])
			}
			if r.ShareKnown && !strings.Contains(lines[i], fmt.Sprintf("%.0f%%", r.Share*100)) {
				t.Errorf("width %d: %q lacks its share", w, lines[i])
			}
			if r.Fault == "" {
				continue
			}
			next := ""
			if i+1 < len(lines) {
				next = lines[i+1]
			}
			if !strings.HasSuffix(lines[i], " "+r.Fault) && strings.TrimSpace(next) != "↳ "+r.Fault {
				t.Errorf("width %d: the fault %q of %s is not whole:\n%s", w, r.Fault, r.Name, body)
			}
		}
	}
	if got := ansi.Strip(View(st, s, nil, 12, 60)); !strings.Contains(got, "replica-6  v2 ● ready    █░░░░  20% latency 5ms..50ms") {
		t.Errorf("at 60 cells the fault follows its replica:\n%s", got)
	}
}

// TestKubeFaultWhole checks that a pod's fault is never cut: after its
// columns when it fits, on the next line when not.
func TestKubeFaultWhole(t *testing.T) {
	st := styles()
	reps := pods()
	reps[0].Fault = "latency 5ms..50ms"
	s := cluster.State{Desired: 2, Version: "v2", Replicas: reps}
	for w := 30; w <= 90; w++ {
		body := ansi.Strip(View(st, s, nil, 10, w))
		if !strings.Contains(body, " "+reps[0].Fault) {
			t.Fatalf("width %d: the fault is cut:\n%s", w, body)
		}
		for _, l := range strings.Split(body, "\n") {
			if ansi.StringWidth(l) > w {
				t.Fatalf("width %d: %q too wide", w, l)
			}
		}
	}
}

// TestRowsWithWrappedFaults checks that faults on their own lines count
// against the rows: the last row says how many replicas are left out.
func TestRowsWithWrappedFaults(t *testing.T) {
	st := styles()
	body := ansi.Strip(View(st, faulty(), nil, 5, 30))
	want := "replica-6  v2 ● ready     20%\n           ↳ latency 5ms..50ms\nreplica-8  v2 ● ready     20%\n           ↳ errors 30%\n… 3 more"
	if body != want {
		t.Errorf("got\n%s", body)
	}
}

func slicesIndex(s []string, f func(string) bool) int {
	for i, v := range s {
		if f(v) {
			return i
		}
	}
	return -1
}
