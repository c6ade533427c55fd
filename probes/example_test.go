package probes_test

import (
	"fmt"
	"time"

	"github.com/scalelab/scalelab/probes"
)

// A caller samples the generator once a second and judges each sample
// with the engine's late and dropped sends over the same second.
func ExampleGenerator() {
	g := probes.NewGenerator(probes.Options{})
	defer g.Close()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for now := range tick.C {
		s := g.Sample(now)
		j := probes.Judge(s, probes.Sends{Late: 0, Dropped: 0}, probes.DefaultThresholds())
		fmt.Printf("cpu %.2f of %v cores, generator-bound %v %q\n", s.CPU.Cores, s.CPU.Limit, j.Saturated, j.Reasons)
		break
	}
}
