package k8s

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/scalelab/scalelab/cluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
)

// Scale sets the Deployment's replicas through its scale subresource and
// returns when the rollout status says "successfully rolled out" at that
// count. A later Scale, or a change of the replicas by another client,
// supersedes it. Refused below Options.MinReplicas, under ReadOnly; under
// DryRun the server checks the change and nothing waits.
func (d *Deployment) Scale(ctx context.Context, n int) error {
	what := fmt.Sprintf("scale %s to %d", d.Name(), n)
	if err := d.o.refuseReadOnly("scale"); err != nil {
		return err
	}
	if err := d.o.checkScale(n); err != nil {
		return err
	}
	dep, err := d.current(what)
	if err != nil {
		return err
	}
	if d.o.DryRun {
		if err := d.updateScale(ctx, n); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		d.note("dry run: would scale %s %d → %d", d.Name(), replicasOf(dep), n)
		return nil
	}
	d.mu.Lock()
	d.scaleGen++
	gen := d.scaleGen
	d.notify()
	d.mu.Unlock()
	if err := d.updateScale(ctx, n); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	seen := false
	return d.wait(ctx, what, func(dep *appsv1.Deployment) (bool, error) {
		if d.scaleGen != gen {
			return false, cluster.ErrSuperseded
		}
		if r := replicasOf(dep); r != n {
			if seen {
				return false, fmt.Errorf("replicas changed to %d by another client: %w", r, cluster.ErrSuperseded)
			}
			return false, nil
		}
		seen = true
		return d.rolledOut(dep)
	})
}

// updateScale writes n to the scale subresource, retrying on conflicts.
func (d *Deployment) updateScale(ctx context.Context, n int) error {
	c := d.client.AppsV1().Deployments(d.o.Namespace)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s, err := c.GetScale(ctx, d.o.Name, metav1.GetOptions{})
		if err != nil {
			return apiError(err, "get", "deployments/scale", d.o.Namespace)
		}
		s.Spec.Replicas = int32(n)
		_, err = c.UpdateScale(ctx, d.o.Name, s, metav1.UpdateOptions{DryRun: d.o.dryRun()})
		if apierrors.IsConflict(err) {
			return err
		}
		return apiError(err, "update", "deployments/scale", d.o.Namespace)
	})
}

// Upgrade rolls out version: a tag ("v2") replaces the tag of the chosen
// container's image, an image ("repo/name:v2") the whole image. It
// patches the container as `kubectl set image` does and returns when the
// rollout status says "successfully rolled out". A later upgrade,
// rollback or restart supersedes it; so does another client changing
// the image.
func (d *Deployment) Upgrade(ctx context.Context, version string) error {
	what := fmt.Sprintf("upgrade %s to %s", d.Name(), version)
	if err := d.o.refuseReadOnly("upgrade"); err != nil {
		return err
	}
	if err := d.refuseHeldCanary(what); err != nil {
		return err
	}
	dep, err := d.current(what)
	if err != nil {
		return err
	}
	c, err := d.upgradeContainer(dep)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	image, err := withVersion(c.Image, version)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	from := versionOf(c.Image)
	if image == c.Image {
		return d.wait(ctx, what, d.rolledOut) // the current version: no-op
	}
	patch, err := imagePatch(c.Name, image)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if d.o.DryRun {
		if _, err := d.patch(ctx, types.StrategicMergePatchType, patch); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		d.note("dry run: would upgrade %s %s → %s (image %s)", d.Name(), from, versionOf(image), image)
		return nil
	}
	gen := d.bumpTemplate()
	res, err := d.patch(ctx, types.StrategicMergePatchType, patch)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return d.waitTemplate(ctx, what, gen, res.Generation, func(dep *appsv1.Deployment) bool {
		c := d.container(dep.Spec.Template.Spec.Containers)
		return c != nil && c.Image == image
	})
}

