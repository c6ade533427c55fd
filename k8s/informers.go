package k8s

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// Start reads the Deployment, finds its Service, checks that the
// credentials may list and watch what the driver needs, and starts the
// informers; it returns once they synced. Errors are one line: the
// Deployment not found, RBAC refusals naming the verb and resource. The
// Service's EndpointSlices, the Events and the autoscaler are optional:
// when they may not be read (or there is no Service) a Note says so and
// the driver runs without them. The informers run until Stop, not until
// ctx ends.
func (d *Deployment) Start(ctx context.Context) error {
	d.mu.Lock()
	if d.started || d.stopped {
		d.mu.Unlock()
		return fmt.Errorf("start %s: already started", d.Name())
	}
	d.started = true
	d.mu.Unlock()
	if err := d.start(ctx); err != nil {
		return fmt.Errorf("start %s: %w", d.Name(), err)
	}
	return nil
}

// watched is what Start found: the Deployment, its selector, the Service
// to follow and which optional informers may run.
type watched struct {
	dep      *appsv1.Deployment
	selector labels.Selector
	service  string
	slices   bool
	events   bool
	hpas     bool
}

func (d *Deployment) start(ctx context.Context) error {
	w, err := d.discover(ctx)
	if err != nil {
		return err
	}
	life, cancel := context.WithCancel(context.Background())
	factories, synced, err := d.informers(w)
	if err != nil {
		cancel()
		return err
	}
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		cancel()
		return errors.New("stopped while starting")
	}
	d.cancel, d.factories = cancel, factories
	d.selector = w.selector
	if w.slices {
		d.service = w.service
	}
	d.port, d.portName = containerPort(d.container(w.dep.Spec.Template.Spec.Containers))
	for _, f := range factories {
		f.Start(life.Done())
	}
	d.mu.Unlock()
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		cancel()
		return fmt.Errorf("informers did not sync: %w", context.Cause(ctx))
	}
	d.mu.Lock()
	d.ready = true
	d.syncEndpoints()
	d.usage = newUsageSampler(d.client.CoreV1().RESTClient(), d.o.Namespace, d.selector.String(), d.port)
	if d.usage != nil {
		d.usage.onNote = func(note string) { d.note("%s", note) }
		go d.usage.run(life, d.usagePods)
	}
	d.notify()
	d.mu.Unlock()
	return nil
}

// discover reads the Deployment and its Service and checks the
// permissions the informers need.
func (d *Deployment) discover(ctx context.Context) (watched, error) {
	ns, name := d.o.Namespace, d.o.Name
	dep, err := d.client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return watched{}, fmt.Errorf("deployment %q not found in namespace %s%s", name, ns, d.whereSuffix())
	}
	if err != nil {
		return watched{}, apiError(err, "get", "deployments", ns)
	}
	w := watched{dep: dep}
	if w.selector, err = metav1.LabelSelectorAsSelector(dep.Spec.Selector); err != nil || w.selector.Empty() {
		return w, fmt.Errorf("deployment %q has no usable selector", name)
	}
	if err := d.checkContainer(dep); err != nil {
		return w, err
	}
	apps, core := d.client.AppsV1(), d.client.CoreV1()
	required := []probe{
		probeOf("deployments", ns, apps.Deployments(ns), byName(name)),
		probeOf("replicasets", ns, apps.ReplicaSets(ns), byLabels(w.selector)),
		probeOf("pods", ns, core.Pods(ns), byLabels(w.selector)),
	}
	for _, p := range required {
		if err := p.run(ctx); err != nil {
			return w, err
		}
	}
	if w.service, err = d.findService(ctx, dep); err != nil {
		return w, err
	}
	if w.service != "" {
		p := probeOf("endpointslices", ns, d.client.DiscoveryV1().EndpointSlices(ns), byLabels(sliceSelector(w.service)))
		w.slices = d.optional(ctx, p, "endpoints of service "+w.service+" unknown")
	}
	w.events = d.optional(ctx, probeOf("events", ns, core.Events(ns), metav1.ListOptions{}), "Kubernetes Events not shown")
	hpas := d.client.AutoscalingV2().HorizontalPodAutoscalers(ns)
	w.hpas = d.optional(ctx, probeOf("horizontalpodautoscalers", ns, hpas, metav1.ListOptions{}), "autoscaler not shown")
	return w, nil
}

