package k8s

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/scalelab/scalelab/cluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var _ cluster.Canary = (*Deployment)(nil)

// A canary on a Deployment needs no controller beyond the deployment
// controller. StartCanary changes, in one patch, the pod template's
// image, the strategy to the canary's step (maxSurge N and maxUnavailable
// 0 when the Deployment surges, else maxSurge 0 and maxUnavailable N: it
// keeps the Deployment's choice between extra pods and fewer), and
// minReadySeconds to just under the progress deadline. The controller
// then creates the new ReplicaSet with N replicas and takes the next step
// only once they are available; its new pods are ready (in the
// Service's endpoints, serving) but not available for minReadySeconds, a
// value only the new ReplicaSet takes (the controller leaves the old
// ones' as they are, so the old pods stay available). So the rollout
// holds at exactly N new pods, with no race to win; the driver then
// pauses it (`kubectl rollout pause`: a paused rollout has no progress
// deadline, so the hold lasts). PromoteCanary restores the strategy and
// minReadySeconds and resumes, in one patch: the rollout completes as
// the Deployment's own. AbortCanary restores them with the pod template
// of the ReplicaSet the canary started from, and resumes: that
// ReplicaSet is the Deployment's again, at its full count, and the
// canary's pods are scaled down (`kubectl rollout undo` of a paused
// Deployment is refused, hence the one patch).

// canaryHold is the canary the driver holds: what it changed, to undo.
type canaryHold struct {
	version, from string
	container     string // the container it changes
	image         string // the canary's image
	replicas      int
	strategy      appsv1.DeploymentStrategy // the Deployment's own
	minReady      int32                     // its own minReadySeconds
	template      corev1.PodTemplateSpec    // the pod template the canary started from
}

// StartCanary starts the rolling upgrade to version and returns once
// exactly replicas pods of it are ready, held there (paused) beside the
// old ones behind the same Service (see the comment above). The
// Deployment must be rolled out (one version), not paused, with the
// RollingUpdate strategy; replicas is 1 up to one less than its desired
// replicas. A held canary ends with PromoteCanary or AbortCanary (or
// Rollback); an upgrade or restart meanwhile is refused.
func (d *Deployment) StartCanary(ctx context.Context, version string, replicas int) error {
	what := fmt.Sprintf("canary %s of %s on %d pods", version, d.Name(), replicas)
	if err := d.o.refuseReadOnly("canary"); err != nil {
		return err
	}
	dep, err := d.current(what)
	if err != nil {
		return err
	}
	hold, err := d.canaryFor(dep, what, version, replicas)
	if err != nil {
		return err
	}
	patch, err := canaryPatch(dep, hold)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if d.o.DryRun {
		if _, err := d.patch(ctx, types.StrategicMergePatchType, patch); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		d.note("dry run: would start canary %s → %s on %d of %d pods (image %s)", hold.from, version, replicas, replicasOf(dep), hold.image)
		return nil
	}
	d.mu.Lock()
	if d.canary != nil {
		d.mu.Unlock()
		return fmt.Errorf("%s: a canary of %s is already held: promote or roll it back first", what, d.canary.version)
	}
	d.canary = hold
	d.mu.Unlock()
	tgen := d.bumpTemplate()
	res, err := d.patch(ctx, types.StrategicMergePatchType, patch)
	if err != nil {
		d.mu.Lock()
		d.canary = nil
		d.mu.Unlock()
		return fmt.Errorf("%s: %w", what, err)
	}
	if surge, _ := fenceposts(res); surge > 0 {
		d.note("canary %s → %s: %d pods of %s beside the %d of %s (max surge %d, max unavailable 0, minReadySeconds %d until paused)",
			hold.from, version, replicas, version, replicasOf(res), hold.from, surge, res.Spec.MinReadySeconds)
	} else {
		d.note("canary %s → %s: %d of %d pods (max surge 0, max unavailable %d, minReadySeconds %d until paused)",
			hold.from, version, replicas, replicasOf(res), replicas, res.Spec.MinReadySeconds)
	}
	// The new ReplicaSet first, then the pause, then its pods ready.
	if err := d.waitCanary(ctx, what, tgen, res.Generation, hold, false); err != nil {
		return err
	}
	if err := d.setPaused(ctx, true); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return d.waitCanary(ctx, what, tgen, res.Generation, hold, true)
}