// upgradeContainer is the container an upgrade changes: Options.Container
// or the only one.
func (d *Deployment) upgradeContainer(dep *appsv1.Deployment) (*corev1.Container, error) {
	cs := dep.Spec.Template.Spec.Containers
	switch {
	case d.o.Container == "" && len(cs) > 1:
		return nil, fmt.Errorf("%s has %d containers (%s): choose one with --container", d.Name(), len(cs), containerNames(cs))
	case len(cs) == 0:
		return nil, fmt.Errorf("%s has no containers", d.Name())
	}
	if c := d.container(cs); c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("container %q not in %s (containers: %s)", d.o.Container, d.Name(), containerNames(cs))
}

// imagePatch is the strategic merge patch that sets container's image.
func imagePatch(container, image string) ([]byte, error) {
	type c struct {
		Name  string `json:"name"`
		Image string `json:"image"`
	}
	var p struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []c `json:"containers"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	p.Spec.Template.Spec.Containers = []c{{Name: container, Image: image}}
	return json.Marshal(p)
}

// patch patches the Deployment (server-side dry run under DryRun).
func (d *Deployment) patch(ctx context.Context, pt types.PatchType, data []byte) (*appsv1.Deployment, error) {
	res, err := d.client.AppsV1().Deployments(d.o.Namespace).Patch(ctx, d.o.Name, pt, data,
		metav1.PatchOptions{DryRun: d.o.dryRun()})
	return res, apiError(err, "patch", "deployments", d.o.Namespace)
}

// bumpTemplate starts a template action, superseding the one waiting.
func (d *Deployment) bumpTemplate() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.templateGen++
	d.notify()
	return d.templateGen
}

// waitTemplate waits for the rollout of the Deployment's generation gen
// (or later) that template action tgen started, while ours(dep) holds.
func (d *Deployment) waitTemplate(ctx context.Context, what string, tgen uint64, gen int64, ours func(*appsv1.Deployment) bool) error {
	return d.wait(ctx, what, func(dep *appsv1.Deployment) (bool, error) {
		if d.templateGen != tgen {
			return false, cluster.ErrSuperseded
		}
		if dep.Generation < gen {
			return false, nil
		}
		if !ours(dep) {
			return false, fmt.Errorf("pod template changed by another client: %w", cluster.ErrSuperseded)
		}
		return d.rolledOut(dep)
	})
}

// rolledOut is kubectl's rollout status: done when "successfully rolled
// out", an error when the progress deadline passed.
func (d *Deployment) rolledOut(dep *appsv1.Deployment) (bool, error) {
	_, done, err := d.rolloutStatus(dep)
	return done, err
}

// current returns the informer's copy of the Deployment, or why the
// driver cannot act.
func (d *Deployment) current(what string) (*appsv1.Deployment, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.usable(what); err != nil {
		return nil, err
	}
	dep, err := d.deps.Deployments(d.o.Namespace).Get(d.o.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: deployment not found in namespace %s (deleted?)", what, d.o.Namespace)
	}
	return dep.DeepCopy(), nil
}

// wait blocks until cond (called with d.mu held, on the informer's copy
// of the Deployment) reports done or an error, the driver stops, or ctx
// ends. It reads again after every change the informers see.
func (d *Deployment) wait(ctx context.Context, what string, cond func(*appsv1.Deployment) (bool, error)) error {
	for {
		d.mu.Lock()
		ch := d.changed
		var done bool
		err := d.usable(what)
		if err == nil {
			dep, gerr := d.deps.Deployments(d.o.Namespace).Get(d.o.Name)
			if gerr != nil {
				err = errors.New("the deployment was deleted")
			} else {
				done, err = cond(dep)
			}
		}
		d.mu.Unlock()
		switch {
		case errors.Is(err, cluster.ErrStopped):
			return err
		case err != nil:
			return fmt.Errorf("%s: %w", what, err)
		case done:
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, context.Cause(ctx))
		}
	}
}
