package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/scalelab/scalelab/experiments"
	"github.com/spf13/pflag"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// loadgenName names the Job running scalelab in the cluster.
const loadgenName = "scalelab-loadgen"

// checkLoadgen checks loadgen.yaml: a Job that runs once, as a
// ServiceAccount of rbac.yaml, the image's scalelab run with flags the
// real command takes and steps that parse, on the demo's Deployment,
// within its deadline, with pods the demo's selector never picks.
func checkLoadgen(ctx context.Context, bin string, objs, demo, rbac []runtime.Object, im image) error {
	job, ok := named[*batchv1.Job](objs, loadgenName)
	if !ok {
		return fmt.Errorf("loadgen.yaml: no Job %s", loadgenName)
	}
	spec := &job.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		return fmt.Errorf("loadgen.yaml: %d containers, want scalelab alone", len(spec.Containers))
	}
	c := spec.Containers[0]
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if job.Spec.BackoffLimit == nil || *job.Spec.BackoffLimit != 0 || spec.RestartPolicy != corev1.RestartPolicyNever {
		fail("backoffLimit %s, restartPolicy %q: want 0 and Never, one run of the experiment", show(job.Spec.BackoffLimit), spec.RestartPolicy)
	}
	if _, ok := named[*corev1.ServiceAccount](rbac, spec.ServiceAccountName); !ok {
		fail("serviceAccountName %q: want a ServiceAccount of rbac.yaml", spec.ServiceAccountName)
	}
	if a := spec.AutomountServiceAccountToken; a != nil && !*a {
		fail("automountServiceAccountToken false: scalelab needs its token to reach the API server")
	}
	if !strings.HasPrefix(c.Image, demoRepo+":") || len(c.Command) < 2 || !slices.Contains(im.files, c.Command[0]) || c.Command[1] != "run" {
		fail("image %s command %q: want %s:TAG running the image's binary with run", c.Image, c.Command, demoRepo)
	}
	args := append(slices.Clone(c.Command[min(len(c.Command), 2):]), c.Args...)
	errs = append(errs, checkRunFlags(ctx, bin, args), checkRunTarget(args, job, demo), checkLockedDown(spec, c))
	return prefix("loadgen.yaml: Job "+loadgenName, errors.Join(errs...))
}

// checkRunFlags asks the real scalelab run whether it takes the flags
// (`scalelab run FLAGS --help` fails on an unknown flag or a bad value)
// and parses the steps with the steps' own parser.
func checkRunFlags(ctx context.Context, bin string, args []string) error {
	out, err := exec.CommandContext(ctx, bin, append(append([]string{"run"}, args...), "--help")...).CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return fmt.Errorf("scalelab run: %s", lines[0])
	}
	fs := runFlags(args)
	steps, _ := fs.GetStringArray("step")
	if _, err := experiments.ParseSteps(steps); err != nil {
		return err
	}
	return nil
}

// runFlags parses the few run flags the checks read; the real command
// judges all of them.
func runFlags(args []string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.ParseErrorsAllowlist.UnknownFlags = true
	fs.SetOutput(io.Discard)
	fs.String("k8s", "", "")
	fs.Duration("duration", 0, "")
	fs.StringArray("step", nil, "")
	_ = fs.Parse(args)
	return fs
}

// checkRunTarget checks that the Job drives the demo's Deployment, ends
// before its deadline, and that its pods are out of the demo's reach.
func checkRunTarget(args []string, job *batchv1.Job, demo []runtime.Object) error {
	fs := runFlags(args)
	var errs []error
	target, _ := fs.GetString("k8s")
	name, ok := strings.CutPrefix(target, "deployment/")
	d, found := named[*appsv1.Deployment](demo, name)
	if !ok || !found {
		return fmt.Errorf("--k8s %q: want deployment/NAME of a Deployment in demo.yaml", target)
	}
	if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil && sel.Matches(labels.Set(job.Spec.Template.Labels)) {
		errs = append(errs, fmt.Errorf("the Deployment's selector %s picks the Job's pods: a kill step could delete scalelab", sel))
	}
	dur, _ := fs.GetDuration("duration")
	if dl := job.Spec.ActiveDeadlineSeconds; dur <= 0 || dl == nil || time.Duration(*dl)*time.Second < dur+time.Minute {
		errs = append(errs, fmt.Errorf("--duration %s, activeDeadlineSeconds %s: want a bounded run that ends a minute or more before the deadline", dur, show(dl)))
	}
	return errors.Join(errs...)
}

// show prints an optional field's value, or "unset".
func show[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}
