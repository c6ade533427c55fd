package k8s

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scalelab/scalelab/cluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// Recently gone pods stay in State this long, at most goneMax of them.
const (
	goneFor = 30 * time.Second
	goneMax = 16
)

// tracker is what the driver reported last, to turn informer updates
// into events.
type tracker struct {
	everReady  map[string]bool      // pods that were ready once
	inEps      map[string]bool      // pods (or addresses) in the ready endpoints
	killed     map[string]bool      // pods deleted by a forced kill
	gone       []goneReplica        // pods deleted recently, oldest first
	watchNotes map[string]time.Time // resource → last dropped-watch note

	rolling, scaling, stalled bool
	progress                  string // last progress message
	rollbackTo                string // version of a rollback this driver started
}

// goneReplica is a deleted pod's last state.
type goneReplica struct {
	at      time.Time
	created time.Time
	replica cluster.Replica
}

func newTracker() tracker {
	return tracker{
		everReady:  map[string]bool{},
		inEps:      map[string]bool{},
		killed:     map[string]bool{},
		watchNotes: map[string]time.Time{},
	}
}

// goneReplicas lists the pods gone within goneFor.
func (t *tracker) goneReplicas() []cluster.Replica {
	cut := time.Now().Add(-goneFor)
	t.gone = slices.DeleteFunc(t.gone, func(g goneReplica) bool { return g.at.Before(cut) })
	out := make([]cluster.Replica, 0, len(t.gone))
	for _, g := range t.gone {
		out = append(out, g.replica)
	}
	return out
}

// deploymentHandler reports scales, rollouts and their progress.
func (d *Deployment) deploymentHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, _ bool) {
			dep, ok := obj.(*appsv1.Deployment)
			if !ok {
				return
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			_, done, _ := d.rolloutStatus(dep)
			d.track.rolling = !done
			d.notify()
		},
		UpdateFunc: func(oldObj, newObj any) {
			old, ok1 := oldObj.(*appsv1.Deployment)
			dep, ok2 := newObj.(*appsv1.Deployment)
			if !ok1 || !ok2 {
				return
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			d.deploymentChanged(old, dep)
			d.notify()
		},
		DeleteFunc: func(any) {
			d.note("%s was deleted", d.Name())
			d.mu.Lock()
			defer d.mu.Unlock()
			d.notify()
		},
	}
}

// deploymentChanged reports what changed from old to dep; d.mu must be
// held.
func (d *Deployment) deploymentChanged(old, dep *appsv1.Deployment) {
	if o, n := replicasOf(old), replicasOf(dep); o != n {
		d.track.scaling = true
		d.emit(cluster.Event{Kind: cluster.ScaleStarted, Version: d.versionOfTemplate(&dep.Spec.Template),
			Message: fmt.Sprintf("scale %d → %d", o, n)})
	}
	if !apiequality.Semantic.DeepEqual(old.Spec.Template, dep.Spec.Template) {
		d.rolloutStarted(old, dep)
	}
	if old.Spec.Paused != dep.Spec.Paused {
		verb := "paused"
		if !dep.Spec.Paused {
			verb = "resumed"
		}
		d.note("rollout of %s %s", d.Name(), verb)
	}
	d.reportProgress(dep)
}

// rolloutStarted reports a new pod template; d.mu must be held.
func (d *Deployment) rolloutStarted(old, dep *appsv1.Deployment) {
	from, to := d.versionOfTemplate(&old.Spec.Template), d.versionOfTemplate(&dep.Spec.Template)
	d.track.rolling, d.track.progress, d.track.stalled = true, "", false
	surge, unavailable := fenceposts(dep)
	e := cluster.Event{Kind: cluster.RolloutStarted, Version: to,
		Message: fmt.Sprintf("rollout %s → %s (max surge %d, max unavailable %d)", from, to, surge, unavailable)}
	switch {
	case d.track.rollbackTo != "" && d.track.rollbackTo == to:
		e.Kind, e.Message = cluster.Rollback, fmt.Sprintf("rollback %s → %s", from, to)
		d.track.rollbackTo = ""
	case from == to:
		e.Message = fmt.Sprintf("rollout %s: pod template changed (max surge %d, max unavailable %d)", to, surge, unavailable)
	}
	d.emit(e)
}

