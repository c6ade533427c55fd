package k8s

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func fakeClient() kubernetes.Interface { return fake.NewClientset() }

// scaleReactors serves the scale subresource on a fake clientset (its
// tracker does not): get answers replicas, update is recorded.
func scaleReactors(c *fake.Clientset, replicas int32) {
	c.PrependReactor("get", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		return true, &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: testApp, Namespace: testNS},
			Spec: autoscalingv1.ScaleSpec{Replicas: replicas}}, nil
	})
	c.PrependReactor("update", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		return true, a.(k8stesting.UpdateAction).GetObject(), nil
	})
}

// writes lists the client's write actions.
func writes(c *fake.Clientset) []k8stesting.Action {
	var out []k8stesting.Action
	for _, a := range c.Actions() {
		switch a.GetVerb() {
		case "create", "update", "patch", "delete", "deletecollection":
			out = append(out, a)
		}
	}
	return out
}

func TestStateFromInformers(t *testing.T) {
	d, _ := startFake(t, Options{}, testObjects()...)
	st := d.State()
	if st.Desired != 3 || st.Version != "v2" || st.Previous != "v1" || st.MaxSurge != 1 || st.MaxUnavailable != 0 {
		t.Errorf("state: desired %d version %q previous %q surge %d unavailable %d; want 3 v2 v1 1 0",
			st.Desired, st.Version, st.Previous, st.MaxSurge, st.MaxUnavailable)
	}
	want := []cluster.Replica{
		{Name: "demo-2222-aaaaa", Version: "v2", Phase: cluster.Ready, Address: "10.1.0.1:8080", Revision: "2", Restarts: 2, Node: "node-1", InEndpoints: true, EndpointsKnown: true},
		{Name: "demo-2222-bbbbb", Version: "v2", Phase: cluster.Ready, Address: "10.1.0.2:8080", Revision: "2", Restarts: 2, Node: "node-1", InEndpoints: true, EndpointsKnown: true},
		{Name: "demo-2222-ccccc", Version: "v2", Phase: cluster.Starting, Address: "10.1.0.3:8080", Revision: "2", Restarts: 2, Node: "node-1", EndpointsKnown: true},
	}
	if !slices.Equal(st.Replicas, want) {
		t.Errorf("replicas:\n got %+v\nwant %+v", st.Replicas, want)
	}
	r := st.Rollout
	if r.Active || r.Version != "v2" || r.Updated != 3 || r.Ready != 3 || r.Available != 3 || r.Desired != 3 ||
		r.Message != `deployment "demo" successfully rolled out` || r.Paused || r.Stalled {
		t.Errorf("rollout %+v", r)
	}
	if got := d.Endpoints().List(); len(got) != 2 || got[0].Addr != "10.1.0.1:8080" || got[0].Version != "v2" {
		t.Errorf("endpoints %v, want the 2 ready pods on :8080 with v2", got)
	}
	if d.Service() != testApp {
		t.Errorf("service %q, want %q (its selector matches the pods)", d.Service(), testApp)
	}
}