// canaryFor checks that a canary can start on dep and returns what it
// will hold.
func (d *Deployment) canaryFor(dep *appsv1.Deployment, what, version string, replicas int) (*canaryHold, error) {
	desired := replicasOf(dep)
	c, err := d.upgradeContainer(dep)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	image, err := withVersion(c.Image, version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	d.mu.Lock()
	held := d.canary
	cur := newReplicaSet(dep, d.ownReplicaSets(dep))
	_, done, _ := d.rolloutStatus(dep)
	d.mu.Unlock()
	switch {
	case held != nil:
		return nil, fmt.Errorf("%s: a canary of %s is already held: promote or roll it back first", what, held.version)
	case image == c.Image:
		return nil, fmt.Errorf("%s: it is the current version: nothing would roll out", what)
	case dep.Spec.Paused:
		return nil, fmt.Errorf("%s: the rollout is paused: resume it first", what)
	case dep.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType:
		return nil, fmt.Errorf("%s: the Deployment's strategy is Recreate: a canary needs RollingUpdate (old and new serving together)", what)
	case replicas < 1 || replicas >= desired:
		return nil, fmt.Errorf("%s: want 1 to %d pods of %d (the others stay on %s)", what, desired-1, desired, versionOf(c.Image))
	case !done || cur == nil:
		return nil, fmt.Errorf("%s: a rollout is in progress: wait for it, or roll it back", what)
	}
	t := *cur.Spec.Template.DeepCopy()
	t.Labels = maps.Clone(t.Labels)
	delete(t.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return &canaryHold{
		version: versionOf(image), from: versionOf(c.Image), container: c.Name, image: image, replicas: replicas,
		strategy: *dep.Spec.Strategy.DeepCopy(), minReady: dep.Spec.MinReadySeconds, template: t,
	}, nil
}

// canaryPatch is the strategic merge patch that starts hold's canary on
// dep: the image, the strategy's step and minReadySeconds.
func canaryPatch(dep *appsv1.Deployment, hold *canaryHold) ([]byte, error) {
	surge, _ := fenceposts(dep)
	n, zero := intstr.FromInt32(int32(hold.replicas)), intstr.FromInt32(0)
	ru := appsv1.RollingUpdateDeployment{MaxSurge: &n, MaxUnavailable: &zero}
	if surge == 0 {
		ru = appsv1.RollingUpdateDeployment{MaxSurge: &zero, MaxUnavailable: &n}
	}
	// Just under the progress deadline (validation wants it below), as
	// long as the pause takes to land: milliseconds.
	minReady := int32(3600)
	if pd := dep.Spec.ProgressDeadlineSeconds; pd != nil {
		minReady = min(minReady, max(*pd-1, 0))
	}
	var p struct {
		Spec struct {
			MinReadySeconds int32 `json:"minReadySeconds"`
			Strategy        struct {
				Type          appsv1.DeploymentStrategyType   `json:"type"`
				RollingUpdate *appsv1.RollingUpdateDeployment `json:"rollingUpdate"`
			} `json:"strategy"`
			Template struct {
				Spec struct {
					Containers []map[string]string `json:"containers"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	p.Spec.MinReadySeconds = minReady
	p.Spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
	p.Spec.Strategy.RollingUpdate = &ru
	p.Spec.Template.Spec.Containers = []map[string]string{{"name": hold.container, "image": hold.image}}
	return json.Marshal(p)
}

// waitCanary waits for the canary's new ReplicaSet (ready: with its
// replicas ready, the Deployment paused) while the template is hold's.
func (d *Deployment) waitCanary(ctx context.Context, what string, tgen uint64, gen int64, hold *canaryHold, ready bool) error {
	return d.wait(ctx, what, func(dep *appsv1.Deployment) (bool, error) {
		if d.templateGen != tgen || d.canary != hold {
			return false, cluster.ErrSuperseded
		}
		if dep.Generation < gen || dep.Status.ObservedGeneration < gen {
			return false, nil
		}
		if c := d.container(dep.Spec.Template.Spec.Containers); c == nil || c.Image != hold.image {
			return false, fmt.Errorf("pod template changed by another client: %w", cluster.ErrSuperseded)
		}
		rs := newReplicaSet(dep, d.ownReplicaSets(dep))
		if rs == nil {
			return false, nil
		}
		if c := d.container(rs.Spec.Template.Spec.Containers); c == nil || c.Image != hold.image {
			return false, nil
		}
		if n := replicasOfRS(rs); n > hold.replicas {
			return false, fmt.Errorf("the new ReplicaSet %s has %d replicas, past the canary's %d", rs.Name, n, hold.replicas)
		}
		if !ready {
			return replicasOfRS(rs) == hold.replicas, nil
		}
		if !dep.Spec.Paused {
			return false, errors.New("resumed by another client before the canary was held")
		}
		return int(rs.Status.ReadyReplicas) >= hold.replicas, nil
	})
}

// replicasOfRS is a ReplicaSet's desired replicas.
func replicasOfRS(rs *appsv1.ReplicaSet) int {
	if rs.Spec.Replicas == nil {
		return 1
	}
	return int(*rs.Spec.Replicas)
}

// PromoteCanary completes the held canary: the Deployment's strategy and
// minReadySeconds back, resumed, in one patch; it returns when every pod
// runs the canary's version (the rollout status says "successfully
// rolled out").
func (d *Deployment) PromoteCanary(ctx context.Context) error {
	what := "promote the canary of " + d.Name()
	hold, res, tgen, err := d.endCanary(ctx, what, true)
	if err != nil || d.o.DryRun {
		return err
	}
	return d.waitTemplate(ctx, what, tgen, res.Generation, func(dep *appsv1.Deployment) bool {
		c := d.container(dep.Spec.Template.Spec.Containers)
		return c != nil && c.Image == hold.image
	})
}

// AbortCanary rolls the held canary back: the pod template it started
// from, the Deployment's strategy and minReadySeconds back, resumed, in
// one patch; it returns when every pod runs that version again.
func (d *Deployment) AbortCanary(ctx context.Context) error {
	what := "roll back the canary of " + d.Name()
	hold, res, tgen, err := d.endCanary(ctx, what, false)
	if err != nil || d.o.DryRun {
		return err
	}
	return d.waitTemplate(ctx, what, tgen, res.Generation, func(dep *appsv1.Deployment) bool {
		return d.versionOfTemplate(&dep.Spec.Template) == hold.from
	})
}

// endCanary patches the Deployment out of the held canary, promoting it
// or not, and releases the hold; it returns the hold, the patched
// Deployment and the template action it started.
func (d *Deployment) endCanary(ctx context.Context, what string, promote bool) (*canaryHold, *appsv1.Deployment, uint64, error) {
	verb := "promote"
	if !promote {
		verb = "rollback"
	}
	if err := d.o.refuseReadOnly(verb); err != nil {
		return nil, nil, 0, err
	}
	if _, err := d.current(what); err != nil {
		return nil, nil, 0, err
	}
	d.mu.Lock()
	hold := d.canary
	d.mu.Unlock()
	if hold == nil {
		return nil, nil, 0, fmt.Errorf("%s: no canary is held", what)
	}
	patch, err := endCanaryPatch(hold, promote)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %w", what, err)
	}
	if d.o.DryRun {
		if _, err := d.patch(ctx, types.JSONPatchType, patch); err != nil {
			return nil, nil, 0, fmt.Errorf("%s: %w", what, err)
		}
		d.note("dry run: would %s the canary %s", verb, hold.version)
		return hold, nil, 0, nil
	}
	tgen := d.bumpTemplate()
	if !promote {
		d.setRollbackTo(hold.from)
	}
	res, err := d.patch(ctx, types.JSONPatchType, patch)
	if err != nil {
		d.setRollbackTo("")
		return nil, nil, 0, fmt.Errorf("%s: %w", what, err)
	}
	d.mu.Lock()
	if d.canary == hold {
		d.canary = nil
	}
	d.mu.Unlock()
	if promote {
		d.note("canary %s promoted: the rollout of %s resumes with its own strategy", hold.version, d.Name())
	}
	return hold, res, tgen, nil
}

// endCanaryPatch is the JSON patch that ends hold: the strategy and
// minReadySeconds restored, the rollout resumed, and, unless promoted,
// the pod template the canary started from.
func endCanaryPatch(hold *canaryHold, promote bool) ([]byte, error) {
	type op struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	ops := []op{
		{"add", "/spec/strategy", hold.strategy},
		{"add", "/spec/minReadySeconds", hold.minReady},
		{"add", "/spec/paused", false},
	}
	if !promote {
		ops = append(ops, op{"replace", "/spec/template", hold.template})
	}
	return json.Marshal(ops)
}

// heldCanary returns the canary held, nil when none.
func (d *Deployment) heldCanary() *canaryHold {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.canary
}

// refuseHeldCanary refuses action what while a canary is held: its
// strategy and minReadySeconds are the canary's until it ends.
func (d *Deployment) refuseHeldCanary(what string) error {
	if h := d.heldCanary(); h != nil {
		return fmt.Errorf("%s: a canary of %s is held: promote or roll it back first", what, h.version)
	}
	return nil
}
