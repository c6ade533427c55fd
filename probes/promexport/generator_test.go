package promexport

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/scalelab/scalelab/internal/promtooltest"
	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/session"
)

// TestGeneratorSeries: the generator probes' latest reading is served as
// gauges, with the saturation flag; none before the first second, none
// for a figure that was not available; promtool accepts them.
func TestGeneratorSeries(t *testing.T) {
	var smp probes.GeneratorSample
	var sat probes.Saturation
	s := New(Options{Generator: func() (probes.GeneratorSample, probes.Saturation) { return smp, sat }})
	if err := s.Open(session.Info{Start: time.Now()}); err != nil {
		t.Fatal(err)
	}
	names := []string{"scalelab_generator_saturated", "scalelab_generator_cpu_cores", "scalelab_generator_cpu_limit_cores",
		"scalelab_generator_run_delay_ratio", "scalelab_generator_throttled_ratio", "scalelab_generator_resident_memory_bytes"}
	if n := testutil.CollectAndCount(s, names...); n != 0 {
		t.Fatalf("%d generator series before the first sample, want none", n)
	}
	smp.At = time.Now()
	smp.CPU = probes.ProcessCPU{Available: true, Cores: 1.96, Limit: 2}
	smp.RunQueue = probes.RunQueue{Available: true, DelayPerSecond: 35}
	smp.Memory = probes.Memory{Available: true, RSS: 64 << 20}
	sat = probes.Saturation{Saturated: true, Reasons: []string{"cpu 1.96 of 2 cores"}}
	want := `
# HELP scalelab_generator_cpu_cores The generator's CPU use over the last second, in cores.
# TYPE scalelab_generator_cpu_cores gauge
scalelab_generator_cpu_cores 1.96
# HELP scalelab_generator_cpu_limit_cores The cores the generator may use (GOMAXPROCS, CPUs, cgroup quota).
# TYPE scalelab_generator_cpu_limit_cores gauge
scalelab_generator_cpu_limit_cores 2
# HELP scalelab_generator_resident_memory_bytes The generator's resident memory.
# TYPE scalelab_generator_resident_memory_bytes gauge
scalelab_generator_resident_memory_bytes 6.7108864e+07
# HELP scalelab_generator_run_delay_ratio Seconds the generator's threads waited for a CPU per second.
# TYPE scalelab_generator_run_delay_ratio gauge
scalelab_generator_run_delay_ratio 0.035
# HELP scalelab_generator_saturated 1 while the generator sets the pace (generator-bound), else 0.
# TYPE scalelab_generator_saturated gauge
scalelab_generator_saturated 1
`
	if err := testutil.CollectAndCompare(s, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	body, err := testutil.CollectAndFormat(s, expfmt.TypeTextPlain, names...)
	if err != nil {
		t.Fatal(err)
	}
	promtooltest.Check(t, body)
}
