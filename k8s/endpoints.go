package k8s

import (
	"fmt"
	"net"
	"strconv"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// syncEndpoints sets Endpoints to the slices' ready endpoints and reports
// the pods that joined or left them; d.mu must be held.
func (d *Deployment) syncEndpoints() {
	if d.slices == nil {
		return
	}
	list, err := d.slices.EndpointSlices(d.o.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	eps, in := readyEndpoints(list, d.port, d.portName, d.podVersion)
	d.eps.Set(eps)
	for name := range in {
		if !d.track.inEps[name] {
			d.emit(cluster.Event{Kind: cluster.BalancerAdded, Replica: name, Version: in[name],
				Message: fmt.Sprintf("pod %s added to the endpoints of service %s", name, d.service)})
		}
	}
	for name := range d.track.inEps {
		if _, ok := in[name]; !ok {
			d.emit(cluster.Event{Kind: cluster.BalancerRemoved, Replica: name,
				Message: fmt.Sprintf("pod %s removed from the endpoints of service %s", name, d.service)})
		}
	}
	d.track.inEps = make(map[string]bool, len(in))
	for name := range in {
		d.track.inEps[name] = true
	}
}

// podVersion is the version of the named pod, "" when it is not known.
func (d *Deployment) podVersion(name string) string {
	p, err := d.pods.Pods(d.o.Namespace).Get(name)
	if err != nil {
		return ""
	}
	return d.versionOfPod(p)
}

// readyEndpoints extracts the ready endpoints of slices: the first
// address of each endpoint whose Ready condition is true (or unknown, as
// the API asks consumers to read it), on the slice's port that matches
// the container port (by number, then name, else the slice's only port),
// with the version of the pod its targetRef names. It also returns the
// endpoints by pod name (the address when no pod is named) → version.
func readyEndpoints(slices []*discoveryv1.EndpointSlice, port int32, portName string, version func(pod string) string) ([]engine.Endpoint, map[string]string) {
	var eps []engine.Endpoint
	in := map[string]string{}
	for _, s := range slices {
		if s.AddressType != discoveryv1.AddressTypeIPv4 && s.AddressType != discoveryv1.AddressTypeIPv6 {
			continue
		}
		p, ok := slicePort(s.Ports, port, portName)
		if !ok {
			continue
		}
		for _, e := range s.Endpoints {
			if len(e.Addresses) == 0 || (e.Conditions.Ready != nil && !*e.Conditions.Ready) {
				continue
			}
			ep := engine.Endpoint{Addr: net.JoinHostPort(e.Addresses[0], strconv.Itoa(int(p)))}
			name := ep.Addr
			if r := e.TargetRef; r != nil && r.Kind == "Pod" {
				name = r.Name
				ep.Version = version(r.Name)
			}
			eps = append(eps, ep)
			in[name] = ep.Version
		}
	}
	return eps, in
}

// slicePort picks the slice's port that serves the container port: the
// one with its number, else its name, else the only one.
func slicePort(ports []discoveryv1.EndpointPort, port int32, name string) (int32, bool) {
	for _, p := range ports {
		if p.Port != nil && *p.Port == port {
			return port, true
		}
	}
	for _, p := range ports {
		if name != "" && p.Name != nil && *p.Name == name && p.Port != nil {
			return *p.Port, true
		}
	}
	if len(ports) == 1 && ports[0].Port != nil {
		return *ports[0].Port, true
	}
	return 0, false
}
