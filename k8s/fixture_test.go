package k8s

import (
	"context"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
)

// The fixture: deployment "demo" in namespace "ns" at revision 2 (v2) of
// 3 replicas, its ReplicaSets (revision 1 runs v1), pods, the Service
// "demo" and its EndpointSlice. The fake clientset is for the pure
// logic; the real control plane is in k8s/e2e.
const (
	testNS  = "ns"
	testApp = "demo"
	depUID  = types.UID("dep-uid")
	rs1UID  = types.UID("rs1-uid")
	rs2UID  = types.UID("rs2-uid")
)

func ptr[T any](v T) *T { return &v }

func testDeployment() *appsv1.Deployment {
	surge, unavailable := intstr.FromInt32(1), intstr.FromInt32(0)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: testApp, Namespace: testNS, UID: depUID, Generation: 3,
			Annotations: map[string]string{"deployment.kubernetes.io/revision": "2"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(3)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": testApp}},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable}},
			Template: template("v2"),
		},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 3, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3},
	}
}

func template(version string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": testApp}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "target", Image: "registry.example:5000/scalelab/target:" + version,
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
		}}},
	}
}

func testReplicaSet(uid types.UID, name, rev, version string, replicas int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, UID: uid,
			Labels:          map[string]string{"app": testApp},
			Annotations:     map[string]string{"deployment.kubernetes.io/revision": rev},
			OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: testApp, UID: depUID, Controller: ptr(true)}}},
		Spec:   appsv1.ReplicaSetSpec{Replicas: &replicas, Template: template(version)},
		Status: appsv1.ReplicaSetStatus{Replicas: replicas, ReadyReplicas: replicas},
	}
}

// testPod is a running pod of the ReplicaSet rs (name demo-RS) at ip.
func testPod(name string, rs types.UID, rsName, version, ip string, ready bool, age time.Duration) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, UID: types.UID(name + "-uid"),
			Labels:            map[string]string{"app": testApp},
			CreationTimestamp: metav1.NewTime(time.Now().Add(-age)),
			OwnerReferences:   []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rsName, UID: rs, Controller: ptr(true)}}},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: template(version).Spec.Containers},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip,
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: status}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "target", RestartCount: 2}}},
	}
}

func testObjects() []runtime.Object {
	return []runtime.Object{
		testDeployment(),
		testReplicaSet(rs1UID, "demo-1111", "1", "v1", 0),
		testReplicaSet(rs2UID, "demo-2222", "2", "v2", 3),
		testPod("demo-2222-aaaaa", rs2UID, "demo-2222", "v2", "10.1.0.1", true, 3*time.Minute),
		testPod("demo-2222-bbbbb", rs2UID, "demo-2222", "v2", "10.1.0.2", true, 2*time.Minute),
		testPod("demo-2222-ccccc", rs2UID, "demo-2222", "v2", "10.1.0.3", false, time.Minute),
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: testNS, Labels: map[string]string{"app": "other"}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: testApp, Namespace: testNS},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": testApp},
				Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}},
		&discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: "demo-xyz", Namespace: testNS, Labels: map[string]string{discoveryv1.LabelServiceName: testApp}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr(""), Port: ptr(int32(8080))}},
			Endpoints: []discoveryv1.Endpoint{
				{Addresses: []string{"10.1.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)},
					TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "demo-2222-aaaaa"}},
				{Addresses: []string{"10.1.0.2"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)},
					TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "demo-2222-bbbbb"}},
				{Addresses: []string{"10.1.0.3"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(false)},
					TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "demo-2222-ccccc"}},
			},
		},
	}
}

// startFake starts a driver with o on a fake clientset holding objs.
func startFake(t *testing.T, o Options, objs ...runtime.Object) (*Deployment, *fake.Clientset) {
	t.Helper()
	client := fake.NewClientset(objs...)
	o.Namespace, o.Name = testNS, testApp
	d, err := New(client, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background()) })
	return d, client
}

// collect subscribes to d's events for the test.
func collect(t *testing.T, d *Deployment) <-chan cluster.Event {
	return d.Subscribe(t.Context())
}

// nextEvent waits for the next event of kind.
func nextEvent(t *testing.T, ch <-chan cluster.Event, kind cluster.EventKind) cluster.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-ch:
			if e.Kind == kind {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event", kind)
		}
	}
}
