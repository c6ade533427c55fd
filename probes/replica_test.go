package probes

import (
	"reflect"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

func TestJudgeReplica(t *testing.T) {
	for _, tc := range []struct {
		name string
		u    cluster.Usage
		want []string
	}{
		{"nothing measured", cluster.Usage{Throttled: 0.9, CPU: 4, CPULimit: 1, RunDelay: time.Second}, nil},
		{"idle", cluster.Usage{CPUKnown: true, CPU: 0.1, CPULimit: 0.5, ThrottledKnown: true, RunDelayKnown: true, RunDelay: time.Millisecond}, nil},
		{"throttled", cluster.Usage{ThrottledKnown: true, Throttled: 0.34}, []string{"throttled 34% of periods"}},
		{"at its limit", cluster.Usage{CPUKnown: true, CPU: 0.19, CPULimit: 0.2}, []string{"cpu 0.19 of 0.2 limit"}},
		{"no limit, many cores", cluster.Usage{CPUKnown: true, CPU: 3}, nil},
		{"starved", cluster.Usage{RunDelayKnown: true, RunDelay: 150 * time.Millisecond}, []string{"run delay 150 ms/s"}},
		{"all three", cluster.Usage{CPUKnown: true, CPU: 0.5, CPULimit: 0.5, ThrottledKnown: true, Throttled: 0.5, RunDelayKnown: true, RunDelay: 200 * time.Millisecond},
			[]string{"throttled 50% of periods", "cpu 0.50 of 0.5 limit", "run delay 200 ms/s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.u
			JudgeReplica(&u, ReplicaThresholds{})
			if !reflect.DeepEqual(u.Reasons, tc.want) || u.Saturated != (len(tc.want) > 0) {
				t.Errorf("JudgeReplica: saturated %v, reasons %q; want %q", u.Saturated, u.Reasons, tc.want)
			}
		})
	}
}
