package fleet

import (
	"testing"
)

// TestFleetPlanSaysWhatStepsCanAsk checks the plan of a fleet before its
// start (its options), after a scale and an upgrade (its desired state and
// the version a rollback returns to), and that the names it accepts are
// exactly those its replicas carry.
func TestFleetPlanSaysWhatStepsCanAsk(t *testing.T) {
	f, err := New(Replicas(2), MaxReplicas(5), InitialVersion("v7"))
	if err != nil {
		t.Fatal(err)
	}
	if p := f.Plan(); p.Replicas != 2 || p.MaxReplicas != 5 || p.Version != "v7" || p.Previous != "" {
		t.Fatalf("plan before the start: %+v", p)
	}
	f, _ = startFleet(t, Replicas(1))
	if err := f.Scale(actx(t), 2); err != nil {
		t.Fatal(err)
	}
	if err := f.Upgrade(actx(t), "v2"); err != nil {
		t.Fatal(err)
	}
	p := f.Plan()
	if p.Replicas != 2 || p.MaxReplicas != DefaultMaxReplicas || p.Version != "v2" || p.Previous != "v1" {
		t.Fatalf("plan after scale=2, upgrade=v2: %+v", p)
	}
	for _, r := range f.State().Replicas {
		if err := p.CheckName(r.Name); err != nil {
			t.Errorf("the fleet's own replica %s: %v", r.Name, err)
		}
	}
	for _, name := range []string{"abc", "replica-0", "replica-01", "replica-", "replica--1", "replica-1x", "Replica-1", "replica-99999999999999999999"} {
		if err := p.CheckName(name); err == nil {
			t.Errorf("CheckName(%q): no error", name)
		}
	}
}
