package report

import (
	"fmt"
	"strings"
)

// GeneratorResult is the run's judgement on its own generator, as the
// summary keeps it: saturated (the run is generator-bound: the
// generator, not the target, set the pace over at least a tenth of the
// sampled seconds), each reason with how long it held and its worst
// reading, the seconds saturated of those sampled, and the cgroup
// version and CPU quota the generator ran under.
type GeneratorResult struct {
	Saturated  bool     `json:"saturated"`
	Reasons    []string `json:"reasons"`
	SaturatedS float64  `json:"saturated_s"`
	SampledS   float64  `json:"sampled_s"`
	Cgroup     int      `json:"cgroup,omitempty"`
	Quota      float64  `json:"quota_cores,omitempty"`
}

// line is the judgement in the text summary's words.
func (g *GeneratorResult) line() string {
	if g.Saturated {
		return fmt.Sprintf("generator-bound %.0f of %.0f s: %s: the run measured the generator, not the target",
			g.SaturatedS, g.SampledS, strings.Join(g.Reasons, "; "))
	}
	s := fmt.Sprintf("keeps up (saturated %.0f of %.0f s)", g.SaturatedS, g.SampledS)
	if len(g.Reasons) > 0 {
		s += ": " + strings.Join(g.Reasons, "; ")
	}
	return s
}
