package cli

import (
	"slices"
	"time"

	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/session"
	"github.com/spf13/pflag"
)

// canaryFlags are the canary analysis's flags: --canary-interval, which
// overrides the interval of every canary step's analysis (a plan step's
// analysis: block, or the defaults).
type canaryFlags struct {
	// interval is how long each judged interval lasts, 0: the default.
	interval time.Duration
	// generatorBound is what an interval during which the generator was
	// saturated counts as: "inconclusive" (the default) or "ignore" (judged
	// on its figures).
	generatorBound string
}

// register adds the flags to fs.
func (f *canaryFlags) register(fs *pflag.FlagSet) {
	fs.DurationVar(&f.interval, "canary-interval", 0,
		"a canary step's judged interval (default 10s, or its plan analysis's): each compares the canary's requests with the baseline's")
	fs.StringVar(&f.generatorBound, "canary-generator-bound", "inconclusive",
		"what an interval during which the generator was saturated counts as: inconclusive, or ignore (judged on its figures: the saturation's noise falls on both versions)")
}

// generatorOptions are the canary judge's options for the generator's
// probes g (--canary-generator-bound), or bad input.
func (f canaryFlags) generatorOptions(g *session.GeneratorSink) ([]session.CanaryOption, error) {
	switch f.generatorBound {
	case "inconclusive", "":
		return []session.CanaryOption{session.CanaryGenerator(g)}, nil
	case "ignore":
		return nil, nil
	}
	return nil, badInput("--canary-generator-bound %q: want inconclusive or ignore", f.generatorBound)
}

// canaryAnalyses are the canary steps' analyses: Default for a step
// without a plan analysis block, Steps by label for those with one, and
// First the first canary step's (what a recording keeps).
type canaryAnalyses struct {
	Default, First canary.Config
	Steps          map[string]canary.Config
}

// analyses reads the canary steps' analyses, each with --canary-interval
// overriding its interval; nil when no step's action is canary. A bad
// analysis is bad input.
func (f canaryFlags) analyses(steps []experiments.PlanStep) (*canaryAnalyses, error) {
	def, err := f.apply(canary.DefaultConfig())
	if err != nil {
		return nil, err
	}
	var a *canaryAnalyses
	for _, s := range steps {
		if s.Step.Action != session.ActionCanary {
			continue
		}
		cfg := def
		if s.Analysis != nil {
			if cfg, err = f.apply(*s.Analysis); err != nil {
				return nil, err
			}
		}
		if a == nil {
			a = &canaryAnalyses{Default: def, First: cfg, Steps: map[string]canary.Config{}}
		}
		if s.Analysis != nil {
			label := s.Name
			if label == "" {
				label = s.Step.Spec
			}
			a.Steps[label] = cfg
		}
	}
	return a, nil
}

// canarySink is the sink that judges the run's canary step, nil when no
// step's action is canary: each canary step with its plan analysis block
// (canary.DefaultConfig without one), --canary-interval overriding the
// interval. A bad analysis (or --canary-interval without a canary step)
// is bad input. With ui.canary the sink is there in any case (idle until
// the operator's canary key starts one), with ui's options (the
// operator's confirmation), and more, the caller's (the generator's
// probes: session.CanaryGenerator).
func (f canaryFlags) canarySink(steps []experiments.PlanStep, ui canaryUI, more ...session.CanaryOption) (*session.CanarySink, error) {
	a, err := f.analyses(steps)
	if err != nil {
		return nil, err
	}
	if a == nil {
		if !ui.canary {
			if f.interval != 0 {
				return nil, badInput("--canary-interval %s: no step is a canary (canary=VERSION)", f.interval)
			}
			return nil, nil
		}
		def, err := f.apply(canary.DefaultConfig())
		if err != nil {
			return nil, err
		}
		a = &canaryAnalyses{Default: def, First: def}
	}
	opts := append(slices.Clone(ui.opts), more...)
	for label, cfg := range a.Steps {
		opts = append(opts, session.CanaryStepConfig(label, cfg))
	}
	return session.NewCanary(a.Default, opts...), nil
}

// canaryUI is what the terminal UI asks of the canary judge: canary, to
// be registered even without a canary step (the operator may start
// one), and its options.
type canaryUI struct {
	canary bool
	opts   []session.CanaryOption
}

// apply is cfg with the flags' overrides, checked.
func (f canaryFlags) apply(cfg canary.Config) (canary.Config, error) {
	if f.interval != 0 {
		cfg.Interval = f.interval
	}
	if err := cfg.Validate(); err != nil {
		return cfg, badInput("--canary-interval: %v", err)
	}
	return cfg, nil
}

// recordedCanary is the canary step's analysis as a recording keeps it
// (the first canary step's, the one judged; with ui.canary and no canary
// step, the one the operator's canary would have), nil without a canary
// (or with a bad analysis, which the run refuses before recording).
func (f canaryFlags) recordedCanary(steps []experiments.PlanStep, ui canaryUI) *recordings.CanaryAnalysis {
	a, err := f.analyses(steps)
	if err != nil {
		return nil
	}
	var rec *recordings.CanaryAnalysis
	if a == nil {
		def, err := f.apply(canary.DefaultConfig())
		if !ui.canary || err != nil {
			return nil
		}
		rec = session.RecordedCanary(def)
	} else {
		rec = session.RecordedCanary(a.First)
	}
	rec.GeneratorBound = f.generatorBound
	if rec.GeneratorBound == "" {
		rec.GeneratorBound = "inconclusive"
	}
	return rec
}

// canaryResult is the canary's analysis as the summary keeps it, nil
// without one.
func canaryResult(c *session.CanaryResult) *report.CanaryResult {
	if c == nil {
		return nil
	}
	return report.NewCanaryResult(c.Step, c.Version, c.Baseline, c.Decision, c.Intervals, c.Action, c.Acted, c.Note, c.Passed())
}

// canaryLine is a canary event as the headless run prints it: an
// interval's and the decision's with their title first ("canary 2/6
// pass: v2 p99 ..."), the action's as they are ("canary v2: promoted in
// 2.1s").
func canaryLine(e session.Event) string {
	if (e.Kind == session.CanaryIntervalJudged || e.Kind == session.CanaryDecided) && e.Title != "" {
		return e.Title + ": " + e.Message
	}
	return e.Message
}
