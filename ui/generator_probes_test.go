package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/probes"
)

// TestGeneratorPanelSaysTheProbes: with the generator probes attached,
// the generator panel says their judgement (the summary's), not its own
// reading of the frames: generator-bound with the probes' reasons, or
// keeping up while they say so.
func TestGeneratorPanelSaysTheProbes(t *testing.T) {
	smp := probes.GeneratorSample{At: time.Now()}
	sat := probes.Saturation{Saturated: true, Reasons: []string{"cpu 1.96 of 2 cores"}}
	m := newModel(t, Config{Load: idleEngine(t), Window: time.Minute,
		Generator: func() (probes.GeneratorSample, probes.Saturation) { return smp, sat }}, 120, 40)
	m = update(t, m, FrameMsg{})
	flat := strings.Join(strings.Fields(view(m)), " ")
	if !strings.Contains(flat, "⚠ generator-bound: cpu 1.96 of 2 cores") || strings.Contains(flat, "keeps up") {
		t.Fatalf("the panel does not say the probes' judgement:\n%s", view(m))
	}
	sat = probes.Saturation{Reasons: []string{}}
	m = update(t, m, FrameMsg{})
	if v := view(m); !strings.Contains(v, "✓ the generator keeps up") || strings.Contains(v, "generator-bound") {
		t.Fatalf("the probes say it keeps up, the panel does not:\n%s", v)
	}
}