func TestStateMidRolloutAndStalled(t *testing.T) {
	dep := testDeployment()
	dep.Status.UpdatedReplicas, dep.Status.Replicas = 1, 4
	dep.Spec.Paused = true
	dep.Status.Conditions = []appsv1.DeploymentCondition{{Type: "Progressing", Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded"}}
	objs := testObjects()
	objs[0] = dep
	d, _ := startFake(t, Options{}, objs...)
	r := d.State().Rollout
	if !r.Active || !r.Paused || !r.Stalled || !strings.Contains(r.Message, "exceeded its progress deadline") {
		t.Errorf("stalled paused rollout: %+v", r)
	}
	dep.Status.Conditions = nil
	d2, _ := startFake(t, Options{}, append([]runtime.Object{dep}, objs[1:]...)...)
	if r := d2.State().Rollout; !r.Active || r.Message != `Waiting for deployment "demo" rollout to finish: 1 out of 3 new replicas have been updated...` {
		t.Errorf("mid-rollout: %+v", r)
	}
}

func TestReadOnlyRefusesEveryAction(t *testing.T) {
	d, client := startFake(t, Options{ReadOnly: true}, testObjects()...)
	ctx := t.Context()
	for name, act := range map[string]func() error{
		"scale":       func() error { return d.Scale(ctx, 2) },
		"upgrade":     func() error { return d.Upgrade(ctx, "v3") },
		"rollback":    func() error { return d.Rollback(ctx) },
		"kill":        func() error { return d.Inject(ctx, cluster.Fault{Kind: cluster.FaultKill, Count: 1}) },
		"bad-version": func() error { return d.Inject(ctx, cluster.Fault{Kind: cluster.FaultBadVersion, Version: "v9"}) },
		"pause":       func() error { return d.PauseRollout(ctx) },
		"resume":      func() error { return d.ResumeRollout(ctx) },
		"restart":     func() error { return d.Restart(ctx) },
	} {
		err := act()
		if err == nil || err.Error() != "read-only: "+name+" refused (--read-only)" {
			t.Errorf("%s: error %v", name, err)
		}
	}
	if w := writes(client); len(w) > 0 {
		t.Errorf("read-only driver wrote: %v", w)
	}
}

func TestDryRunSendsServerSideDryRunAndSaysWhatWouldHappen(t *testing.T) {
	objs := testObjects()
	client := fake.NewClientset(objs...)
	scaleReactors(client, 3)
	honourDryRun(client)
	d, err := New(client, Options{Namespace: testNS, Name: testApp, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	events := collect(t, d)
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background()) })
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second) // dry runs do not wait
	defer cancel()

	steps := []struct {
		name string
		act  func() error
		note string
	}{
		{"scale", func() error { return d.Scale(ctx, 2) }, "dry run: would scale deployment/demo 3 → 2"},
		{"upgrade", func() error { return d.Upgrade(ctx, "v3") }, "dry run: would upgrade deployment/demo v2 → v3 (image registry.example:5000/scalelab/target:v3)"},
		{"kill", func() error {
			return d.Inject(ctx, cluster.Fault{Kind: cluster.FaultKill, Replica: "demo-2222-bbbbb", Force: true})
		},
			"dry run: would force-delete (grace period 0) pod demo-2222-bbbbb of deployment/demo"},
		{"restart", func() error { return d.Restart(ctx) }, "dry run: would restart deployment/demo"},
		{"rollback", func() error { return d.Rollback(ctx) }, "dry run: would roll back deployment/demo v2 → v1 (revision 1)"},
		{"pause", func() error { return d.PauseRollout(ctx) }, "dry run: would pause the rollout of deployment/demo"},
	}
	for _, s := range steps {
		client.ClearActions()
		if err := s.act(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if e := nextEvent(t, events, cluster.Note); !strings.HasPrefix(e.Message, s.note) {
			t.Errorf("%s: note %q, want %q", s.name, e.Message, s.note)
		}
		w := writes(client)
		if len(w) != 1 {
			t.Fatalf("%s: writes %v, want one", s.name, w)
		}
		if got := dryRunOf(w[0]); !slices.Equal(got, []string{metav1.DryRunAll}) {
			t.Errorf("%s: %s %s dryRun = %v, want [All]", s.name, w[0].GetVerb(), w[0].GetResource().Resource, got)
		}
		if s.name == "kill" {
			if g := w[0].(k8stesting.DeleteActionImpl).DeleteOptions.GracePeriodSeconds; g == nil || *g != 0 {
				t.Errorf("forced kill: grace period %v, want 0", g)
			}
		}
		if s.name == "upgrade" && !strings.Contains(string(w[0].(k8stesting.PatchActionImpl).Patch), `"image":"registry.example:5000/scalelab/target:v3"`) {
			t.Errorf("upgrade patch %s", w[0].(k8stesting.PatchActionImpl).Patch)
		}
	}
}

// honourDryRun makes the fake clientset accept dry-run writes without
// applying them, as the API server does (its tracker applies them).
func honourDryRun(c *fake.Clientset) {
	c.PrependReactor("*", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if !slices.Equal(dryRunOf(a), []string{metav1.DryRunAll}) {
			return false, nil, nil
		}
		if _, ok := a.(k8stesting.DeleteActionImpl); ok {
			return true, nil, nil
		}
		if a.GetSubresource() != "" {
			return false, nil, nil // the scale reactors answer
		}
		named, ok := a.(interface{ GetName() string })
		if !ok {
			return false, nil, nil
		}
		obj, err := c.Tracker().Get(a.GetResource(), a.GetNamespace(), named.GetName())
		return true, obj, err
	})
}

