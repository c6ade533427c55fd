//go:build k8se2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/report"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestCLIAgentsJob runs the real scalelab binary with --agents 3: it
// starts an Indexed Job whose pods the test kubelet runs as real
// `scalelab agent` processes, drives them through the API server's pod
// proxy, merges their ticks, and deletes the Job and its Secret at the
// end. The agents send to a pod's address (there is no cluster DNS
// here). A dry run prints the objects and creates nothing.
func TestCLIAgentsJob(t *testing.T) {
	t.Parallel()
	a := newApp(t, 2, "v1", fastStart()...)
	live, _ := a.pods(t)
	url := fmt.Sprintf("http://%s:%d/", live[0].Status.PodIP, podPort)

	dry := a.scalelab(t, "--headless", "--json", "--duration", "3s", "--rate", "90", "--agents", "3", "--dry-run", url)
	if dry.code != 0 || !strings.Contains(dry.stdout, "kind: Job") || !strings.Contains(dry.stdout, "kind: Secret") ||
		!strings.Contains(dry.stdout, "completionMode: Indexed") || !strings.Contains(dry.stdout, "(hidden)") ||
		!strings.Contains(dry.stderr, "no load sent") {
		t.Errorf("dry run: exit %d, stdout:\n%s", dry.code, dry.stdout)
	}
	a.noAgentObjects(t, "after the dry run")

	run := a.scalelab(t, "--headless", "--json", "--duration", "4s", "--rate", "150", "--agents", "3", url)
	if run.code != 0 {
		t.Fatalf("exit %d", run.code)
	}
	var rep struct {
		Requests     uint64               `json:"requests"`
		Status       map[string]uint64    `json:"status"`
		Availability float64              `json:"availability"`
		Agents       *report.AgentsResult `json:"agents"`
	}
	if err := json.Unmarshal([]byte(run.stdout), &rep); err != nil {
		t.Fatalf("the JSON summary: %v\n%s", err, run.stdout)
	}
	if rep.Agents == nil || rep.Agents.Count != 3 || rep.Agents.Lost != 0 || len(rep.Agents.Agents) != 3 {
		t.Fatalf("agents: %+v, want 3, none lost", rep.Agents)
	}
	var sum uint64
	for _, ag := range rep.Agents.Agents {
		if ag.Requests == 0 || !strings.Contains(ag.Addr, "/proxy") {
			t.Errorf("agent %+v: want requests, through the pod proxy", ag)
		}
		sum += ag.Requests
	}
	if rep.Requests == 0 || sum != rep.Requests || rep.Status["200"] != rep.Requests || rep.Availability != 1 {
		t.Errorf("%d requests (agents' sum %d), status %v, availability %g", rep.Requests, sum, rep.Status, rep.Availability)
	}
	if !strings.Contains(run.stderr, "3 agents ready") || !strings.Contains(run.stderr, "deleted job/scalelab-agents-") {
		t.Errorf("stderr does not say the agents were started and deleted")
	}
	a.noAgentObjects(t, "after the run")
	t.Logf("agents: %d requests, by agent %v", rep.Requests, func() (n []uint64) {
		for _, ag := range rep.Agents.Agents {
			n = append(n, ag.Requests)
		}
		return n
	}())
}

// noAgentObjects checks that no agents' Job or Secret is left in the
// namespace (the Job deleted, the Secret gone with it), within a while.
func (a *app) noAgentObjects(t *testing.T, when string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(runCtx, 30*time.Second)
	defer cancel()
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=agent"}
	for {
		jobs, err := a.cp.client.BatchV1().Jobs(a.ns).List(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		secrets, err := a.cp.client.CoreV1().Secrets(a.ns).List(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs.Items)+len(secrets.Items) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %d jobs, %d secrets of agents left", when, len(jobs.Items), len(secrets.Items))
		case <-time.After(200 * time.Millisecond):
		}
	}
}
