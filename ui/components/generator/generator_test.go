package generator

import (
	"strings"
	"testing"
)

func TestBottleneck(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Stats
		want string
	}{
		{"keeps up", Stats{RPS: 1000, LateRate: 10, CPU: 0.5, CPUKnown: true, Procs: 2}, ""},
		{"cpu bound", Stats{RPS: 1000, CPU: 0.95, CPUKnown: true, Procs: 2}, "generator CPU at 95% of 2 cores"},
		{"cpu unknown", Stats{RPS: 1000, CPU: 0.95, Procs: 2}, ""},
		{"late", Stats{RPS: 1000, LateRate: 80}, "8% of sends late"},
		{"dropped", Stats{RPS: 1000, DroppedRate: 3}, "sends dropped"},
		{"closed loop has no schedule", Stats{Closed: true, RPS: 1000, LateRate: 500, DroppedRate: 3}, ""},
		{"closed loop cpu bound", Stats{Closed: true, CPU: 0.99, CPUKnown: true, Procs: 1}, "generator CPU at 99% of 1 cores"},
	} {
		got := Bottleneck(tc.s)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: Bottleneck = %q, want %q", tc.name, got, tc.want)
		}
	}
}
