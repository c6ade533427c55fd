package probes

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestJudge(t *testing.T) {
	idle := GeneratorSample{
		CPU:      ProcessCPU{Available: true, Cores: 0.3, Procs: 2, Limit: 2},
		RunQueue: RunQueue{Available: true, DelayPerSecond: 4},
		Cgroup:   Cgroup{Available: true, Periods: 10, Throttled: 0},
	}
	with := func(f func(*GeneratorSample)) GeneratorSample { s := idle; f(&s); return s }
	for _, c := range []struct {
		name  string
		s     GeneratorSample
		sends Sends
		th    Thresholds
		want  []string
	}{
		{"idle", idle, Sends{}, Thresholds{}, []string{}},
		{"cpu near its cores", with(func(s *GeneratorSample) { s.CPU.Cores = 1.96 }), Sends{}, Thresholds{}, []string{"cpu 1.96 of 2 cores"}},
		{"cpu just under 90%", with(func(s *GeneratorSample) { s.CPU.Cores = 1.79 }), Sends{}, Thresholds{}, []string{}},
		{"cpu at its quota", with(func(s *GeneratorSample) { s.CPU.Cores, s.CPU.Limit, s.Cgroup.Quota = 0.48, 0.5, 0.5 }), Sends{}, Thresholds{},
			[]string{"cpu 0.48 of 0.5 cores (quota)"}},
		{"cpu unknown", with(func(s *GeneratorSample) { s.CPU = ProcessCPU{Cores: 5, Limit: 2} }), Sends{}, Thresholds{}, []string{}},
		{"throttled", with(func(s *GeneratorSample) { s.Cgroup.Throttled, s.Cgroup.ThrottledShare = 4, 0.4 }), Sends{}, Thresholds{},
			[]string{"throttled 40% of periods"}},
		{"throttled under a raised threshold", with(func(s *GeneratorSample) { s.Cgroup.ThrottledShare = 0.4 }), Sends{}, Thresholds{Throttled: 0.5}, []string{}},
		{"run delay", with(func(s *GeneratorSample) { s.RunQueue.DelayPerSecond = 35 }), Sends{}, Thresholds{RunDelay: 20 * time.Millisecond},
			[]string{"run delay 35 ms/s"}},
		{"run delay under the default", with(func(s *GeneratorSample) { s.RunQueue.DelayPerSecond = 35 }), Sends{}, Thresholds{}, []string{}},
		{"late and dropped", idle, Sends{Late: 1200, Dropped: 3}, Thresholds{}, []string{"1,200 sends late", "3 sends dropped"}},
		{"late under a threshold", idle, Sends{Late: 99}, Thresholds{Late: 100}, []string{}},
		{"all at once", with(func(s *GeneratorSample) {
			s.CPU.Cores, s.Cgroup.ThrottledShare, s.RunQueue.DelayPerSecond = 2, 1, 1500
		}), Sends{Late: 1234567}, Thresholds{},
			[]string{"cpu 2.00 of 2 cores", "throttled 100% of periods", "run delay 1500 ms/s", "1,234,567 sends late"}},
	} {
		j := Judge(c.s, c.sends, c.th)
		if !slices.Equal(j.Reasons, c.want) || j.Saturated != (len(c.want) > 0) || j.Reasons == nil {
			t.Errorf("%s: Judge = %+v, want reasons %q", c.name, j, c.want)
		}
		if len(j.Findings) != len(j.Reasons) {
			t.Errorf("%s: %d findings for %d reasons", c.name, len(j.Findings), len(j.Reasons))
		}
		for i, f := range j.Findings {
			if !strings.HasPrefix(j.Reasons[i], f.Kind) && !strings.HasSuffix(j.Reasons[i], f.Kind) {
				t.Errorf("%s: finding %+v for reason %q", c.name, f, j.Reasons[i])
			}
		}
	}
	j := Judge(with(func(s *GeneratorSample) { s.CPU.Cores, s.RunQueue.DelayPerSecond = 1.96, 135 }), Sends{Late: 120}, Thresholds{})
	want := []Finding{{KindCPU, 1.96}, {KindRunDelay, 135}, {KindLate, 120}}
	if !slices.Equal(j.Findings, want) {
		t.Errorf("findings %+v, want %+v", j.Findings, want)
	}
}

func TestSaturationJSON(t *testing.T) {
	for _, c := range []struct {
		j    Saturation
		want string
	}{
		{Judge(GeneratorSample{}, Sends{}, Thresholds{}), `{"saturated":false,"reasons":[]}`},
		{Judge(GeneratorSample{}, Sends{Dropped: 2}, Thresholds{}), `{"saturated":true,"reasons":["2 sends dropped"]}`},
	} {
		if b, err := json.Marshal(c.j); err != nil || string(b) != c.want {
			t.Errorf("json = %s, %v; want %s", b, err, c.want)
		}
	}
}
