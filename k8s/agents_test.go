package k8s

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
)

var testAPIServer = &rest.Config{Host: "https://api.example:6443"}

// agentPod is pod index of a Job's pods, labelled as the template says,
// ready or not (then its container waiting for reason).
func agentPod(job *batchv1.Job, index int, ready bool, reason string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d-x%d", job.Name, index, index), Namespace: job.Namespace,
			Labels:      job.Spec.Template.Labels,
			Annotations: map[string]string{batchv1.JobCompletionIndexAnnotation: fmt.Sprint(index)}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	}
	if !ready {
		p.Status.Phase = corev1.PodPending
		p.Status.Conditions[0].Status, p.Status.Conditions[0].Reason = corev1.ConditionFalse, "ContainersNotReady"
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "agent", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}}
	}
	return p
}

// runJobs makes the fake clientset play the Job controller: a Job
// created gets a UID and its pods, ready(i) saying whether pod i is ready
// (with its container waiting for ImagePullBackOff if not).
func runJobs(c *fake.Clientset, ready func(i int) bool) {
	c.PrependReactor("create", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		job := a.(k8stesting.CreateAction).GetObject().(*batchv1.Job)
		job.UID = types.UID("uid-" + job.Name)
		for i := range int(*job.Spec.Completions) {
			if err := c.Tracker().Add(agentPod(job, i, ready(i), "ImagePullBackOff")); err != nil {
				return true, nil, err
			}
		}
		return false, nil, nil
	})
}

