package deploy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const (
	// demoName names the demo's Deployment and Service.
	demoName = "scalelab-demo"
	// demoRepo is the demo service's image, deploy/Dockerfile's build.
	demoRepo = "scalelab/target"
	// upgradeTag is the version `upgrade=v2` moves the demo to.
	upgradeTag = "v2"
	// drainMargin is what a stopping pod needs after its drain, within its
	// grace period: the last answers, closing connections, exiting.
	drainMargin = 5 * time.Second
)

// checkDemo checks demo.yaml: the rollout cannot lose requests, the
// Service selects the pods, ports and probes meet where the target
// listens and what it serves (asked of the real binary, started with the
// image's entrypoint and the Deployment's arguments), the grace period
// covers the drain, and the pods run locked down.
func checkDemo(ctx context.Context, bin string, objs []runtime.Object, im image) error {
	d, ok := named[*appsv1.Deployment](objs, demoName)
	if !ok {
		return fmt.Errorf("demo.yaml: no Deployment %s", demoName)
	}
	svc, ok := named[*corev1.Service](objs, demoName)
	if !ok {
		return fmt.Errorf("demo.yaml: no Service %s", demoName)
	}
	pod := &d.Spec.Template
	if len(pod.Spec.Containers) != 1 {
		return fmt.Errorf("demo.yaml: %d containers, want the target alone", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	errs := []error{checkRollout(d), checkSelectors(d, svc), checkLockedDown(&pod.Spec, c)}
	line, env, err := commandLine(c, im)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs, checkPorts(c, svc, line, env("")), checkServed(ctx, bin, &pod.Spec, c, line, env))
	return prefix("demo.yaml: Deployment "+demoName, errors.Join(errs...))
}

// checkRollout checks the replicas and the lossless rolling update.
func checkRollout(d *appsv1.Deployment) error {
	var errs []error
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 4 {
		errs = append(errs, fmt.Errorf("replicas %s: want 4, the demo's starting point", show(d.Spec.Replicas)))
	}
	st := d.Spec.Strategy
	if st.Type != appsv1.RollingUpdateDeploymentStrategyType || st.RollingUpdate == nil {
		return errors.Join(append(errs, fmt.Errorf("strategy %q: want RollingUpdate with maxSurge 1, maxUnavailable 0", st.Type))...)
	}
	if v := st.RollingUpdate.MaxUnavailable; v == nil || v.String() != "0" && v.String() != "0%" {
		errs = append(errs, fmt.Errorf("maxUnavailable %v: want 0, or an upgrade takes ready pods away before their replacements are ready", v))
	}
	if v := st.RollingUpdate.MaxSurge; v == nil || v.String() != "1" {
		errs = append(errs, fmt.Errorf("maxSurge %v: want 1, one new pod at a time", v))
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("selector: %w", err))
	case sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)):
		errs = append(errs, fmt.Errorf("selector %s does not select the pod template's labels %v", sel, d.Spec.Template.Labels))
	}
	return errors.Join(errs...)
}

// checkSelectors checks that the Service selects the Deployment's pods.
func checkSelectors(d *appsv1.Deployment, svc *corev1.Service) error {
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	if len(svc.Spec.Selector) == 0 || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		return fmt.Errorf("Service selector %v does not select the pods (labels %v)", svc.Spec.Selector, d.Spec.Template.Labels)
	}
	return nil
}

// commandLine is what the container runs, as the kubelet builds it:
// command replaces the image's entrypoint (and drops its CMD), args its
// CMD. env returns the container's environment for an image built with
// --build-arg VERSION=tag ("": the Deployment's own tag).
func commandLine(c corev1.Container, im image) ([]string, func(tag string) map[string]string, error) {
	line := append(append([]string(nil), im.entrypoint...), im.cmd...)
	switch {
	case len(c.Command) > 0:
		line = append(append([]string(nil), c.Command...), c.Args...)
	case len(c.Args) > 0:
		line = append(append([]string(nil), im.entrypoint...), c.Args...)
	}
	if len(line) < 2 || !slices.Contains(im.files, line[0]) || line[1] != "target" {
		return nil, nil, fmt.Errorf("container %s runs %q: want the image's binary (%v) with target", c.Name, line, im.files)
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			return nil, nil, fmt.Errorf("container %s: env %s from valueFrom cannot be checked", c.Name, e.Name)
		}
	}
	env := func(tag string) map[string]string {
		if tag == "" {
			tag = imageTag(c.Image)
		}
		out := im.environ(tag)
		for _, e := range c.Env {
			out[e.Name] = e.Value
		}
		return out
	}
	return line, env, nil
}

// imageTag is an image reference's tag ("latest" without one).
func imageTag(image string) string {
	name := image[strings.LastIndex(image, "/")+1:]
	name, _, _ = strings.Cut(name, "@")
	if _, tag, ok := strings.Cut(name, ":"); ok && tag != "" {
		return tag
	}
	return "latest"
}