// dryRunOf is a write action's dryRun option.
func dryRunOf(a k8stesting.Action) []string {
	switch a := a.(type) {
	case k8stesting.UpdateActionImpl:
		return a.UpdateOptions.DryRun
	case k8stesting.PatchActionImpl:
		return a.PatchOptions.DryRun
	case k8stesting.DeleteActionImpl:
		return a.DeleteOptions.DryRun
	}
	return nil
}

func TestForbiddenScaleIsOneLine(t *testing.T) {
	client := fake.NewClientset(testObjects()...)
	scaleReactors(client, 3)
	client.PrependReactor("update", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments/scale"}, testApp,
			errors.New(`User "viewer" cannot update resource "deployments/scale" in API group "apps" in the namespace "ns"`))
	})
	d, err := New(client, Options{Namespace: testNS, Name: testApp})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer d.Stop(context.Background())
	err = d.Scale(t.Context(), 2)
	if err == nil || err.Error() != "scale deployment/demo to 2: forbidden: needs update on deployments/scale in namespace ns" {
		t.Errorf("error %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	forbid := func(verb, resource string) func(*fake.Clientset) {
		return func(c *fake.Clientset) {
			refusal := apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "", errors.New("RBAC: access denied"))
			if verb == "watch" {
				c.PrependWatchReactor(resource, func(k8stesting.Action) (bool, watch.Interface, error) { return true, nil, refusal })
				return
			}
			c.PrependReactor(verb, resource, func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, refusal })
		}
	}
	for _, c := range []struct {
		name  string
		objs  []runtime.Object
		setup func(*fake.Clientset)
		o     Options
		want  string
	}{
		{"missing", nil, nil, Options{}, `start deployment/demo: deployment "demo" not found in namespace ns`},
		{"pods", testObjects(), forbid("list", "pods"), Options{}, "start deployment/demo: forbidden: needs list on pods in namespace ns"},
		{"watch", testObjects(), forbid("watch", "replicasets"), Options{}, "start deployment/demo: forbidden: needs watch on replicasets in namespace ns"},
		{"get", testObjects(), forbid("get", "deployments"), Options{}, "start deployment/demo: forbidden: needs get on deployments in namespace ns"},
		{"container", testObjects(), nil, Options{Container: "nope"}, `container "nope" not in deployment "demo" (containers: target)`},
		{"service", testObjects(), nil, Options{Service: "nope"}, `service "nope" not found in namespace ns`},
	} {
		client := fake.NewClientset(c.objs...)
		if c.setup != nil {
			c.setup(client)
		}
		c.o.Namespace, c.o.Name = testNS, testApp
		d, err := New(client, c.o)
		if err != nil {
			t.Fatal(err)
		}
		err = d.Start(t.Context())
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", c.name, err, c.want)
		}
		_ = d.Stop(context.Background())
	}
}

func TestOptionalInformersDegradeWithANote(t *testing.T) {
	client := fake.NewClientset(testObjects()...)
	client.PrependReactor("list", "events", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "events"}, "", errors.New("no"))
	})
	d, err := New(client, Options{Namespace: testNS, Name: testApp})
	if err != nil {
		t.Fatal(err)
	}
	events := collect(t, d)
	if err := d.Start(t.Context()); err != nil {
		t.Fatalf("Start without events: %v", err)
	}
	defer d.Stop(context.Background())
	if e := nextEvent(t, events, cluster.Note); e.Message != "Kubernetes Events not shown: forbidden: needs list on events in namespace ns" {
		t.Errorf("note %q", e.Message)
	}
}

