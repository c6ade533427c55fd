package k8s

import (
	"cmp"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/scalelab/scalelab/cluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	deploymentutil "k8s.io/kubectl/pkg/util/deployment"
	"k8s.io/kubectl/pkg/util/podutils"
)

// defaultPort is the container port assumed when the container declares
// none (the demo service's).
const defaultPort = 8080

// State is the Deployment's state now, read from the informers' caches.
func (d *Deployment) State() cluster.State {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.ready {
		return cluster.State{}
	}
	dep, err := d.deps.Deployments(d.o.Namespace).Get(d.o.Name)
	if err != nil {
		return cluster.State{Replicas: d.track.goneReplicas()}
	}
	s := cluster.State{
		Desired: replicasOf(dep),
		Version: d.versionOfTemplate(&dep.Spec.Template),
	}
	s.MaxSurge, s.MaxUnavailable = fenceposts(dep)
	rss := d.ownReplicaSets(dep)
	if prev := previousReplicaSet(rss); prev != nil {
		s.Previous = d.versionOfTemplate(&prev.Spec.Template)
	}
	s.Replicas = d.replicas(rss)
	s.Rollout = d.rollout(dep, rss)
	if d.usage != nil {
		s.UsageNotes = d.usage.noteLines()
	}
	return s
}

// replicas lists the pods (and those gone recently), oldest first; d.mu
// must be held.
func (d *Deployment) replicas(rss []*appsv1.ReplicaSet) []cluster.Replica {
	revisions := make(map[types.UID]string, len(rss))
	for _, rs := range rss {
		revisions[rs.UID] = rs.Annotations[deploymentutil.RevisionAnnotation]
	}
	pods, _ := d.pods.Pods(d.o.Namespace).List(d.selector)
	slices.SortFunc(pods, func(a, b *corev1.Pod) int {
		return cmp.Or(a.CreationTimestamp.Compare(b.CreationTimestamp.Time), strings.Compare(a.Name, b.Name))
	})
	out := d.track.goneReplicas()
	for _, p := range pods {
		r := cluster.Replica{
			Name:           p.Name,
			Version:        d.versionOfPod(p),
			Phase:          podPhase(p, d.track.everReady[p.Name]),
			Restarts:       restarts(p),
			Node:           p.Spec.NodeName,
			InEndpoints:    d.track.inEps[p.Name],
			EndpointsKnown: d.slices != nil,
		}
		if p.Status.PodIP != "" {
			r.Address = net.JoinHostPort(p.Status.PodIP, strconv.Itoa(int(d.port)))
		}
		if owner := controllerUID(p.OwnerReferences); owner != "" {
			r.Revision = revisions[owner]
		}
		if d.usage != nil {
			r.Usage = d.usage.of(p.Name)
		}
		out = append(out, r)
	}
	return out
}

// rollout is the rollout's progress in the words of `kubectl rollout
// status`; d.mu must be held.
func (d *Deployment) rollout(dep *appsv1.Deployment, rss []*appsv1.ReplicaSet) cluster.Rollout {
	msg, done, err := d.rolloutStatus(dep)
	r := cluster.Rollout{
		Active:    !done,
		Version:   d.versionOfTemplate(&dep.Spec.Template),
		Updated:   int(dep.Status.UpdatedReplicas),
		Desired:   replicasOf(dep),
		Available: int(dep.Status.AvailableReplicas),
		Message:   msg,
		Paused:    dep.Spec.Paused,
		Stalled:   err != nil, // the status viewer errs only past the progress deadline
	}
	if err != nil {
		r.Message = err.Error()
	}
	if rs := newReplicaSet(dep, rss); rs != nil {
		r.Ready = int(rs.Status.ReadyReplicas)
	}
	return r
}

// rolloutStatus is kubectl's DeploymentStatusViewer on dep: its message
// (one line), whether the rollout is done, and an error when it exceeded
// its progress deadline.
func (d *Deployment) rolloutStatus(dep *appsv1.Deployment) (string, bool, error) {
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(dep)
	if err != nil {
		return "", false, fmt.Errorf("rollout status: %w", err)
	}
	msg, done, err := d.status.Status(&unstructured.Unstructured{Object: obj}, 0)
	return strings.TrimSpace(msg), done, err
}

// replicasOf is the Deployment's desired replicas (1 when unset, as the
// API defaults it).
func replicasOf(dep *appsv1.Deployment) int {
	if dep.Spec.Replicas == nil {
		return 1
	}
	return int(*dep.Spec.Replicas)
}

// fenceposts resolves maxSurge and maxUnavailable against the desired
// replicas as the deployment controller does (percentages: surge rounds
// up, unavailable down; both 0 makes unavailable 1). Recreate replaces
// everything at once: no surge, all unavailable.
func fenceposts(dep *appsv1.Deployment) (surge, unavailable int) {
	desired := replicasOf(dep)
	if dep.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return 0, desired
	}
	def := intstr.FromString("25%")
	ms, mu := &def, &def
	if ru := dep.Spec.Strategy.RollingUpdate; ru != nil {
		ms = cmp.Or(ru.MaxSurge, ms)
		mu = cmp.Or(ru.MaxUnavailable, mu)
	}
	s, u, err := deploymentutil.ResolveFenceposts(ms, mu, int32(desired))
	if err != nil {
		return 0, 0
	}
	return int(s), int(u)
}

