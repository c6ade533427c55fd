package experiments

import (
	"strings"

	"github.com/scalelab/scalelab/canary"
	"go.yaml.in/yaml/v3"
)

// ActionCanary is the action of a canary step (canary=v2[:25%|:N]), the
// only one that takes an analysis: block.
const ActionCanary = "canary"

// Bounds of an analysis block's counts: far above any useful analysis,
// so that a typo is caught.
const (
	maxAnalysisCount   = 10000
	maxAnalysisSamples = 1_000_000_000
)

// analysis decodes a canary step's analysis: block, every key optional
// (canary.DefaultConfig's value when absent), each checked on its own
// line as canary.Spec.Config checks it. It returns nil when a key has a
// problem.
func (d *decoder) analysis(n *yaml.Node, what string) *canary.Config {
	var spec canary.Spec
	good := true
	// check reads one key into a Spec of its own and checks it there, so
	// that its problem is reported at its line; keep then copies it into
	// spec.
	check := func(v *yaml.Node, one canary.Spec, keep func()) {
		if _, err := one.Config(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				d.bad(v, "%s.%s", what, line)
			}
			good = false
			return
		}
		keep()
	}
	count := func(key string, lo int, dst **int) field {
		return field{key, func(v *yaml.Node) {
			if x, ok := d.integer(v, what+"."+key, lo, maxAnalysisCount, "intervals"); ok {
				*dst = &x
			} else {
				good = false
			}
		}}
	}
	ok := d.fields(n, what, []field{
		{"interval", func(v *yaml.Node) {
			if x, ok := d.duration(v, what+".interval", true); ok {
				check(v, canary.Spec{Interval: x.String()}, func() { spec.Interval = x.String() })
			} else {
				good = false
			}
		}},
		count("count", 1, &spec.Count),
		count("failure_limit", 0, &spec.FailureLimit),
		count("inconclusive_limit", 0, &spec.InconclusiveLimit),
		{"min_samples", func(v *yaml.Node) {
			if x, ok := d.integer(v, what+".min_samples", 1, maxAnalysisSamples, "requests of each version in an interval"); ok {
				m := int64(x)
				spec.MinSamples = &m
			} else {
				good = false
			}
		}},
		{"on_inconclusive", func(v *yaml.Node) {
			if s, ok := d.text(v, what+".on_inconclusive"); ok {
				check(v, canary.Spec{OnInconclusive: s}, func() { spec.OnInconclusive = s })
			} else {
				good = false
			}
		}},
		{"max_increase", func(v *yaml.Node) {
			if v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float") {
				d.bad(v, "%s.max_increase: %s is a bare number: write a percentage, such as %s%%", what, v.Value, v.Value)
				good = false
				return
			}
			if s, ok := d.text(v, what+".max_increase"); ok {
				check(v, canary.Spec{MaxIncrease: s}, func() { spec.MaxIncrease = s })
			} else {
				good = false
			}
		}},
		{"max_ratio", func(v *yaml.Node) {
			if x, ok := d.number(v, what+".max_ratio"); ok {
				check(v, canary.Spec{MaxRatio: &x}, func() { spec.MaxRatio = &x })
			} else {
				good = false
			}
		}},
		{"dead_band", func(v *yaml.Node) {
			if x, ok := d.duration(v, what+".dead_band", false); ok {
				check(v, canary.Spec{DeadBand: x.String()}, func() { spec.DeadBand = x.String() })
			} else {
				good = false
			}
		}},
		{"alpha", func(v *yaml.Node) {
			if x, ok := d.number(v, what+".alpha"); ok {
				check(v, canary.Spec{Alpha: &x}, func() { spec.Alpha = &x })
			} else {
				good = false
			}
		}},
	})
	if !ok || !good {
		return nil
	}
	cfg, err := spec.Config()
	if err != nil { // each key was checked alone: not reached
		d.bad(n, "%s: %v", what, strings.ReplaceAll(err.Error(), "\n", "; "))
		return nil
	}
	return &cfg
}
