//go:build k8se2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/scalelab/scalelab/fleet"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
)

// podPort is where every pod's demo service listens on the pod's address.
const podPort = 8080

// kubelet plays one node for the tests (there is no real kubelet): for
// each pod of its namespace bound to the node it runs the demo service
// in-process on the pod's own address (10.244.0.x:8080) with the version
// from the image tag, probes its /readyz to set the pod's IP and Ready
// condition, and when the pod is deleted drains the service and then
// finalizes the pod, or kills it at once when the pod is gone already
// (grace period 0). Each test runs its own kubelet on its namespace (with
// its own replica options), so tests can run in parallel; the addresses
// come from the control plane's shared pool.
type kubelet struct {
	client  kubernetes.Interface
	node    string
	ns      string
	ips     *addrPool
	options []fleet.ReplicaOption // for every replica (drain, startup delay)
	probe   *http.Client

	mu        sync.Mutex
	pods      map[types.UID]*podRun
	byVersion map[string][]fleet.ReplicaOption // for the replicas of a version, after options
	errs      []error                          // status updates that failed for good
}

// podRun is one pod's running demo service.
type podRun struct {
	ns, name string
	uid      types.UID
	ip       string
	replica  podService
	// ready probes the pod: the demo service's /readyz, an agent's port.
	ready    func(ctx context.Context) bool
	stop     context.CancelFunc // ends the readiness prober
	deleting bool
}

// startKubelet runs a kubelet for the pods of namespace ns on node until
// ctx ends; then it kills every replica it runs. Pod addresses come from
// ips; opts apply to every demo service it starts.
func startKubelet(ctx context.Context, client kubernetes.Interface, node, ns string, ips *addrPool, opts ...fleet.ReplicaOption) (*kubelet, error) {
	k := &kubelet{
		client:  client,
		node:    node,
		ns:      ns,
		ips:     ips,
		options: opts,
		probe:   &http.Client{Timeout: time.Second},
		pods:    map[types.UID]*podRun{},
	}
	if err := k.register(ctx); err != nil {
		return nil, err
	}
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", node).String()
		}))
	inf := factory.Core().V1().Pods().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { k.sync(ctx, obj) },
		UpdateFunc: func(_, obj any) { k.sync(ctx, obj) },
		DeleteFunc: k.gone,
	})
	if err != nil {
		return nil, fmt.Errorf("kubelet %s: %w", node, err)
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return nil, fmt.Errorf("kubelet %s: pod informer did not sync", node)
	}
	go func() {
		<-ctx.Done()
		factory.Shutdown()
		k.killAll()
	}()
	go k.bindAgents(ctx)
	return k, nil
}

// sync starts a pod's service when it is new and drains it when the pod
// is being deleted.
func (k *kubelet) sync(ctx context.Context, obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	k.mu.Lock()
	run := k.pods[pod.UID]
	if run == nil && pod.DeletionTimestamp == nil {
		var err error
		if run, err = k.startLocked(ctx, pod); err != nil {
			k.errs = append(k.errs, err)
		}
	}
	drain := run != nil && pod.DeletionTimestamp != nil && !run.deleting
	if drain {
		run.deleting = true
	}
	k.mu.Unlock()
	if drain {
		grace := 30 * time.Second
		if g := pod.DeletionGracePeriodSeconds; g != nil {
			grace = time.Duration(*g) * time.Second
		}
		go k.terminate(ctx, run, grace)
	}
}

// versionOptions makes the pods of version that start from now on run
// with opts too (after the kubelet's own): a bad build, say.
func (k *kubelet) versionOptions(version string, opts ...fleet.ReplicaOption) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.byVersion == nil {
		k.byVersion = map[string][]fleet.ReplicaOption{}
	}
	k.byVersion[version] = opts
}