// checkPorts checks that the target listens on every interface at the
// container's port, and that the probes and the Service's targetPort
// name that port.
func checkPorts(c corev1.Container, svc *corev1.Service, line []string, env map[string]string) error {
	listen, err := listenAddr(line, env)
	if err != nil {
		return err
	}
	host, p, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", listen, err)
	}
	if host != "" && host != "0.0.0.0" && host != "::" {
		return fmt.Errorf("the target listens on %s only: want :%s, reachable from the kubelet and the Service", listen, p)
	}
	port, _ := strconv.Atoi(p)
	var errs []error
	if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return int(cp.ContainerPort) == port && cp.Name == "http" }) {
		errs = append(errs, fmt.Errorf("container ports %v: want %d, named http, where the target listens (%s)", c.Ports, port, listen))
	}
	for name, pr := range map[string]*corev1.Probe{"readinessProbe": c.ReadinessProbe, "livenessProbe": c.LivenessProbe} {
		if pr == nil || pr.HTTPGet == nil {
			errs = append(errs, fmt.Errorf("%s: want an httpGet probe (the image has no shell for exec)", name))
		} else if got := resolvePort(c, pr.HTTPGet.Port); got != port {
			errs = append(errs, fmt.Errorf("%s port %s (%d): the target listens on %d", name, pr.HTTPGet.Port.String(), got, port))
		}
	}
	if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return resolvePort(c, sp.TargetPort) == port }) {
		errs = append(errs, fmt.Errorf("Service %s targetPorts %v: none reaches the target's port %d", svc.Name, svc.Spec.Ports, port))
	}
	return errors.Join(errs...)
}

// resolvePort is the container port a probe or Service port refers to,
// by name or number (0: none).
func resolvePort(c corev1.Container, p intstr.IntOrString) int {
	if p.Type == intstr.Int {
		return p.IntValue()
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort)
		}
	}
	return 0
}

// checkServed runs the real target as the container would, at the
// Deployment's tag and at the upgrade's: it answers its image's tag,
// readiness passes when ready and fails while draining, liveness passes
// through both and neither is the application's catch-all answer, and
// the grace period outlasts the drain.
func checkServed(ctx context.Context, bin string, spec *corev1.PodSpec, c corev1.Container, line []string, env func(string) map[string]string) error {
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil {
		return nil // checkPorts says so
	}
	if !strings.HasPrefix(c.Image, demoRepo+":") {
		return fmt.Errorf("image %s: want %s:TAG, the image deploy/Dockerfile builds", c.Image, demoRepo)
	}
	rp, lp := c.ReadinessProbe.HTTPGet.Path, c.LivenessProbe.HTTPGet.Path
	s, err := runTarget(ctx, bin, line[1:], env(""), rp, lp)
	if err != nil {
		return err
	}
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if tag := imageTag(c.Image); s.version != tag {
		fail("image %s answers version %q: want its tag", c.Image, s.version)
	}
	if a := s.ready[rp]; !a.ok() || a.app() {
		fail("readinessProbe %s answered %s when ready: want the target's readiness endpoint", rp, a)
	}
	if a := s.draining[rp]; a.ok() {
		fail("readinessProbe %s answered %s while draining: it must fail so that no new request is sent", rp, a)
	}
	if a := s.ready[lp]; !a.ok() || a.app() {
		fail("livenessProbe %s answered %s: want the target's liveness endpoint", lp, a)
	}
	if a := s.draining[lp]; !a.ok() || a.app() {
		fail("livenessProbe %s answered %s while draining: the kubelet would restart a draining pod", lp, a)
	}
	errs = append(errs, checkGrace(spec, c, s.drain))
	up, err := runTarget(ctx, bin, line[1:], env(upgradeTag), rp)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if up.version != upgradeTag {
		fail("upgraded to %s:%s it answers version %q: the version must come from the image, not the Deployment", demoRepo, upgradeTag, up.version)
	}
	return errors.Join(errs...)
}

// checkGrace checks that terminationGracePeriodSeconds covers a preStop
// sleep, the target's drain and a margin.
func checkGrace(spec *corev1.PodSpec, c corev1.Container, drain time.Duration) error {
	if drain <= 0 {
		return errors.New("the target does not drain (--no-drain): every pod stopped loses its requests in flight")
	}
	var preStop time.Duration
	if h := c.Lifecycle; h != nil && h.PreStop != nil {
		switch {
		case h.PreStop.Exec != nil:
			return errors.New("preStop exec: the image has no shell; the target drains by itself on SIGTERM")
		case h.PreStop.Sleep != nil:
			preStop = time.Duration(h.PreStop.Sleep.Seconds) * time.Second
		}
	}
	grace := 30 * time.Second // the API server's default
	if g := spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	if need := preStop + drain + drainMargin; grace < need {
		return fmt.Errorf("terminationGracePeriodSeconds %s < preStop %s + drain %s + margin %s: the kubelet would kill pods still draining",
			grace, preStop, drain, drainMargin)
	}
	return nil
}

// checkLockedDown checks the pod's security context and resources.
func checkLockedDown(spec *corev1.PodSpec, c corev1.Container) error {
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	psc, sc := spec.SecurityContext, c.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	nonRoot := sc.RunAsNonRoot
	if nonRoot == nil {
		nonRoot = psc.RunAsNonRoot
	}
	if nonRoot == nil || !*nonRoot {
		fail("runAsNonRoot: want true")
	}
	if u := sc.RunAsUser; u != nil && *u == 0 || sc.RunAsUser == nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		fail("runAsUser 0: want a non-root user")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		fail("readOnlyRootFilesystem: want true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		fail("allowPrivilegeEscalation: want false")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		fail("capabilities: want drop ALL")
	}
	r := c.Resources
	if r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() || r.Limits.Memory().IsZero() {
		fail("resources: want cpu and memory requests and a memory limit")
	}
	return errors.Join(errs...)
}

// prefix puts where before each of err's lines.
func prefix(where string, err error) error {
	if err == nil {
		return nil
	}
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = where + ": " + l
	}
	return errors.New(strings.Join(lines, "\n"))
}
