package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/probes"
)

// probedSample is a second of the generator probes with every group read
// but PSI (a kernel without it), for the saturation panel's goldens.
func probedSample() probes.GeneratorSample {
	return probes.GeneratorSample{At: time.Unix(1700000000, 0), Interval: time.Second,
		Pressure: probes.Pressure{Note: "no /proc/pressure"},
		Memory:   probes.Memory{Available: true, RSS: 48 << 20, Heap: 12 << 20, GCCycles: 2, GCPauseMax: 180 * time.Microsecond},
		Network: probes.Network{Available: true, RetransSegs: 3, ListenDrops: 0, ListenOverflows: 0, TimeWait: 412,
			TCPInUse: 37, Sockets: 120, PortsLeft: 27800}}
}

// TestGoldenSaturation: with the probes attached, the saturation panel
// sits beside the generator's on a wide terminal (PSI missing says so,
// the rest their figures), and folds into one line on a narrow one.
func TestGoldenSaturation(t *testing.T) {
	smp := probedSample()
	sat := probes.Saturation{Reasons: []string{}}
	base := scenario(t, newModel(t, Config{Load: idleEngine(t), Window: 5 * time.Minute,
		Generator: func() (probes.GeneratorSample, probes.Saturation) { return smp, sat }}, 120, 40))
	goldenScreens(t, base, []goldenCase{
		{"saturation_160x40", 160, 40, nil},
		{"saturation_80x24", 80, 24, nil},
	})
	wide := update(t, base, tea.WindowSizeMsg{Width: 160, Height: 40})
	if v := view(wide); !strings.Contains(v, "no PSI on this kernel") || !strings.Contains(v, "412") {
		t.Errorf("the wide view has no saturation panel:\n%s", v)
	}
}

// TestSaturationUnmeasured: figures the probes could not read show "—",
// never 0.
func TestSaturationUnmeasured(t *testing.T) {
	smp := probes.GeneratorSample{At: time.Now(), Interval: time.Second, Network: probes.Network{PortsLeft: -1}}
	m := newModel(t, Config{Load: idleEngine(t), Window: time.Minute,
		Generator: func() (probes.GeneratorSample, probes.Saturation) { return smp, probes.Saturation{} }}, 160, 40)
	m = update(t, m, FrameMsg{})
	v := view(m)
	for _, want := range []string{"retrans   —", "time_wait —", "rss       — heap —"} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "time_wait 0") {
		t.Errorf("an unmeasured figure shows 0:\n%s", v)
	}
}
