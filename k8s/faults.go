package k8s

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/scalelab/scalelab/cluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/kubectl/pkg/util/podutils"
)

// Inject applies a fault. FaultKill deletes pods of the Deployment (by
// name, Count or Percent of the live ones, ready ones first; Force means
// grace period 0) and returns when as many ready pods of the current
// revision serve as desired; pods outside the Deployment's selector are
// never touched. FaultBadVersion upgrades to that version. Hang, latency
// and errors need the demo service's cooperation and are not supported
// on Kubernetes.
func (d *Deployment) Inject(ctx context.Context, f cluster.Fault) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("inject: %w", err)
	}
	switch f.Kind {
	case cluster.FaultKill:
		return d.kill(ctx, f)
	case cluster.FaultBadVersion:
		if err := d.o.refuseReadOnly("bad-version"); err != nil {
			return err
		}
		if !d.o.DryRun {
			d.emit(cluster.Event{Kind: cluster.FaultInjected, Version: f.Version,
				Message: fmt.Sprintf("fault: bad version %s rolls out", f.Version)})
		}
		return d.Upgrade(ctx, f.Version)
	}
	return fmt.Errorf("%s: not supported on Kubernetes (kill and bad-version are)", f.Kind)
}

// FaultKinds lists the faults a Deployment accepts: kill and bad-version
// (hang, latency and errors need the demo service's cooperation).
func (d *Deployment) FaultKinds() []cluster.FaultKind {
	return []cluster.FaultKind{cluster.FaultKill, cluster.FaultBadVersion}
}

// kill deletes the pods f targets and waits until they are replaced.
func (d *Deployment) kill(ctx context.Context, f cluster.Fault) error {
	what := "kill " + f.Target() + " of " + d.Name()
	if err := d.o.refuseReadOnly("kill"); err != nil {
		return err
	}
	if _, err := d.current(what); err != nil {
		return err
	}
	targets, live, err := d.killTargets(ctx, f)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := d.o.checkKill(len(targets), live); err != nil {
		return err
	}
	names := podNames(targets)
	opts := metav1.DeleteOptions{DryRun: d.o.dryRun()}
	if f.Force {
		zero := int64(0)
		opts.GracePeriodSeconds = &zero
	}
	how := "delete"
	if f.Force {
		how = "force-delete (grace period 0)"
	}
	for _, p := range targets {
		o := opts
		uid := p.UID
		o.Preconditions = &metav1.Preconditions{UID: &uid}
		if !d.o.DryRun {
			d.killing(p, f.Force, how)
		}
		err := d.client.CoreV1().Pods(d.o.Namespace).Delete(ctx, p.Name, o)
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("%s: %w", what, apiError(err, "delete", "pods", d.o.Namespace))
		}
	}
	if d.o.DryRun {
		d.note("dry run: would %s pod %s of %s", how, strings.Join(names, ", "), d.Name())
		return nil
	}
	return d.wait(ctx, what, func(dep *appsv1.Deployment) (bool, error) {
		return d.replaced(dep, names)
	})
}

// killing reports a pod this driver is about to delete (before the
// informers see the deletion).
func (d *Deployment) killing(p *corev1.Pod, force bool, how string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	version := d.versionOfPod(p)
	d.emit(cluster.Event{Kind: cluster.FaultInjected, Replica: p.Name, Version: version,
		Message: fmt.Sprintf("fault: %s pod %s", how, p.Name)})
	if force {
		d.track.killed[p.Name] = true
		d.emit(cluster.Event{Kind: cluster.ReplicaKilled, Replica: p.Name, Version: version,
			Message: fmt.Sprintf("pod %s killed (grace period 0)", p.Name)})
	}
}

// killTargets picks the pods f targets among the live pods of the
// Deployment (ready ones first, at random), and returns the number of
// live pods. A named pod must match the Deployment's selector.
func (d *Deployment) killTargets(ctx context.Context, f cluster.Fault) ([]*corev1.Pod, int, error) {
	d.mu.Lock()
	all, err := d.pods.Pods(d.o.Namespace).List(d.selector)
	sel := d.selector
	d.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	var live []*corev1.Pod
	for _, p := range all {
		if p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			live = append(live, p)
		}
	}
	if f.Replica != "" {
		p, err := d.namedPod(ctx, f.Replica, sel)
		return []*corev1.Pod{p}, len(live), err
	}
	n, err := f.Targets(len(live))
	if err != nil {
		return nil, len(live), err
	}
	rand.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	slices.SortStableFunc(live, func(a, b *corev1.Pod) int { return boolInt(podutils.IsPodReady(b)) - boolInt(podutils.IsPodReady(a)) })
	return live[:n], len(live), nil
}

// namedPod returns the pod name, refusing one outside the selector or
// already terminating.
func (d *Deployment) namedPod(ctx context.Context, name string, sel labels.Selector) (*corev1.Pod, error) {
	p, err := d.client.CoreV1().Pods(d.o.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("pod %q not found in namespace %s", name, d.o.Namespace)
	}
	if err != nil {
		return nil, apiError(err, "get", "pods", d.o.Namespace)
	}
	if !sel.Matches(labels.Set(p.Labels)) {
		return nil, fmt.Errorf("pod %q is not part of %s (its labels do not match the selector %s): refused", name, d.Name(), sel)
	}
	if p.DeletionTimestamp != nil {
		return nil, fmt.Errorf("pod %q is already terminating", name)
	}
	return p, nil
}

// replaced reports whether the killed pods are out (gone or terminating)
// and as many ready pods of the current revision serve as desired, with
// the rollout status done; d.mu must be held.
func (d *Deployment) replaced(dep *appsv1.Deployment, killed []string) (bool, error) {
	pods, err := d.pods.Pods(d.o.Namespace).List(d.selector)
	if err != nil {
		return false, err
	}
	newRS := newReplicaSet(dep, d.ownReplicaSets(dep))
	ready := 0
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		if slices.Contains(killed, p.Name) {
			return false, nil
		}
		if podutils.IsPodReady(p) && newRS != nil && controllerUID(p.OwnerReferences) == newRS.UID {
			ready++
		}
	}
	if ready < replicasOf(dep) {
		return false, nil
	}
	return d.rolledOut(dep)
}

// podNames lists the pods' names.
func podNames(pods []*corev1.Pod) []string {
	names := make([]string, len(pods))
	for i, p := range pods {
		names[i] = p.Name
	}
	return names
}

// boolInt is 1 for true.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