func TestKillRefusals(t *testing.T) {
	d, client := startFake(t, Options{}, testObjects()...)
	ctx := t.Context()
	for _, c := range []struct {
		f    cluster.Fault
		want string
	}{
		{cluster.Fault{Kind: cluster.FaultKill, Replica: "other"}, `pod "other" is not part of deployment/demo (its labels do not match the selector app=demo): refused`},
		{cluster.Fault{Kind: cluster.FaultKill, Replica: "ghost"}, `pod "ghost" not found in namespace ns`},
		{cluster.Fault{Kind: cluster.FaultKill, Count: 2}, "kill 2 pods refused: above the cap of 1 (--max-kill 1)"},
		{cluster.Fault{Kind: cluster.FaultKill, Percent: 50}, "kill 2 pods refused"},
		{cluster.Fault{Kind: cluster.FaultKill, Count: 4}, "4 asked, 3 live"},
		{cluster.Fault{Kind: cluster.FaultHang, Count: 1}, "hang: not supported on Kubernetes"},
		{cluster.Fault{Kind: cluster.FaultLatency, Count: 1}, "latency: not supported on Kubernetes"},
		{cluster.Fault{Kind: cluster.FaultErrors, Count: 1, ErrorRate: 0.5}, "errors: not supported on Kubernetes"},
	} {
		err := d.Inject(ctx, c.f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.f, err, c.want)
		}
	}
	if w := writes(client); len(w) > 0 {
		t.Errorf("refused kills wrote: %v", w)
	}
}

func TestUpgradeNeedsAContainerAmongSeveral(t *testing.T) {
	dep := testDeployment()
	dep.Spec.Template.Spec.Containers = append(dep.Spec.Template.Spec.Containers, corev1.Container{Name: "sidecar", Image: "envoy:1.30"})
	objs := testObjects()
	objs[0] = dep
	d, client := startFake(t, Options{}, objs...)
	err := d.Upgrade(t.Context(), "v3")
	if err == nil || !strings.Contains(err.Error(), "deployment/demo has 2 containers (target, sidecar): choose one with --container") {
		t.Errorf("error %v", err)
	}
	if st := d.State(); st.Version != "v2" {
		t.Errorf("version with several containers: %q, want the first one's v2", st.Version)
	}
	if w := writes(client); len(w) > 0 {
		t.Errorf("wrote: %v", w)
	}
	d2, _ := startFake(t, Options{Container: "sidecar"}, objs...)
	if v := d2.State().Version; v != "1.30" {
		t.Errorf("--container sidecar: version %q, want 1.30", v)
	}
}

func TestConfirmActions(t *testing.T) {
	d, _ := New(fakeClient(), Options{Namespace: "shop", Name: "web", Where: "kind-prod", Confirm: true})
	if where, ask := d.ConfirmActions(); where != "deployment web in namespace shop of cluster kind-prod" || !ask {
		t.Errorf("ConfirmActions() = %q, %v", where, ask)
	}
	d, _ = New(fakeClient(), Options{Namespace: "shop", Name: "web"})
	if where, ask := d.ConfirmActions(); where != "deployment web in namespace shop" || ask {
		t.Errorf("ConfirmActions() = %q, %v", where, ask)
	}
}

