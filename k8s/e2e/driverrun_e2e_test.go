//go:build k8se2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	scluster "github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/k8s"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// startDriver attaches scalelab's Kubernetes driver to the app's
// Deployment through client, with the safety options in o (Namespace and
// Name are filled in), and stops it when the test ends. The returned log
// holds every event the driver reported from its start on.
func (a *app) startDriver(t *testing.T, client kubernetes.Interface, o k8s.Options) (*k8s.Deployment, *eventTrail) {
	t.Helper()
	o.Namespace, o.Name = a.ns, appName
	return startDriver(t, client, o)
}

// startDriver starts scalelab's Kubernetes driver with o through client
// and stops it when the test ends. The returned log holds every event the
// driver reported from its start on.
func startDriver(t *testing.T, client kubernetes.Interface, o k8s.Options) (*k8s.Deployment, *eventTrail) {
	t.Helper()
	d, err := k8s.New(client, o)
	if err != nil {
		t.Fatalf("k8s.New: %v", err)
	}
	ctx, cancel := context.WithCancel(runCtx)
	log := newEventTrail(ctx, d)
	startCtx, cancelStart := context.WithTimeout(ctx, 30*time.Second)
	defer cancelStart()
	if err := d.Start(startCtx); err != nil {
		cancel()
		t.Fatalf("start driver %s/%s: %v", o.Namespace, o.Name, err)
	}
	t.Cleanup(func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := d.Stop(stopCtx); err != nil {
			t.Errorf("stop driver: %v", err)
		}
		cancel()
		log.wait()
	})
	return d, log
}

// waitBalanced waits until the driver's endpoints are n addresses, all of
// version.
func waitBalanced(t *testing.T, eps *engine.Endpoints, n int, version string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(runCtx, 50*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		list := eps.List()
		if len(list) != n {
			return false, nil
		}
		for _, e := range list {
			if e.Version != version {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("the driver's endpoints never became %d of %s: %v (last %v)", n, version, err, eps.List())
	}
}

// eventTrail collects a driver's events.
type eventTrail struct {
	mu     sync.Mutex
	events []scluster.Event
	done   chan struct{}
}

// newEventTrail subscribes to c's events until ctx ends.
func newEventTrail(ctx context.Context, c scluster.Cluster) *eventTrail {
	l := &eventTrail{done: make(chan struct{})}
	ch := c.Subscribe(ctx)
	go func() {
		defer close(l.done)
		for e := range ch {
			l.mu.Lock()
			l.events = append(l.events, e)
			l.mu.Unlock()
		}
	}()
	return l
}

// wait waits until the subscription ended.
func (l *eventTrail) wait() { <-l.done }

// all returns the events so far.
func (l *eventTrail) all() []scluster.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]scluster.Event(nil), l.events...)
}

// find returns the first event that match accepts.
func (l *eventTrail) find(match func(scluster.Event) bool) (scluster.Event, bool) {
	for _, e := range l.all() {
		if match(e) {
			return e, true
		}
	}
	return scluster.Event{}, false
}

// waitFor waits until an event that match accepts arrived (what names it
// in the failure) and returns it.
func (l *eventTrail) waitFor(t *testing.T, what string, match func(scluster.Event) bool) scluster.Event {
	t.Helper()
	var found scluster.Event
	err := wait.PollUntilContextTimeout(runCtx, 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		var ok bool
		found, ok = l.find(match)
		return ok, nil
	})
	if err != nil {
		t.Fatalf("no event %s; the driver reported:\n%s", what, l)
	}
	return found
}

// waitText waits until an event of kind whose message contains text
// arrived and returns it.
func (l *eventTrail) waitText(t *testing.T, kind scluster.EventKind, text string) scluster.Event {
	t.Helper()
	return l.waitFor(t, fmt.Sprintf("%s containing %q", kind, text), func(e scluster.Event) bool {
		return e.Kind == kind && strings.Contains(e.Message, text)
	})
}

// String lists the events, one a line.
func (l *eventTrail) String() string {
	var b strings.Builder
	for _, e := range l.all() {
		b.WriteString("  " + e.String() + " [" + string(e.Kind) + " " + e.Replica + "]\n")
	}
	return b.String()
}

// kindFor matches events of kind about replica.
func kindFor(kind scluster.EventKind, replica string) func(scluster.Event) bool {
	return func(e scluster.Event) bool { return e.Kind == kind && e.Replica == replica }
}