// ownReplicaSets lists the ReplicaSets dep controls; d.mu must be held.
func (d *Deployment) ownReplicaSets(dep *appsv1.Deployment) []*appsv1.ReplicaSet {
	all, _ := d.rss.ReplicaSets(d.o.Namespace).List(d.selector)
	out := all[:0]
	for _, rs := range all {
		if controllerUID(rs.OwnerReferences) == dep.UID {
			out = append(out, rs)
		}
	}
	return out
}

// revision is a ReplicaSet's revision, -1 when it has none.
func revision(rs *appsv1.ReplicaSet) int64 {
	v, err := deploymentutil.Revision(rs)
	if err != nil {
		return -1
	}
	return v
}

// previousReplicaSet is the ReplicaSet with the second highest revision:
// what `kubectl rollout undo` rolls back to.
func previousReplicaSet(rss []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	sorted := slices.Clone(rss)
	slices.SortFunc(sorted, func(a, b *appsv1.ReplicaSet) int { return cmp.Compare(revision(b), revision(a)) })
	if len(sorted) < 2 || revision(sorted[1]) < 0 {
		return nil
	}
	return sorted[1]
}

// newReplicaSet is the ReplicaSet of dep's current revision (its
// revision annotation), nil when not known yet.
func newReplicaSet(dep *appsv1.Deployment, rss []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	want, ok := dep.Annotations[deploymentutil.RevisionAnnotation]
	if !ok {
		return nil
	}
	for _, rs := range rss {
		if rs.Annotations[deploymentutil.RevisionAnnotation] == want {
			return rs
		}
	}
	return nil
}

// controllerUID is the UID of the controlling owner, "" when none.
func controllerUID(refs []metav1.OwnerReference) types.UID {
	for _, r := range refs {
		if r.Controller != nil && *r.Controller {
			return r.UID
		}
	}
	return ""
}

// podPhase maps a pod to a replica phase: finished pods are stopped
// (succeeded) or killed (failed), a pod being deleted drains, a Ready
// one is ready, a running one that was ready before is unready, and the
// rest are starting.
func podPhase(p *corev1.Pod, wasReady bool) cluster.Phase {
	switch {
	case p.Status.Phase == corev1.PodSucceeded:
		return cluster.Stopped
	case p.Status.Phase == corev1.PodFailed:
		return cluster.Killed
	case p.DeletionTimestamp != nil:
		return cluster.Draining
	case podutils.IsPodReady(p):
		return cluster.Ready
	case p.Status.Phase == corev1.PodRunning && wasReady:
		return cluster.Unready
	}
	return cluster.Starting
}

// restarts sums the pod's container restarts.
func restarts(p *corev1.Pod) int {
	n := 0
	for _, c := range p.Status.ContainerStatuses {
		n += int(c.RestartCount)
	}
	return n
}

// container is the container whose image is the version: Options.Container,
// else the first one; nil when there is none.
func (d *Deployment) container(cs []corev1.Container) *corev1.Container {
	for i := range cs {
		if d.o.Container == "" || cs[i].Name == d.o.Container {
			return &cs[i]
		}
	}
	return nil
}

// versionOfTemplate is the version a pod template runs.
func (d *Deployment) versionOfTemplate(t *corev1.PodTemplateSpec) string {
	if c := d.container(t.Spec.Containers); c != nil {
		return versionOf(c.Image)
	}
	return ""
}

// versionOfPod is the version a pod runs.
func (d *Deployment) versionOfPod(p *corev1.Pod) string {
	if c := d.container(p.Spec.Containers); c != nil {
		return versionOf(c.Image)
	}
	return ""
}

// containerNames lists the containers' names.
func containerNames(cs []corev1.Container) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// containerPort is the container's first TCP port and its name, or
// defaultPort when it declares none.
func containerPort(c *corev1.Container) (int32, string) {
	if c != nil {
		for _, p := range c.Ports {
			if p.Protocol == "" || p.Protocol == corev1.ProtocolTCP {
				return p.ContainerPort, p.Name
			}
		}
	}
	return defaultPort, ""
}

// versionOf is the version an image reference names: its tag
// ("repo/name:v2" is v2), the start of its digest when it has no tag
// ("sha256:0123456789ab"), else "latest".
func versionOf(image string) string {
	ref, digest, _ := strings.Cut(image, "@")
	last := ref[strings.LastIndex(ref, "/")+1:]
	if _, tag, ok := strings.Cut(last, ":"); ok && tag != "" {
		return tag
	}
	if digest != "" {
		algo, hex, _ := strings.Cut(digest, ":")
		return algo + ":" + hex[:min(12, len(hex))]
	}
	if ref == "" {
		return ""
	}
	return "latest"
}

// tagPattern is what a Docker tag may be.
var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// withVersion returns image upgraded to version: a bare version ("v2")
// replaces the tag (and drops a digest), an image reference
// ("repo/name:tag", anything with '/', ':' or '@') replaces the image.
func withVersion(image, version string) (string, error) {
	if version == "" || strings.ContainsAny(version, " \t\r\n") {
		return "", fmt.Errorf("version %q: want a tag such as v2 or an image such as repo/name:v2", version)
	}
	if strings.ContainsAny(version, "/:@") {
		return version, nil
	}
	if !tagPattern.MatchString(version) {
		return "", fmt.Errorf("version %q: not a valid image tag", version)
	}
	ref, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref + ":" + version, nil
}
