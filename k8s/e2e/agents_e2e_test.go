//go:build k8se2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/report"
	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// TestCLIAgentsJob runs the real scalelab binary with --agents 3: it
// starts an Indexed Job whose pods the test kubelet runs as real
// `scalelab agent` processes, drives them through the API server's pod
// proxy, merges their ticks, and deletes the Job and its Secret at the
// end. The agents send to a pod's address (there is no cluster DNS
// here). A dry run prints the objects and creates nothing. Both runs
// give --agent-image, --agent-requests and --agent-limits: the printed
// Job and the one created carry them.
func TestCLIAgentsJob(t *testing.T) {
	t.Parallel()
	a := newApp(t, 2, "v1", fastStart()...)
	live, _ := a.pods(t)
	url := fmt.Sprintf("http://%s:%d/", live[0].Status.PodIP, podPort)

	// The test kubelet runs an agents' pod (by its labels) as an agent
	// whatever its image: the real run uses these too.
	resources := []string{"--agent-image", "scalelab/target:v2",
		"--agent-requests", "cpu=100m,memory=64Mi", "--agent-limits", "cpu=500m,memory=128Mi"}
	dry := a.scalelab(t, append([]string{"--headless", "--json", "--duration", "3s", "--rate", "90", "--agents", "3", "--dry-run", url}, resources...)...)
	if dry.code != 0 || !strings.Contains(dry.stdout, "kind: Job") || !strings.Contains(dry.stdout, "kind: Secret") ||
		!strings.Contains(dry.stdout, "completionMode: Indexed") || !strings.Contains(dry.stdout, "(hidden)") ||
		!strings.Contains(dry.stderr, "no load sent") {
		t.Errorf("dry run: exit %d, stdout:\n%s", dry.code, dry.stdout)
	}
	if dry.code == 0 {
		checkAgentContainer(t, "the dry run's printed Job", printedJob(t, dry.stdout))
	}
	a.noAgentObjects(t, "after the dry run")

	created := a.watchAgentJob()
	run := a.scalelab(t, append([]string{"--headless", "--json", "--duration", "4s", "--rate", "150", "--agents", "3", url}, resources...)...)
	if run.code != 0 {
		t.Fatalf("exit %d", run.code)
	}
	if job := created(); job == nil {
		t.Error("the run's Job was never seen while it ran")
	} else {
		checkAgentContainer(t, "the created Job", job)
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

// printedJob is the Job among the YAML documents a dry run printed.
func printedJob(t *testing.T, out string) *batchv1.Job {
	t.Helper()
	for _, doc := range strings.Split(out, "---\n") {
		var kind metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &kind); err != nil || kind.Kind != "Job" {
			continue
		}
		var j batchv1.Job
		if err := yaml.UnmarshalStrict([]byte(doc), &j); err != nil {
			t.Fatalf("the printed Job: %v\n%s", err, doc)
		}
		return &j
	}
	t.Fatalf("no Job printed:\n%s", out)
	return nil
}

// checkAgentContainer checks that job's agent container has the image
// and the resources TestCLIAgentsJob gives.
func checkAgentContainer(t *testing.T, what string, job *batchv1.Job) {
	t.Helper()
	cs := job.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("%s: %d containers, want 1", what, len(cs))
	}
	c := cs[0]
	r := c.Resources
	if c.Image != "scalelab/target:v2" || r.Requests.Cpu().String() != "100m" || r.Requests.Memory().String() != "64Mi" ||
		r.Limits.Cpu().String() != "500m" || r.Limits.Memory().String() != "128Mi" || len(r.Requests) != 2 || len(r.Limits) != 2 {
		t.Errorf("%s: image %s, requests %s, limits %s: want scalelab/target:v2, cpu=100m,memory=64Mi, cpu=500m,memory=128Mi",
			what, c.Image, quantities(r.Requests), quantities(r.Limits))
	}
}

