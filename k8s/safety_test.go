package k8s

import (
	"strings"
	"testing"
)

func TestKillCap(t *testing.T) {
	for _, c := range []struct {
		o          Options
		n, live    int
		refused    bool
		flagInText string
	}{
		{Options{}, 1, 5, false, ""},
		{Options{}, 2, 5, true, "--max-kill 1"},
		{Options{MaxKill: 3}, 3, 5, false, ""},
		{Options{MaxKill: 3}, 4, 5, true, "--max-kill 3"},
		{Options{MaxKillPercent: 50}, 2, 4, false, ""},
		{Options{MaxKillPercent: 50}, 3, 4, true, "--max-kill 50%"},
		{Options{MaxKillPercent: 50}, 2, 3, true, "50% of 3 live pods = 1"}, // floor(1.5)
		{Options{MaxKillPercent: 50}, 1, 1, true, "= 0"},
		{Options{MaxKillPercent: 100, MaxKill: 1}, 4, 4, false, ""}, // the percentage replaces the count
	} {
		err := c.o.checkKill(c.n, c.live)
		if (err != nil) != c.refused {
			t.Errorf("%+v: kill %d of %d: err %v, refused want %v", c.o, c.n, c.live, err, c.refused)
			continue
		}
		if err != nil && (!strings.Contains(err.Error(), c.flagInText) || strings.Contains(err.Error(), "\n")) {
			t.Errorf("%+v: error %q does not name %q on one line", c.o, err, c.flagInText)
		}
	}
}

func TestMinReplicas(t *testing.T) {
	for _, c := range []struct {
		o       Options
		n       int
		refused bool
	}{
		{Options{}, 1, false},
		{Options{}, 0, true},
		{Options{MinReplicas: 3}, 2, true},
		{Options{MinReplicas: 3}, 3, false},
		{Options{MinReplicas: -1}, 0, false},
		{Options{MinReplicas: -1}, -1, true},
	} {
		err := c.o.checkScale(c.n)
		if (err != nil) != c.refused {
			t.Errorf("%+v: scale to %d: err %v, refused want %v", c.o, c.n, err, c.refused)
		}
		if err != nil && c.n >= 0 && !strings.Contains(err.Error(), "--min-replicas") {
			t.Errorf("error %q does not name --min-replicas", err)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{Namespace: "ns"},
		{Name: "demo"},
		{Name: "demo", Namespace: "ns", MaxKill: -1},
		{Name: "demo", Namespace: "ns", MaxKillPercent: 150},
	} {
		if _, err := New(fakeClient(), o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
}