// reportProgress reports the rollout's progress and the end of a rollout
// or scale, in the words of kubectl's status viewer; d.mu must be held.
func (d *Deployment) reportProgress(dep *appsv1.Deployment) {
	msg, done, err := d.rolloutStatus(dep)
	version := d.versionOfTemplate(&dep.Spec.Template)
	if err != nil {
		if !d.track.stalled {
			d.track.stalled = true
			d.emit(cluster.Event{Kind: cluster.Note, Version: version, Message: "rollout stalled: " + err.Error()})
		}
		return
	}
	d.track.stalled = false
	if d.track.rolling {
		if done {
			d.track.rolling, d.track.progress = false, ""
			d.emit(cluster.Event{Kind: cluster.RolloutDone, Version: version,
				Message: fmt.Sprintf("rollout %s done: %s", version, msg)})
		} else if p := cluster.ProgressText(msg); p != d.track.progress {
			d.track.progress = p
			d.emit(cluster.Event{Kind: cluster.RolloutProgress, Version: version,
				Message: fmt.Sprintf("rollout %s: %s", version, p)})
		}
	}
	if d.track.scaling && done {
		d.track.scaling = false
		d.emit(cluster.Event{Kind: cluster.ScaleDone, Version: version,
			Message: fmt.Sprintf("scaled to %d: all ready", replicasOf(dep))})
	}
}

// changeHandler runs sync (unless nil) and wakes the waiters, with d.mu
// held, on any change of the informer's objects (ReplicaSets: revisions
// and ready counts; autoscalers; EndpointSlices).
func (d *Deployment) changeHandler(sync func()) cache.ResourceEventHandler {
	changed := func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if sync != nil {
			sync()
		}
		d.notify()
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { changed() },
		UpdateFunc: func(any, any) { changed() },
		DeleteFunc: func(any) { changed() },
	}
}

// podHandler reports the pods' lifecycle.
func (d *Deployment) podHandler() cache.ResourceEventHandler {
	locked := func(f func()) {
		d.mu.Lock()
		defer d.mu.Unlock()
		f()
	}
	return cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, initial bool) {
			if p, ok := obj.(*corev1.Pod); ok {
				locked(func() { d.podChanged(nil, p, !initial) })
			}
		},
		UpdateFunc: func(oldObj, obj any) {
			old, ok1 := oldObj.(*corev1.Pod)
			p, ok2 := obj.(*corev1.Pod)
			if ok1 && ok2 {
				locked(func() { d.podChanged(old, p, false) })
			}
		},
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if p, ok := obj.(*corev1.Pod); ok {
				locked(func() { d.podGone(p) })
			}
		},
	}
}

// podChanged reports a pod's change from old (nil when just listed or
// added) to p: its start when added after the initial list, and its new
// phase; d.mu must be held.
func (d *Deployment) podChanged(old, p *corev1.Pod, added bool) {
	wasReady := d.track.everReady[p.Name]
	now := podPhase(p, wasReady)
	prev, known := cluster.Starting, added // an added pod was starting
	if old != nil {
		prev, known = podPhase(old, wasReady), true
	}
	if now == cluster.Ready {
		d.track.everReady[p.Name] = true
	}
	version := d.versionOfPod(p)
	ev := func(kind cluster.EventKind, format string, args ...any) {
		d.emit(cluster.Event{Kind: kind, Replica: p.Name, Version: version, Message: fmt.Sprintf(format, args...)})
	}
	if added {
		ev(cluster.ReplicaStarted, "pod %s started (%s)", p.Name, version)
	}
	if known && prev != now {
		switch now {
		case cluster.Ready:
			ev(cluster.ReplicaReady, "pod %s ready", p.Name)
		case cluster.Unready:
			ev(cluster.ReplicaUnready, "pod %s unready", p.Name)
		case cluster.Draining:
			ev(cluster.ReplicaDraining, "pod %s terminating (grace period %ds)", p.Name, grace(p))
		case cluster.Killed:
			ev(cluster.ReplicaKilled, "pod %s failed", p.Name)
		case cluster.Stopped:
			ev(cluster.ReplicaStopped, "pod %s completed", p.Name)
		}
	}
	d.syncEndpoints()
	d.notify()
}

