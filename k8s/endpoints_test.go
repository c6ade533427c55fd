package k8s

import (
	"testing"

	"github.com/scalelab/scalelab/engine"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

func TestSlicePort(t *testing.T) {
	ports := []discoveryv1.EndpointPort{{Name: ptr("metrics"), Port: ptr(int32(9090))}, {Name: ptr("http"), Port: ptr(int32(8080))}}
	if p, ok := slicePort(ports, 8080, ""); !ok || p != 8080 {
		t.Errorf("by number: %d %v", p, ok)
	}
	if p, ok := slicePort(ports, 80, "metrics"); !ok || p != 9090 {
		t.Errorf("by name: %d %v", p, ok)
	}
	if _, ok := slicePort(ports, 80, ""); ok {
		t.Error("two ports, none matching: picked one")
	}
	if p, ok := slicePort(ports[1:], 80, ""); !ok || p != 8080 {
		t.Errorf("the only port: %d %v", p, ok)
	}
}

func TestReadyEndpoints(t *testing.T) {
	pod := func(n string) *corev1.ObjectReference { return &corev1.ObjectReference{Kind: "Pod", Name: n} }
	slices := []*discoveryv1.EndpointSlice{
		{
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Port: ptr(int32(8080))}},
			Endpoints: []discoveryv1.Endpoint{
				{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}, TargetRef: pod("a")},
				{Addresses: []string{"10.0.0.2"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(false), Serving: ptr(true), Terminating: ptr(true)}, TargetRef: pod("b")},
				{Addresses: []string{"10.0.0.3", "10.0.0.33"}, TargetRef: pod("c")}, // unknown readiness counts as ready
				{Addresses: []string{"10.0.0.4"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}},
			},
		},
		{
			AddressType: discoveryv1.AddressTypeIPv6,
			Ports:       []discoveryv1.EndpointPort{{Port: ptr(int32(8080))}},
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"fd00::5"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}, TargetRef: pod("e")}},
		},
		{AddressType: discoveryv1.AddressTypeFQDN, Ports: []discoveryv1.EndpointPort{{Port: ptr(int32(8080))}},
			Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"x.example"}}}},
	}
	versions := map[string]string{"a": "v1", "b": "v1", "c": "v2", "e": "v2"}
	eps, in := readyEndpoints(slices, 8080, "", func(p string) string { return versions[p] })
	want := []engine.Endpoint{
		{Addr: "10.0.0.1:8080", Version: "v1"},
		{Addr: "10.0.0.3:8080", Version: "v2"},
		{Addr: "10.0.0.4:8080"},
		{Addr: "[fd00::5]:8080", Version: "v2"},
	}
	if len(eps) != len(want) {
		t.Fatalf("endpoints %v, want %v", eps, want)
	}
	for i := range want {
		if eps[i] != want[i] {
			t.Errorf("endpoint %d = %v, want %v", i, eps[i], want[i])
		}
	}
	for _, name := range []string{"a", "c", "e", "10.0.0.4:8080"} {
		if _, ok := in[name]; !ok {
			t.Errorf("%s not in the endpoints by name %v", name, in)
		}
	}
	if _, ok := in["b"]; ok {
		t.Error("a terminating, unready endpoint counted")
	}
}