// quantities is l as NAME=QUANTITY,..., its names in order.
func quantities(l corev1.ResourceList) string {
	var out []string
	for name, q := range l {
		out = append(out, fmt.Sprintf("%s=%s", name, q.String()))
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// watchAgentJob looks for the agents' Job of a run about to start, as
// the API server has it; the function returned stops looking and returns
// the Job seen (nil if none was).
func (a *app) watchAgentJob() func() *batchv1.Job {
	ctx, cancel := context.WithTimeout(runCtx, 90*time.Second)
	seen := make(chan *batchv1.Job, 1)
	go func() {
		defer close(seen)
		sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=agent"}
		for {
			if jobs, err := a.cp.client.BatchV1().Jobs(a.ns).List(ctx, sel); err == nil && len(jobs.Items) > 0 {
				seen <- &jobs.Items[0]
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() *batchv1.Job {
		cancel()
		return <-seen
	}
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

// TestCLIAgentsWithTheScalelabRole runs --agents 2 as a user that has
// only deploy/rbac.yaml's Role scalelab in the namespace: the Role grants
// all that starting, driving and deleting the agents takes.
func TestCLIAgentsWithTheScalelabRole(t *testing.T) {
	t.Parallel()
	a := newApp(t, 2, "v1", fastStart()...)
	ctx, cancel := context.WithTimeout(runCtx, time.Minute)
	defer cancel()
	ap, err := newApplier(a.cp.admin, a.ns)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := readManifest("rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		if _, err := ap.apply(ctx, obj, false); err != nil {
			t.Fatalf("apply rbac.yaml: %v", err)
		}
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "scalelab-user"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "scalelab"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: readOnlyUser}},
	}
	if _, err := a.cp.client.RbacV1().RoleBindings(a.ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c, err := kubernetes.NewForConfig(a.cp.readOnly)
	if err != nil {
		t.Fatal(err)
	}
	waitAllowed(ctx, t, c, authorizationv1.ResourceAttributes{Namespace: a.ns, Verb: "create", Group: "batch", Resource: "jobs"})
	live, _ := a.pods(t)
	url := fmt.Sprintf("http://%s:%d/", live[0].Status.PodIP, podPort)
	run := a.scalelab(t, "--context", "read-only", "--headless", "--json", "--duration", "3s", "--rate", "100", "--agents", "2", url)
	if run.code != 0 {
		t.Fatalf("as Role scalelab: exit %d", run.code)
	}
	for _, l := range strings.Split(run.stderr, "\n") {
		// nodes/proxy is rbac-node-metrics.yaml's ClusterRole, not the Role's
		if strings.Contains(l, "forbidden") && !strings.Contains(l, "nodes/proxy") {
			t.Errorf("as Role scalelab: %s", l)
		}
	}
	var rep struct {
		Requests uint64               `json:"requests"`
		Agents   *report.AgentsResult `json:"agents"`
	}
	if err := json.Unmarshal([]byte(run.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Agents == nil || rep.Agents.Count != 2 || rep.Agents.Lost != 0 || rep.Requests == 0 {
		t.Errorf("%d requests, agents %+v", rep.Requests, rep.Agents)
	}
	a.noAgentObjects(t, "after the run as Role scalelab")
}

// TestCLIAgentsUpgradeZeroErrors: `run --k8s deployment/web --agents 2`
// without a URL: the agents balance over the Deployment's ready
// endpoints, which scalelab follows and pushes to them, through a
// rolling upgrade v1→v2: nothing lost, and the merged by-version split
// shows both versions.
func TestCLIAgentsUpgradeZeroErrors(t *testing.T) {
	t.Parallel()
	a := newApp(t, 3, "v1", replicaOpts()...)
	run := a.scalelab(t, "--headless", "--json", "--duration", "12s", "--rate", "200", "--agents", "2", "--step", "2s:upgrade=v2", "--yes")
	if run.code != 0 {
		t.Fatalf("exit %d\n%s", run.code, run.stderr)
	}
	rep := run.report(t)
	if s := rep.Steps[0]; !s.Completed || s.Errors != 0 {
		t.Errorf("upgrade step: %+v, want completed without errors", s)
	}
	if rep.Requests == 0 || rep.Availability != 1 || len(rep.Errors) != 0 || rep.Status["200"] != rep.Requests {
		t.Errorf("the run lost requests: %d requests, status %v, errors %v", rep.Requests, rep.Status, rep.Errors)
	}
	for _, v := range []string{"v1", "v2"} {
		if vs, ok := rep.ByVersion[v]; !ok || vs.Requests == 0 || vs.Errors != 0 {
			t.Errorf("by_version[%s] = %+v (all: %+v)", v, vs, rep.ByVersion)
		}
	}
	if !strings.Contains(run.stderr, "balanced by the agents") {
		t.Errorf("stderr does not say the agents balance the load:\n%s", run.stderr)
	}
	a.noAgentObjects(t, "after the run")
	t.Logf("agents' upgrade: %d requests, by_version v1 %d, v2 %d", rep.Requests, rep.ByVersion["v1"].Requests, rep.ByVersion["v2"].Requests)
}

// TestCLIAgentsPodDeleted deletes one of three agent pods a couple of
// seconds into the run: the controller reports the agent lost (an event
// line, the summary's agents), its share goes to the two left, the run
// ends with exit 0 and every request it counted answered, and the Job
// and Secret are gone at the end.
func TestCLIAgentsPodDeleted(t *testing.T) {
	t.Parallel()
	a := newApp(t, 2, "v1", fastStart()...)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(runCtx, 60*time.Second)
		defer cancel()
		sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=agent"}
		_ = wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			pods, err := a.cp.client.CoreV1().Pods(a.ns).List(ctx, sel)
			if err != nil || len(pods.Items) < 3 {
				return false, nil
			}
			for _, p := range pods.Items {
				idx := p.Annotations["batch.kubernetes.io/job-completion-index"]
				if idx == "" {
					idx = p.Labels["batch.kubernetes.io/job-completion-index"]
				}
				if idx != "1" || p.Status.PodIP == "" {
					continue
				}
				time.Sleep(3 * time.Second) // into the load
				return true, a.cp.client.CoreV1().Pods(a.ns).Delete(ctx, p.Name, metav1.DeleteOptions{})
			}
			return false, nil
		})
	}()
	run := a.scalelab(t, "--headless", "--json", "--duration", "6s", "--rate", "150", "--agents", "3")
	<-done
	if run.code != 0 {
		t.Fatalf("exit %d\n%s", run.code, run.stderr)
	}
	var rep struct {
		Requests     uint64               `json:"requests"`
		Availability float64              `json:"availability"`
		Agents       *report.AgentsResult `json:"agents"`
	}
	if err := json.Unmarshal([]byte(run.stdout), &rep); err != nil {
		t.Fatalf("the JSON summary: %v\n%s", err, run.stdout)
	}
	if rep.Agents == nil || rep.Agents.Lost != 1 || rep.Agents.Agents[1].State != "lost" || !strings.Contains(run.stderr, "agent 1") {
		t.Fatalf("agents %+v: want agent 1 lost and said so\n%s", rep.Agents, run.stderr)
	}
	if rep.Requests == 0 || rep.Availability != 1 {
		t.Errorf("%d requests, availability %g: want all counted answered", rep.Requests, rep.Availability)
	}
	a.noAgentObjects(t, "after the run")
	t.Logf("agent 1 lost at %.1fs, %.0f requests missing; %d merged", rep.Agents.Agents[1].LostAtS, rep.Agents.Missing, rep.Requests)
}

// TestCLIAgentsRefusedAJob runs --agents 2 as a user that may read the
// Deployment and write Secrets but not create Jobs: the run is refused
// before any load with one line naming the missing verb, and the Secret
// it had created is deleted.
func TestCLIAgentsRefusedAJob(t *testing.T) {
	t.Parallel()
	a := newApp(t, 2, "v1", fastStart()...)
	a.grantView(t)
	ctx, cancel := context.WithTimeout(runCtx, time.Minute)
	defer cancel()
	rbac := a.cp.client.RbacV1()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "scalelab-secrets"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "create", "update", "delete"}}},
	}
	if _, err := rbac.Roles(a.ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "scalelab-secrets"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: readOnlyUser}},
	}
	if _, err := rbac.RoleBindings(a.ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c, err := kubernetes.NewForConfig(a.cp.readOnly)
	if err != nil {
		t.Fatal(err)
	}
	waitAllowed(ctx, t, c, authorizationv1.ResourceAttributes{Namespace: a.ns, Verb: "delete", Resource: "secrets"})
	live, _ := a.pods(t)
	url := fmt.Sprintf("http://%s:%d/", live[0].Status.PodIP, podPort)
	run := a.scalelab(t, "--context", "read-only", "--headless", "--json", "--duration", "3s", "--rate", "100", "--agents", "2", url)
	want := "forbidden: needs create on jobs in namespace " + a.ns
	var refusals []string
	for _, l := range strings.Split(run.stderr, "\n") {
		if strings.Contains(l, "forbidden") {
			refusals = append(refusals, l)
		}
	}
	if run.code == 0 || len(refusals) != 1 || !strings.Contains(refusals[0], want) || strings.Contains(refusals[0], "delete") || run.stdout != "" {
		t.Fatalf("without create on jobs: exit %d, stdout %q, refusals %q; want one line naming %q\n%s", run.code, run.stdout, refusals, want, run.stderr)
	}
	t.Logf("exit %d: %s", run.code, refusals[0])
	a.noAgentObjects(t, "after the refused Job")
}