// startLocked allocates an address and starts the pod's demo service.
func (k *kubelet) startLocked(ctx context.Context, pod *corev1.Pod) (*podRun, error) {
	ip, err := k.ips.take()
	if err != nil {
		return nil, fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	if isAgent(pod) {
		p, port, err := k.startAgentPod(ctx, pod, ip)
		if err != nil {
			k.ips.put(ip)
			return nil, fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, err)
		}
		addr := net.JoinHostPort(ip, fmt.Sprint(port))
		pctx, stop := context.WithCancel(ctx)
		run := &podRun{ns: pod.Namespace, name: pod.Name, uid: pod.UID, ip: ip, replica: p, stop: stop,
			ready: func(context.Context) bool { return tcpReady(addr) }}
		k.pods[pod.UID] = run
		go k.probeLoop(pctx, run)
		return run, nil
	}
	v := imageVersion(pod)
	opts := append([]fleet.ReplicaOption{fleet.Name(pod.Name), fleet.Version(v)}, k.options...)
	opts = append(opts, k.byVersion[v]...)
	r, err := fleet.NewReplica(opts...)
	if err == nil {
		err = r.Start(net.JoinHostPort(ip, fmt.Sprint(podPort)))
	}
	if err != nil {
		k.ips.put(ip)
		return nil, fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	pctx, stop := context.WithCancel(ctx)
	url := fmt.Sprintf("http://%s/readyz", net.JoinHostPort(ip, fmt.Sprint(podPort)))
	run := &podRun{ns: pod.Namespace, name: pod.Name, uid: pod.UID, ip: ip, replica: r, stop: stop,
		ready: func(ctx context.Context) bool { return k.probeOnce(ctx, url) }}
	k.pods[pod.UID] = run
	go k.probeLoop(pctx, run)
	return run, nil
}

// imageVersion is the tag of the pod's first container image ("latest"
// without one): scalelab/target:v2 runs version v2.
func imageVersion(pod *corev1.Pod) string {
	if len(pod.Spec.Containers) == 0 {
		return "latest"
	}
	image := pod.Spec.Containers[0].Image
	name := image[strings.LastIndex(image, "/")+1:]
	name, _, _ = strings.Cut(name, "@")
	if _, tag, ok := strings.Cut(name, ":"); ok && tag != "" {
		return tag
	}
	return "latest"
}

// probeLoop probes the service's /readyz and writes the pod's status
// whenever readiness changes, until ctx ends.
func (k *kubelet) probeLoop(ctx context.Context, run *podRun) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	written := false
	var last bool
	for {
		ready := run.ready(ctx)
		if !written || ready != last {
			if err := k.writeStatus(ctx, run, ready); err != nil {
				if ctx.Err() != nil || apierrors.IsNotFound(err) {
					return
				}
				k.mu.Lock()
				k.errs = append(k.errs, err)
				k.mu.Unlock()
			} else {
				written, last = true, ready
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-run.replica.Done():
			return
		case <-tick.C:
		}
	}
}

// probeOnce reports whether GET url answered 200.
func (k *kubelet) probeOnce(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := k.probe.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// writeStatus sets the pod running on its address with the given
// readiness.
func (k *kubelet) writeStatus(ctx context.Context, run *podRun, ready bool) error {
	cond := corev1.ConditionFalse
	if ready {
		cond = corev1.ConditionTrue
	}
	pods := k.client.CoreV1().Pods(run.ns)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pod, err := pods.Get(ctx, run.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if pod.UID != run.uid {
			return apierrors.NewNotFound(corev1.Resource("pods"), run.name)
		}
		now := metav1.Now()
		pod.Status.Phase = corev1.PodRunning
		pod.Status.HostIP = run.ip
		pod.Status.PodIP = run.ip
		pod.Status.PodIPs = []corev1.PodIP{{IP: run.ip}}
		if pod.Status.StartTime == nil {
			pod.Status.StartTime = &now
		}
		for _, t := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
			c := cond
			if t == corev1.PodScheduled || t == corev1.PodInitialized {
				c = corev1.ConditionTrue
			}
			setCondition(&pod.Status, t, c, now)
		}
		pod.Status.ContainerStatuses = containerStatuses(pod, ready, now)
		_, err = pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("pod %s/%s status: %w", run.ns, run.name, err)
	}
	return nil
}

// setCondition sets condition t to s, keeping its transition time when s
// does not change.
func setCondition(st *corev1.PodStatus, t corev1.PodConditionType, s corev1.ConditionStatus, now metav1.Time) {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			if st.Conditions[i].Status != s {
				st.Conditions[i].Status, st.Conditions[i].LastTransitionTime = s, now
			}
			return
		}
	}
	st.Conditions = append(st.Conditions, corev1.PodCondition{Type: t, Status: s, LastTransitionTime: now})
}

