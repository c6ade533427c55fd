package k8s

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	autoscalinglisters "k8s.io/client-go/listers/autoscaling/v2"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/kubectl/pkg/polymorphichelpers"
)

// deploymentKind is the Deployment's group and kind, for kubectl's
// polymorphic helpers.
var deploymentKind = schema.GroupKind{Group: "apps", Kind: "Deployment"}

// Deployment is a Kubernetes Deployment driven and watched as a
// cluster.Cluster. It also implements cluster.RolloutPauser,
// cluster.Restarter, cluster.Autoscaled, cluster.Canary and the UI's confirmation
// interface (ConfirmActions). Create it with New, then Start it; its
// methods are safe for concurrent use.
type Deployment struct {
	client kubernetes.Interface
	o      Options
	hub    cluster.Hub
	eps    *engine.Endpoints
	status polymorphichelpers.StatusViewer

	mu        sync.Mutex
	started   bool // Start was called
	ready     bool // the informers synced
	stopped   bool
	cancel    context.CancelFunc // ends the informers
	factories []informers.SharedInformerFactory
	selector  labels.Selector
	service   string // the Service followed, "" when none
	port      int32  // the container port endpoints are matched on
	portName  string

	deps   appslisters.DeploymentLister
	rss    appslisters.ReplicaSetLister
	pods   corelisters.PodLister
	slices discoverylisters.EndpointSliceLister             // nil without a Service
	hpas   autoscalinglisters.HorizontalPodAutoscalerLister // nil when not allowed

	changed     chan struct{} // closed and replaced on every change
	scaleGen    uint64        // grows with every Scale
	templateGen uint64        // grows with every upgrade, rollback, restart
	track       tracker       // what the events reported last
	canary      *canaryHold   // the canary held, nil when none
	usage       *usageSampler // the pods' usage, nil when it cannot be read
}

// New returns a driver for the Deployment o names, through client (a
// Connection's Client). Nothing is read before Start.
func New(client kubernetes.Interface, o Options) (*Deployment, error) {
	if client == nil {
		return nil, errors.New("k8s: no client")
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	sv, err := polymorphichelpers.StatusViewerFor(deploymentKind)
	if err != nil {
		return nil, fmt.Errorf("k8s: %w", err)
	}
	return &Deployment{
		client:  client,
		o:       o,
		eps:     engine.NewEndpoints(),
		status:  sv,
		changed: make(chan struct{}),
		track:   newTracker(),
	}, nil
}

// Name is "deployment/NAME".
func (d *Deployment) Name() string { return "deployment/" + d.o.Name }

// Namespace is the Deployment's namespace.
func (d *Deployment) Namespace() string { return d.o.Namespace }

// Service is the name of the Service whose EndpointSlices Endpoints
// follows, "" when no Service selects the Deployment's pods (or
// EndpointSlices may not be read).
func (d *Deployment) Service() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.service
}

// Endpoints is the ready endpoints of the Service's EndpointSlices, kept
// current while the driver runs, each with its pod's version; empty
// without a Service.
func (d *Deployment) Endpoints() *engine.Endpoints { return d.eps }

// Subscribe returns the events from now on; see cluster.Cluster.
// Subscribe before Start to see the notes Start emits.
func (d *Deployment) Subscribe(ctx context.Context) <-chan cluster.Event {
	return d.hub.Subscribe(ctx)
}

// ConfirmActions names the Deployment, namespace and cluster for the
// UI's confirmation of destructive actions; ask is Options.Confirm.
func (d *Deployment) ConfirmActions() (where string, ask bool) {
	where = fmt.Sprintf("deployment %s in namespace %s", d.o.Name, d.o.Namespace)
	if d.o.Where != "" {
		where += " of cluster " + d.o.Where
	}
	return where, d.o.Confirm
}

// Stop ends the informers and the event stream; actions still waiting
// return an error wrapping cluster.ErrStopped. The Deployment itself is
// left as it is. Stop is idempotent.
func (d *Deployment) Stop(ctx context.Context) error {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return nil
	}
	d.stopped = true
	if d.cancel != nil {
		d.cancel()
	}
	factories := d.factories
	d.notify()
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, f := range factories {
			f.Shutdown()
		}
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("stop %s: informers still stopping: %w", d.Name(), ctx.Err())
	}
	d.emit(cluster.Event{Kind: cluster.Note, Message: "stopped watching " + d.Name()})
	d.hub.Close()
	return err
}

// emit publishes e stamped now.
func (d *Deployment) emit(e cluster.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	d.hub.Publish(e)
}

// note emits a Note event.
func (d *Deployment) note(format string, args ...any) {
	d.emit(cluster.Event{Kind: cluster.Note, Message: fmt.Sprintf(format, args...)})
}

// notify wakes the actions waiting for a change; d.mu must be held.
func (d *Deployment) notify() {
	close(d.changed)
	d.changed = make(chan struct{})
}

// usable returns an error when the driver cannot act; d.mu must be held.
func (d *Deployment) usable(what string) error {
	switch {
	case d.stopped:
		return fmt.Errorf("%s: %w", what, cluster.ErrStopped)
	case !d.ready:
		return fmt.Errorf("%s: %s not started", what, d.Name())
	}
	return nil
}
