package k8s

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/polymorphichelpers"
	"k8s.io/kubectl/pkg/scheme"
)

// restartedAtAnnotation is the pod template annotation `kubectl rollout
// restart` sets.
const restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

// Rollback rolls back to the previous revision with kubectl's
// DeploymentRollbacker (`kubectl rollout undo`), also in the middle of a
// rollout, and returns when it rolled out. A paused Deployment must be
// resumed first (kubectl's rule). A held canary is rolled back as
// AbortCanary does.
func (d *Deployment) Rollback(ctx context.Context) error {
	if d.heldCanary() != nil {
		return d.AbortCanary(ctx)
	}
	what := "roll back " + d.Name()
	if err := d.o.refuseReadOnly("rollback"); err != nil {
		return err
	}
	dep, err := d.current(what)
	if err != nil {
		return err
	}
	d.mu.Lock()
	prev := previousReplicaSet(d.ownReplicaSets(dep))
	d.mu.Unlock()
	if prev == nil {
		return fmt.Errorf("%s: no previous revision to roll back to", what)
	}
	from, to := d.versionOfTemplate(&dep.Spec.Template), d.versionOfTemplate(&prev.Spec.Template)
	rb, err := polymorphichelpers.RollbackerFor(deploymentKind, d.client)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if d.o.DryRun {
		if _, err := rb.Rollback(dep, nil, 0, cmdutil.DryRunServer); err != nil {
			return fmt.Errorf("%s: %w", what, apiError(err, "patch", "deployments", d.o.Namespace))
		}
		d.note("dry run: would roll back %s %s → %s (revision %d)", d.Name(), from, to, revision(prev))
		return nil
	}
	fresh, err := d.client.AppsV1().Deployments(d.o.Namespace).Get(ctx, d.o.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("%s: %w", what, apiError(err, "get", "deployments", d.o.Namespace))
	}
	tgen := d.bumpTemplate()
	d.setRollbackTo(to)
	msg, err := rb.Rollback(fresh, nil, 0, cmdutil.DryRunNone)
	if err != nil {
		d.setRollbackTo("")
		return fmt.Errorf("%s: %w", what, apiError(err, "patch", "deployments", d.o.Namespace))
	}
	gen := fresh.Generation + 1
	if strings.HasPrefix(msg, "skipped rollback") {
		d.setRollbackTo("")
		gen = fresh.Generation
	}
	return d.waitTemplate(ctx, what, tgen, gen, func(dep *appsv1.Deployment) bool {
		return d.versionOfTemplate(&dep.Spec.Template) == to
	})
}

// setRollbackTo marks the next template change to version as this
// driver's rollback, for its event.
func (d *Deployment) setRollbackTo(version string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.track.rollbackTo = version
}

// PauseRollout pauses the rollout (`kubectl rollout pause`) and returns
// once the deployment controller saw it. Pausing a paused Deployment
// does nothing.
func (d *Deployment) PauseRollout(ctx context.Context) error {
	return d.setPaused(ctx, true)
}

// ResumeRollout resumes a paused rollout (`kubectl rollout resume`) and
// returns once the deployment controller saw it, not when the rollout
// completed. A held canary is promoted: its rollout resumes with the
// Deployment's own strategy (see PromoteCanary, which also waits for it).
func (d *Deployment) ResumeRollout(ctx context.Context) error {
	if d.heldCanary() != nil {
		_, res, _, err := d.endCanary(ctx, "resume the rollout of "+d.Name(), true)
		if err != nil || res == nil {
			return err
		}
		return d.wait(ctx, "resume the rollout of "+d.Name(), func(dep *appsv1.Deployment) (bool, error) {
			return dep.Status.ObservedGeneration >= res.Generation && !dep.Spec.Paused, nil
		})
	}
	return d.setPaused(ctx, false)
}

// setPaused pauses or resumes with kubectl's object pauser or resumer.
func (d *Deployment) setPaused(ctx context.Context, paused bool) error {
	verb, mutate := "pause", (func(runtime.Object) ([]byte, error))(polymorphichelpers.ObjectPauserFn)
	if !paused {
		verb, mutate = "resume", polymorphichelpers.ObjectResumerFn
	}
	what := verb + " the rollout of " + d.Name()
	if err := d.o.refuseReadOnly(verb); err != nil {
		return err
	}
	dep, err := d.current(what)
	if err != nil {
		return err
	}
	if dep.Spec.Paused == paused {
		return nil
	}
	patch, err := twoWayPatch(dep, mutate)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	res, err := d.patch(ctx, types.StrategicMergePatchType, patch)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if d.o.DryRun {
		d.note("dry run: would %s the rollout of %s", verb, d.Name())
		return nil
	}
	return d.wait(ctx, what, func(dep *appsv1.Deployment) (bool, error) {
		return dep.Generation >= res.Generation && dep.Status.ObservedGeneration >= res.Generation && dep.Spec.Paused == paused, nil
	})
}

// Restart restarts every pod with a rolling restart (`kubectl rollout
// restart`: the kubectl.kubernetes.io/restartedAt annotation, RFC 3339)
// and returns when it rolled out. Like kubectl, it refuses a paused
// Deployment.
func (d *Deployment) Restart(ctx context.Context) error {
	what := "restart " + d.Name()
	if err := d.o.refuseReadOnly("restart"); err != nil {
		return err
	}
	if err := d.refuseHeldCanary(what); err != nil {
		return err
	}
	dep, err := d.current(what)
	if err != nil {
		return err
	}
	patch, err := twoWayPatch(dep, polymorphichelpers.ObjectRestarterFn)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if d.o.DryRun {
		if _, err := d.patch(ctx, types.StrategicMergePatchType, patch); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		d.note("dry run: would restart %s (rolling restart of %d pods)", d.Name(), replicasOf(dep))
		return nil
	}
	tgen := d.bumpTemplate()
	res, err := d.patch(ctx, types.StrategicMergePatchType, patch)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	at := res.Spec.Template.Annotations[restartedAtAnnotation]
	return d.waitTemplate(ctx, what, tgen, res.Generation, func(dep *appsv1.Deployment) bool {
		return dep.Spec.Template.Annotations[restartedAtAnnotation] == at
	})
}

// twoWayPatch is the strategic merge patch from dep to what mutate (one
// of kubectl's object pausers, resumers, restarters) makes of it, as
// kubectl computes it.
func twoWayPatch(dep *appsv1.Deployment, mutate func(runtime.Object) ([]byte, error)) ([]byte, error) {
	before, err := runtime.Encode(scheme.Codecs.LegacyCodec(appsv1.SchemeGroupVersion), dep)
	if err != nil {
		return nil, err
	}
	after, err := mutate(dep.DeepCopy())
	if err != nil {
		return nil, err
	}
	return strategicpatch.CreateTwoWayMergePatch(before, after, appsv1.Deployment{})
}
