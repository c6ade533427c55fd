package ui

import (
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
)

// TestFrameCarriesTheClusterState: the replicas panel shows the state the
// session read at the tick's end, carried by the frame (the model reads
// the cluster itself only after an action or an event), with the
// autoscaler's.
func TestFrameCarriesTheClusterState(t *testing.T) {
	m := newModel(t, Config{}, 120, 40)
	st := cluster.State{Desired: 2, Replicas: []cluster.Replica{{Name: "tick-a", Version: "v1"}, {Name: "tick-b", Version: "v1"}}}
	hpa := cluster.Autoscaler{Name: "web", Min: 2, Max: 6, Current: 2, Desired: 3}
	snap := engine.NewSnapshot()
	snap.Start, snap.End = t0, t0.Add(250*time.Millisecond)
	m = update(t, m, FrameMsg(Frame{Snapshot: snap, State: &st, Autoscaler: &hpa}))
	if !m.hasState || len(m.cstate.Replicas) != 2 || m.cstate.Replicas[1].Name != "tick-b" {
		t.Fatalf("state after the frame: %+v (has %v), want the frame's two replicas", m.cstate, m.hasState)
	}
	if !m.hasHPA || m.hpa.Desired != 3 {
		t.Fatalf("autoscaler after the frame: %+v (has %v), want the frame's", m.hpa, m.hasHPA)
	}
}
