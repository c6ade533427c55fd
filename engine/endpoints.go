package engine

import (
	"slices"
	"strings"
	"sync/atomic"
)

// Endpoint is one address the engine may send requests to, with the
// version of the service that answers there ("" when unknown).
type Endpoint struct {
	// Addr is host:port.
	Addr string `json:"addr"`
	// Version is the version served there.
	Version string `json:"version,omitempty"`
}

// Endpoints is a changing set of endpoints, such as the ready addresses of
// a Kubernetes Service, that the engine balances across (see Balance).
// Set may be called at any time; it is safe for concurrent use.
type Endpoints struct {
	cur atomic.Pointer[endpointList]
}

// endpointList is one value of an Endpoints: the endpoints sorted by
// address, and a generation that grows with every change, from 1 (0 is a
// set never given a list).
type endpointList struct {
	gen uint64
	eps []Endpoint
}

// NewEndpoints returns a set holding eps.
func NewEndpoints(eps ...Endpoint) *Endpoints {
	s := &Endpoints{}
	s.Set(eps)
	return s
}

// Set replaces the endpoints with eps (copied; duplicates of an address
// keep the last one's version). An unchanged set keeps its generation.
func (s *Endpoints) Set(eps []Endpoint) {
	list := slices.Clone(eps)
	slices.SortStableFunc(list, func(a, b Endpoint) int { return strings.Compare(a.Addr, b.Addr) })
	out := list[:0]
	for i, e := range list {
		if i+1 < len(list) && list[i+1].Addr == e.Addr {
			continue // a later duplicate wins
		}
		out = append(out, e)
	}
	list = out
	for {
		old := s.cur.Load()
		gen := uint64(1)
		if old != nil {
			if slices.Equal(old.eps, list) {
				return
			}
			gen = old.gen + 1
		}
		if s.cur.CompareAndSwap(old, &endpointList{gen: gen, eps: list}) {
			return
		}
	}
}

// List returns the endpoints, sorted by address.
func (s *Endpoints) List() []Endpoint { return slices.Clone(s.load().eps) }

// load returns the current list (never nil).
func (s *Endpoints) load() *endpointList {
	if l := s.cur.Load(); l != nil {
		return l
	}
	return &endpointList{}
}