// whereSuffix is " (cluster WHERE)" when Options.Where is set.
func (d *Deployment) whereSuffix() string {
	if d.o.Where == "" {
		return ""
	}
	return " (cluster " + d.o.Where + ")"
}

// checkContainer refuses an Options.Container the Deployment lacks.
func (d *Deployment) checkContainer(dep *appsv1.Deployment) error {
	cs := dep.Spec.Template.Spec.Containers
	if d.o.Container == "" || slices.ContainsFunc(cs, func(c corev1.Container) bool { return c.Name == d.o.Container }) {
		return nil
	}
	return fmt.Errorf("container %q not in deployment %q (containers: %s)", d.o.Container, dep.Name, containerNames(cs))
}

// findService returns Options.Service, or the first (by name) Service
// whose selector matches the Deployment's pod labels ("" and a Note when
// none does or Services may not be listed).
func (d *Deployment) findService(ctx context.Context, dep *appsv1.Deployment) (string, error) {
	ns := d.o.Namespace
	svcs := d.client.CoreV1().Services(ns)
	if d.o.Service != "" {
		_, err := svcs.Get(ctx, d.o.Service, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return "", fmt.Errorf("service %q not found in namespace %s", d.o.Service, ns)
		}
		return d.o.Service, apiError(err, "get", "services", ns)
	}
	list, err := svcs.List(ctx, metav1.ListOptions{})
	if err != nil {
		err = apiError(err, "list", "services", ns)
		var fe *ForbiddenError
		if errors.As(err, &fe) {
			d.note("endpoints unknown: %v (or name the service with --service)", err)
			return "", nil
		}
		return "", err
	}
	podLabels := labels.Set(dep.Spec.Template.Labels)
	var names []string
	for _, s := range list.Items {
		if len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels) {
			names = append(names, s.Name)
		}
	}
	slices.Sort(names)
	switch len(names) {
	case 0:
		d.note("endpoints unknown: no service in namespace %s selects the pods of %s", ns, d.Name())
		return "", nil
	case 1:
	default:
		d.note("services %s select the pods of %s: following %s (choose with --service)", joinMax(names, 5), d.Name(), names[0])
	}
	return names[0], nil
}

// optional runs an optional probe: on a refusal it notes what the driver
// goes without and returns false.
func (d *Deployment) optional(ctx context.Context, p probe, without string) bool {
	if err := p.run(ctx); err != nil {
		d.note("%s: %v", without, err)
		return false
	}
	return true
}

// probe checks that the credentials may list and watch a resource with
// the options the informer will use.
type probe struct {
	resource, ns string
	list         func(context.Context, metav1.ListOptions) error
	watch        func(context.Context, metav1.ListOptions) (watch.Interface, error)
	opts         metav1.ListOptions
}

// run lists (one item) and opens a watch, closing it at once.
func (p probe) run(ctx context.Context) error {
	opts := p.opts
	opts.Limit = 1
	if err := p.list(ctx, opts); err != nil {
		return apiError(err, "list", p.resource, p.ns)
	}
	opts = p.opts
	timeout := int64(1)
	opts.TimeoutSeconds = &timeout
	w, err := p.watch(ctx, opts)
	if err != nil {
		return apiError(err, "watch", p.resource, p.ns)
	}
	w.Stop()
	return nil
}

// listerWatcher is what a typed client offers a probe.
type listerWatcher[L any] interface {
	List(context.Context, metav1.ListOptions) (L, error)
	Watch(context.Context, metav1.ListOptions) (watch.Interface, error)
}

// probeOf is the probe of resource through c with opts.
func probeOf[L any](resource, ns string, c listerWatcher[L], opts metav1.ListOptions) probe {
	return probe{resource: resource, ns: ns, opts: opts, watch: c.Watch,
		list: func(ctx context.Context, o metav1.ListOptions) error { _, err := c.List(ctx, o); return err }}
}

// byName lists the object called name.
func byName(name string) metav1.ListOptions {
	return metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()}
}

// byLabels lists the objects sel selects.
func byLabels(sel labels.Selector) metav1.ListOptions {
	return metav1.ListOptions{LabelSelector: sel.String()}
}

// sliceSelector selects the EndpointSlices of service.
func sliceSelector(service string) labels.Selector {
	return labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: service})
}