// containerStatuses reports every container running, with the readiness.
func containerStatuses(pod *corev1.Pod, ready bool, now metav1.Time) []corev1.ContainerStatus {
	out := make([]corev1.ContainerStatus, 0, len(pod.Spec.Containers))
	started := true
	for _, c := range pod.Spec.Containers {
		out = append(out, corev1.ContainerStatus{
			Name:    c.Name,
			Image:   c.Image,
			ImageID: c.Image,
			Ready:   ready,
			Started: &started,
			State:   corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	return out
}

// terminate drains the pod's service (bounded by its grace period) and
// then finalizes the pod, as a kubelet does after the container exited.
func (k *kubelet) terminate(ctx context.Context, run *podRun, grace time.Duration) {
	sctx, cancel := context.WithTimeout(ctx, grace)
	_ = run.replica.Stop(sctx) // kills it when the grace period ends first
	cancel()
	k.release(run)
	zero := int64(0)
	err := k.client.CoreV1().Pods(run.ns).Delete(ctx, run.name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero,
		Preconditions:      &metav1.Preconditions{UID: &run.uid},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) && ctx.Err() == nil {
		k.mu.Lock()
		k.errs = append(k.errs, fmt.Errorf("finalize pod %s/%s: %w", run.ns, run.name, err))
		k.mu.Unlock()
	}
}

// gone kills the service of a pod removed without a graceful stop
// (grace period 0, or finalized already).
func (k *kubelet) gone(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	k.mu.Lock()
	run := k.pods[pod.UID]
	k.mu.Unlock()
	if run != nil {
		run.replica.Kill()
		k.release(run)
	}
}

// release forgets a pod whose service has ended and frees its address.
func (k *kubelet) release(run *podRun) {
	<-run.replica.Done()
	run.stop()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.pods[run.uid] == run {
		delete(k.pods, run.uid)
		k.ips.put(run.ip)
	}
}

// killAll kills every service still running.
func (k *kubelet) killAll() {
	k.mu.Lock()
	runs := make([]*podRun, 0, len(k.pods))
	for _, r := range k.pods {
		runs = append(runs, r)
	}
	k.mu.Unlock()
	for _, r := range runs {
		r.replica.Kill()
		k.release(r)
	}
}

// running returns how many services run now, by version.
func (k *kubelet) running() map[string]int {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]int{}
	for _, r := range k.pods {
		out[r.replica.Version()]++
	}
	return out
}

// failures returns the errors the kubelet could not recover from.
func (k *kubelet) failures() []error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]error(nil), k.errs...)
}

// register creates the Node object, Ready, as a kubelet does when it
// joins (the endpointslice controller skips pods on unknown nodes). It is
// kept when it exists already: the tests share the node.
func (k *kubelet) register(ctx context.Context) error {
	nodes := k.client.CoreV1().Nodes()
	n, err := nodes.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: k.node}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("kubelet %s: register node: %w", k.node, err)
	}
	now := metav1.Now()
	n.Status.Conditions = []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: corev1.ConditionTrue,
		LastHeartbeatTime: now, LastTransitionTime: now, Reason: "KubeletReady",
	}}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.244.0.1"}}
	if _, err := nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("kubelet %s: node status: %w", k.node, err)
	}
	return nil
}