// grace is the pod's deletion grace period in seconds.
func grace(p *corev1.Pod) int64 {
	if p.DeletionGracePeriodSeconds != nil {
		return *p.DeletionGracePeriodSeconds
	}
	return 0
}

// podGone reports a deleted pod and keeps it in State for a while; d.mu
// must be held.
func (d *Deployment) podGone(p *corev1.Pod) {
	phase := cluster.Stopped
	if d.track.killed[p.Name] || podPhase(p, false) == cluster.Killed {
		phase = cluster.Killed
	}
	version := d.versionOfPod(p)
	d.emit(cluster.Event{Kind: cluster.ReplicaStopped, Replica: p.Name, Version: version,
		Message: fmt.Sprintf("pod %s gone", p.Name)})
	d.track.gone = append(d.track.gone, goneReplica{at: time.Now(), created: p.CreationTimestamp.Time,
		replica: cluster.Replica{Name: p.Name, Version: version, Phase: phase, Node: p.Spec.NodeName, Restarts: restarts(p)}})
	if len(d.track.gone) > goneMax {
		d.track.gone = d.track.gone[len(d.track.gone)-goneMax:]
	}
	delete(d.track.everReady, p.Name)
	delete(d.track.killed, p.Name)
	d.syncEndpoints()
	d.notify()
}

// eventHandler reports the Kubernetes Events about the Deployment, its
// ReplicaSets and its pods that happen from now on (a repeated Event
// counts again).
func (d *Deployment) eventHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, initial bool) {
			if ev, ok := obj.(*corev1.Event); ok && !initial {
				d.kubeEvent(ev)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			old, ok1 := oldObj.(*corev1.Event)
			ev, ok2 := newObj.(*corev1.Event)
			if ok1 && ok2 && occurrences(ev) > occurrences(old) {
				d.kubeEvent(ev)
			}
		},
	}
}

// occurrences counts how often an Event happened.
func occurrences(ev *corev1.Event) int32 {
	if ev.Series != nil {
		return max(ev.Series.Count, ev.Count)
	}
	return ev.Count
}

// kubeEvent publishes ev when it is about the Deployment, one of its
// ReplicaSets or one of their pods.
func (d *Deployment) kubeEvent(ev *corev1.Event) {
	d.mu.Lock()
	about := d.about(ev.InvolvedObject)
	d.mu.Unlock()
	if !about {
		return
	}
	e := cluster.Event{Kind: cluster.KubeEvent, Message: kubeEventText(ev)}
	if ev.InvolvedObject.Kind == "Pod" {
		e.Replica = ev.InvolvedObject.Name
	}
	d.emit(e)
}

// kubeEventText is "k8s Event: REASON kind/name: message", on one line.
func kubeEventText(ev *corev1.Event) string {
	return fmt.Sprintf("k8s Event: %s %s/%s: %s", ev.Reason, strings.ToLower(ev.InvolvedObject.Kind),
		ev.InvolvedObject.Name, oneLine(ev.Message))
}

// about reports whether ref is the Deployment, one of its ReplicaSets or
// one of their pods (a pod's name is its ReplicaSet's and a suffix, so a
// pod already gone is recognised too); d.mu must be held.
func (d *Deployment) about(ref corev1.ObjectReference) bool {
	if d.deps == nil || ref.Namespace != "" && ref.Namespace != d.o.Namespace {
		return false
	}
	dep, err := d.deps.Deployments(d.o.Namespace).Get(d.o.Name)
	if err != nil {
		return ref.Kind == "Deployment" && ref.Name == d.o.Name
	}
	ownRS := func(name string) bool {
		rs, err := d.rss.ReplicaSets(d.o.Namespace).Get(name)
		return err == nil && controllerUID(rs.OwnerReferences) == dep.UID
	}
	switch ref.Kind {
	case "Deployment":
		return ref.Name == d.o.Name
	case "ReplicaSet":
		return ownRS(ref.Name)
	case "Pod":
		if p, err := d.pods.Pods(d.o.Namespace).Get(ref.Name); err == nil {
			owner := metav1.GetControllerOf(p)
			return owner != nil && owner.Kind == "ReplicaSet" && ownRS(owner.Name)
		}
		i := strings.LastIndex(ref.Name, "-")
		return i > 0 && ownRS(ref.Name[:i])
	}
	return false
}