// informers builds the informer factories for w, registers the event
// handlers and sets the listers; it returns the factories (not started
// yet) and what tells that the handlers saw the initial lists.
func (d *Deployment) informers(w watched) ([]informers.SharedInformerFactory, []cache.InformerSynced, error) {
	// mk makes a factory whose informers list with want's selectors, the
	// ones discover probed.
	mk := func(want metav1.ListOptions) informers.SharedInformerFactory {
		return informers.NewSharedInformerFactoryWithOptions(d.client, 0, informers.WithNamespace(d.o.Namespace),
			informers.WithTweakListOptions(func(o *metav1.ListOptions) {
				o.FieldSelector, o.LabelSelector = want.FieldSelector, want.LabelSelector
			}))
	}
	named := mk(byName(d.o.Name))
	bySelector := mk(byLabels(w.selector))
	factories := []informers.SharedInformerFactory{named, bySelector}
	reg := registrar{d: d}
	deps := named.Apps().V1().Deployments()
	reg.add("deployments", deps.Informer(), d.deploymentHandler())
	rss := bySelector.Apps().V1().ReplicaSets()
	reg.add("replicasets", rss.Informer(), d.changeHandler(nil))
	pods := bySelector.Core().V1().Pods()
	reg.add("pods", pods.Informer(), d.podHandler())
	d.mu.Lock()
	d.deps, d.rss, d.pods = deps.Lister(), rss.Lister(), pods.Lister()
	d.mu.Unlock()
	if w.slices {
		f := mk(byLabels(sliceSelector(w.service)))
		factories = append(factories, f)
		inf := f.Discovery().V1().EndpointSlices()
		reg.add("endpointslices", inf.Informer(), d.changeHandler(d.syncEndpoints))
		d.mu.Lock()
		d.slices = inf.Lister()
		d.mu.Unlock()
	}
	if w.events || w.hpas {
		f := mk(metav1.ListOptions{})
		factories = append(factories, f)
		if w.events {
			reg.add("events", f.Core().V1().Events().Informer(), d.eventHandler())
		}
		if w.hpas {
			inf := f.Autoscaling().V2().HorizontalPodAutoscalers()
			reg.add("horizontalpodautoscalers", inf.Informer(), d.changeHandler(nil))
			d.mu.Lock()
			d.hpas = inf.Lister()
			d.mu.Unlock()
		}
	}
	return factories, reg.synced, reg.err
}

// registrar registers d's handlers on informers, collecting what tells
// that they synced and the first error.
type registrar struct {
	d      *Deployment
	synced []cache.InformerSynced
	err    error
}

// add registers h on inf, and the handler that turns a dropped watch
// into a Note.
func (r *registrar) add(resource string, inf cache.SharedIndexInformer, h cache.ResourceEventHandler) {
	if r.err != nil {
		return
	}
	if err := inf.SetWatchErrorHandlerWithContext(r.d.watchDropped(resource)); err != nil {
		r.err = fmt.Errorf("%s informer: %w", resource, err)
		return
	}
	reg, err := inf.AddEventHandler(h)
	if err != nil {
		r.err = fmt.Errorf("%s informer: %w", resource, err)
		return
	}
	r.synced = append(r.synced, inf.HasSynced, reg.HasSynced)
}

// watchNoteEvery bounds the Notes about one resource's dropped watch
// while it keeps failing.
const watchNoteEvery = 30 * time.Second

// watchDropped returns the informer's watch error handler: the informer
// reconnects by itself (with backoff); this says so in a Note, at most
// every watchNoteEvery per resource. Expired resource versions and
// normal closes are routine and not reported.
func (d *Deployment) watchDropped(resource string) cache.WatchErrorHandlerWithContext {
	return func(ctx context.Context, _ *cache.Reflector, err error) {
		if err == nil || apierrors.IsResourceExpired(err) || apierrors.IsGone(err) || errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return
		}
		d.mu.Lock()
		last := d.track.watchNotes[resource]
		now := time.Now()
		report := !d.stopped && now.Sub(last) >= watchNoteEvery
		if report {
			d.track.watchNotes[resource] = now
		}
		d.mu.Unlock()
		if report {
			d.note("watch on %s dropped, reconnecting: %v", resource, apiError(err, "watch", resource, d.o.Namespace))
		}
	}
}