func TestEventsFromInformerChanges(t *testing.T) {
	client := fake.NewClientset(testObjects()...)
	d, err := New(client, Options{Namespace: testNS, Name: testApp})
	if err != nil {
		t.Fatal(err)
	}
	events := collect(t, d)
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer d.Stop(context.Background())
	ctx := t.Context()

	p, _ := client.CoreV1().Pods(testNS).Get(ctx, "demo-2222-ccccc", metav1.GetOptions{})
	p.Status.Conditions[0].Status = corev1.ConditionTrue
	if _, err := client.CoreV1().Pods(testNS).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, events, cluster.ReplicaReady); e.Replica != "demo-2222-ccccc" || e.Message != "pod demo-2222-ccccc ready" {
		t.Errorf("ready event %+v", e)
	}

	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "demo.1", Namespace: testNS},
		InvolvedObject: corev1.ObjectReference{Kind: "Deployment", Name: testApp, Namespace: testNS},
		Reason:         "ScalingReplicaSet", Message: "Scaled up replica set demo-2222 from 3 to 4", Count: 1,
	}
	other := ev.DeepCopy()
	other.Name, other.InvolvedObject.Name = "other.1", "other"
	for _, e := range []*corev1.Event{other, ev} {
		if _, err := client.CoreV1().Events(testNS).Create(ctx, e, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if e := nextEvent(t, events, cluster.KubeEvent); e.Message != "k8s Event: ScalingReplicaSet deployment/demo: Scaled up replica set demo-2222 from 3 to 4" {
		t.Errorf("k8s event %q (an event about another deployment must not show)", e.Message)
	}

	dep, _ := client.AppsV1().Deployments(testNS).Get(ctx, testApp, metav1.GetOptions{})
	dep.Spec.Replicas = ptr(int32(5))
	if _, err := client.AppsV1().Deployments(testNS).Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, events, cluster.ScaleStarted); e.Message != "scale 3 → 5" {
		t.Errorf("scale event %q", e.Message)
	}
	dep.Spec.Template = template("v3")
	if _, err := client.AppsV1().Deployments(testNS).Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, events, cluster.RolloutStarted); e.Version != "v3" || e.Message != "rollout v2 → v3 (max surge 1, max unavailable 0)" {
		t.Errorf("rollout event %+v", e)
	}
}

func TestAutoscaler(t *testing.T) {
	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "demo-hpa", Namespace: testNS},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: testApp},
			MinReplicas:    ptr(int32(2)), MaxReplicas: 10,
			Metrics: []autoscalingv2.MetricSpec{
				{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
					Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(60))}}},
				{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
					Metric: autoscalingv2.MetricIdentifier{Name: "rps"}, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr(resource.MustParse("100"))}}},
			},
		},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 3, DesiredReplicas: 4,
			CurrentMetrics: []autoscalingv2.MetricStatus{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
				Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageUtilization: ptr(int32(45))}}}}},
	}
	d, _ := startFake(t, Options{}, append(testObjects(), hpa)...)
	a, ok := d.Autoscaler()
	want := []string{"cpu 45%/60%", "pods rps ?/100"}
	if !ok || a.Name != "demo-hpa" || a.Min != 2 || a.Max != 10 || a.Current != 3 || a.Desired != 4 || !slices.Equal(a.Metrics, want) {
		t.Errorf("Autoscaler() = %+v, %v; want metrics %v", a, ok, want)
	}
	d2, _ := startFake(t, Options{}, testObjects()...)
	if _, ok := d2.Autoscaler(); ok {
		t.Error("an autoscaler without one")
	}
}

func TestActionsBeforeStartAndWithoutEndpointSlices(t *testing.T) {
	d, err := New(fake.NewClientset(testObjects()...), Options{Namespace: testNS, Name: testApp})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Scale(t.Context(), 2); err == nil || err.Error() != "scale deployment/demo to 2: deployment/demo not started" {
		t.Errorf("Scale before Start: %v", err)
	}
	if st := d.State(); st.Desired != 0 || len(st.Replicas) != 0 {
		t.Errorf("State before Start: %+v", st)
	}

	client := fake.NewClientset(testObjects()...)
	client.PrependReactor("list", "endpointslices", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"}, "", errors.New("no"))
	})
	d, err = New(client, Options{Namespace: testNS, Name: testApp})
	if err != nil {
		t.Fatal(err)
	}
	events := collect(t, d)
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer d.Stop(context.Background())
	if e := nextEvent(t, events, cluster.Note); e.Message != "endpoints of service demo unknown: forbidden: needs list on endpointslices in namespace ns" {
		t.Errorf("note %q", e.Message)
	}
	st := d.State()
	if d.Service() != "" || len(d.Endpoints().List()) != 0 || len(st.Replicas) != 3 || st.Replicas[0].EndpointsKnown {
		t.Errorf("without slices: service %q endpoints %v replicas %+v", d.Service(), d.Endpoints().List(), st.Replicas)
	}
}
