package cli

import (
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/session"
)

// generatorResult is the generator's judgement as the summary keeps it,
// nil without one.
func generatorResult(g *session.GeneratorResult) *report.GeneratorResult {
	if g == nil {
		return nil
	}
	return &report.GeneratorResult{Saturated: g.Saturated, Reasons: g.Reasons, SaturatedS: g.SaturatedS,
		SampledS: g.SampledS, Cgroup: g.Cgroup, Quota: g.Quota}
}