func TestStartAgentsCreatesAnIndexedJobAndItsSecret(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	runJobs(c, func(int) bool { return true })
	a, err := StartAgents(ctx, c, testAPIServer, AgentsOptions{Namespace: testNS, Count: 3, Token: "tok",
		RequestsCPU: "500m", LimitsMemory: "256Mi", Labels: map[string]string{"team": "perf"}, ActiveDeadline: 90500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	job, err := c.BatchV1().Jobs(testNS).Get(ctx, a.Job(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := job.Spec
	if *s.CompletionMode != batchv1.IndexedCompletion || *s.Completions != 3 || *s.Parallelism != 3 || s.BackoffLimit != nil || *s.BackoffLimitPerIndex != 0 || *s.MaxFailedIndexes != 3 || *s.TTLSecondsAfterFinished != AgentsTTL {
		t.Errorf("job spec: mode %s completions %d parallelism %d backoffLimit %v per index %v ttl %d", *s.CompletionMode, *s.Completions, *s.Parallelism, s.BackoffLimit, s.BackoffLimitPerIndex, *s.TTLSecondsAfterFinished)
	}
	if s.ActiveDeadlineSeconds == nil || *s.ActiveDeadlineSeconds != 91 {
		t.Errorf("activeDeadlineSeconds %v, want 91", s.ActiveDeadlineSeconds)
	}
	run := job.Labels[LabelRun]
	if !strings.HasPrefix(job.Name, "scalelab-agents-") || run == "" || !strings.HasSuffix(job.Name, run) {
		t.Errorf("job %s, run label %q: want scalelab-agents-<run>", job.Name, run)
	}
	for _, l := range []map[string]string{job.Labels, s.Template.Labels} {
		if l["app.kubernetes.io/name"] != "scalelab" || l["app.kubernetes.io/component"] != "agent" || l[LabelRun] != run || l["team"] != "perf" {
			t.Errorf("labels %v", l)
		}
	}
	ps := s.Template.Spec
	if len(ps.TopologySpreadConstraints) != 1 || ps.TopologySpreadConstraints[0].TopologyKey != "kubernetes.io/hostname" ||
		ps.TopologySpreadConstraints[0].WhenUnsatisfiable != corev1.ScheduleAnyway ||
		ps.TopologySpreadConstraints[0].LabelSelector.MatchLabels[LabelRun] != run {
		t.Errorf("spread: %+v", ps.TopologySpreadConstraints)
	}
	ctr := ps.Containers[0]
	wantCmd := []string{"scalelab", "agent", "--listen", "0.0.0.0:7001", "--listen-any", "--token-file", "/etc/scalelab-agent/token"}
	if !slices.Equal(ctr.Command, wantCmd) || ctr.Image != DefaultAgentImage {
		t.Errorf("container %s %q", ctr.Image, ctr.Command)
	}
	if ctr.ReadinessProbe == nil || ctr.ReadinessProbe.TCPSocket == nil || ctr.ReadinessProbe.TCPSocket.Port.IntValue() != 7001 {
		t.Errorf("readiness probe %+v: want a TCP socket on 7001", ctr.ReadinessProbe)
	}
	if ctr.Resources.Requests.Cpu().String() != "500m" || ctr.Resources.Limits.Memory().String() != "256Mi" {
		t.Errorf("resources %+v", ctr.Resources)
	}
	if len(ctr.VolumeMounts) != 1 || ctr.VolumeMounts[0].MountPath != "/etc/scalelab-agent" || !ctr.VolumeMounts[0].ReadOnly ||
		len(ps.Volumes) != 1 || ps.Volumes[0].Secret == nil || ps.Volumes[0].Secret.SecretName != job.Name {
		t.Errorf("mounts %+v volumes %+v", ctr.VolumeMounts, ps.Volumes)
	}
	sec, err := c.CoreV1().Secrets(testNS).Get(ctx, job.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(sec.Data["token"]) != "tok" || sec.Labels[LabelRun] != run {
		t.Errorf("secret data %q labels %v", sec.Data, sec.Labels)
	}
	if len(sec.OwnerReferences) != 1 || sec.OwnerReferences[0].Kind != "Job" || sec.OwnerReferences[0].Name != job.Name || sec.OwnerReferences[0].UID != job.UID {
		t.Errorf("secret owners %+v: want job/%s (%s)", sec.OwnerReferences, job.Name, job.UID)
	}
	wantPods := []string{job.Name + "-0-x0", job.Name + "-1-x1", job.Name + "-2-x2"}
	if !slices.Equal(a.Pods(), wantPods) {
		t.Errorf("pods %v, want %v", a.Pods(), wantPods)
	}
	if want := "https://api.example:6443/api/v1/namespaces/ns/pods/" + wantPods[1] + ":7001/proxy"; a.Addrs()[1] != want {
		t.Errorf("addr %s, want %s", a.Addrs()[1], want)
	}
	if a.HTTP() == nil || a.Token() != "tok" {
		t.Errorf("http %v token %q", a.HTTP(), a.Token())
	}

	if err := a.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BatchV1().Jobs(testNS).Get(ctx, job.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("job after Delete: %v", err)
	}
	if _, err := c.CoreV1().Secrets(testNS).Get(ctx, job.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("secret after Delete: %v", err)
	}
	var policy *metav1.DeletionPropagation
	for _, act := range c.Actions() {
		if d, ok := act.(k8stesting.DeleteAction); ok && act.GetResource().Resource == "jobs" {
			policy = d.GetDeleteOptions().PropagationPolicy
		}
	}
	if policy == nil || *policy != metav1.DeletePropagationBackground {
		t.Errorf("job deleted with propagation %v, want Background", policy)
	}
}

func TestStartAgentsRandomTokenAndRunID(t *testing.T) {
	c := fake.NewClientset()
	runJobs(c, func(int) bool { return true })
	a, err := StartAgents(context.Background(), c, testAPIServer, AgentsOptions{Namespace: testNS, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := StartAgents(context.Background(), c, testAPIServer, AgentsOptions{Namespace: testNS, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Token()) != 32 || a.Token() == b.Token() || a.Job() == b.Job() {
		t.Errorf("tokens %q %q, jobs %s %s: want 32 random hex digits and a name each", a.Token(), b.Token(), a.Job(), b.Job())
	}
}

func TestStartAgentsDryRunCreatesNothing(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	var dry []string
	c.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ca := a.(k8stesting.CreateActionImpl)
		if !slices.Equal(ca.CreateOptions.DryRun, []string{metav1.DryRunAll}) {
			return false, nil, nil
		}
		dry = append(dry, a.GetResource().Resource)
		return true, ca.GetObject(), nil // the API server answers, stores nothing
	})
	a, err := StartAgents(ctx, c, testAPIServer, AgentsOptions{Namespace: testNS, Count: 2, Token: "tok", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dry, []string{"secrets", "jobs"}) {
		t.Errorf("dry-run creates %v, want secrets, jobs", dry)
	}
	for _, act := range c.Actions() {
		if act.GetVerb() != "create" {
			t.Errorf("dry run sent %s %s", act.GetVerb(), act.GetResource().Resource)
		}
	}
	jobs, _ := c.BatchV1().Jobs(testNS).List(ctx, metav1.ListOptions{})
	secrets, _ := c.CoreV1().Secrets(testNS).List(ctx, metav1.ListOptions{})
	if len(jobs.Items)+len(secrets.Items) != 0 {
		t.Errorf("dry run left %d jobs, %d secrets", len(jobs.Items), len(secrets.Items))
	}
	s, j := a.Objects()
	if *j.Spec.Completions != 2 || j.Kind != "Job" || s.Kind != "Secret" || len(s.OwnerReferences) != 1 || s.OwnerReferences[0].Name != j.Name {
		t.Errorf("objects: job %s completions %d, secret %s owners %+v", j.Kind, *j.Spec.Completions, s.Kind, s.OwnerReferences)
	}
	if len(a.Addrs()) != 0 {
		t.Errorf("dry run addrs %v", a.Addrs())
	}
}

func TestStartAgentsRefusesAboveTheCap(t *testing.T) {
	c := fake.NewClientset()
	for _, tc := range []struct {
		o    AgentsOptions
		want string
	}{
		{AgentsOptions{Namespace: testNS, Count: 11}, "agents: --agents 11 refused: above the cap of 10 (--max-agents)"},
		{AgentsOptions{Namespace: testNS, Count: 5, MaxAgents: 4}, "agents: --agents 5 refused: above the cap of 4 (--max-agents)"},
		{AgentsOptions{Namespace: testNS, Count: 0}, "agents: --agents 0: want at least 1"},
		{AgentsOptions{Namespace: testNS, Count: 1, LimitsCPU: "lots"}, `agents: limits cpu "lots": not a quantity (500m, 256Mi)`},
		{AgentsOptions{Namespace: testNS, Count: 1, RequestsMemory: "-1Mi"}, `agents: requests memory "-1Mi": negative`},
		{AgentsOptions{Namespace: testNS, Count: 1, RequestsCPU: "2", LimitsCPU: "1500m"},
			"agents: requests cpu 2 above limits cpu 1500m: Kubernetes refuses a request above its limit"},
		{AgentsOptions{Namespace: testNS, Count: 1, RequestsMemory: "1Gi", LimitsMemory: "512Mi"},
			"agents: requests memory 1Gi above limits memory 512Mi: Kubernetes refuses a request above its limit"},
	} {
		_, err := StartAgents(context.Background(), c, testAPIServer, tc.o)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%+v: %v, want %s", tc.o, err, tc.want)
		}
	}
	_, err := StartAgents(context.Background(), c, testAPIServer, AgentsOptions{Namespace: testNS, Count: 1, RequestsCPU: "lots"})
	if !errors.Is(err, resource.ErrFormatWrong) {
		t.Errorf("a quantity refused: %v, want resource.ErrFormatWrong wrapped", err)
	}
	if n := len(c.Actions()); n != 0 {
		t.Errorf("refused starts sent %d requests", n)
	}
}

func TestStartAgentsTimeoutNamesThePodsNotReady(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	runJobs(c, func(i int) bool { return i == 0 })
	start := time.Now()
	_, err := StartAgents(ctx, c, testAPIServer, AgentsOptions{Namespace: testNS, Count: 3, ReadyTimeout: 1500 * time.Millisecond})
	if err == nil {
		t.Fatal("started with 1 of 3 pods ready")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s for a 1.5s timeout", took)
	}
	msg := err.Error()
	t.Log(msg)
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "timed out waiting for the condition on job/scalelab-agents-") ||
		!strings.Contains(msg, "1/3 pods ready after 1.5s") ||
		!strings.Contains(msg, "-1-x1 Pending (ImagePullBackOff)") || !strings.Contains(msg, "-2-x2 Pending (ImagePullBackOff)") ||
		strings.Contains(msg, "-0-x0") {
		t.Errorf("timeout: %q", msg)
	}
	jobs, _ := c.BatchV1().Jobs(testNS).List(ctx, metav1.ListOptions{})
	secrets, _ := c.CoreV1().Secrets(testNS).List(ctx, metav1.ListOptions{})
	if len(jobs.Items)+len(secrets.Items) != 0 {
		t.Errorf("after the timeout %d jobs, %d secrets left", len(jobs.Items), len(secrets.Items))
	}
}

func TestStartAgentsForbiddenJobIsOneLineAndCleansUp(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	c.PrependReactor("create", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "batch", Resource: "jobs"}, "",
			fmt.Errorf(`User "u" cannot create resource "jobs" in API group "batch" in the namespace "ns"`))
	})
	_, err := StartAgents(ctx, c, testAPIServer, AgentsOptions{Namespace: testNS, Count: 1})
	if err == nil || !strings.Contains(err.Error(), "forbidden: needs create on jobs in namespace ns") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("forbidden job: %v", err)
	}
	secrets, _ := c.CoreV1().Secrets(testNS).List(ctx, metav1.ListOptions{})
	if len(secrets.Items) != 0 {
		t.Errorf("the Secret was left: %d", len(secrets.Items))
	}
}
