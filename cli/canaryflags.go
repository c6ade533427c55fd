package cli

import (
	"time"

	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/session"
	"github.com/spf13/pflag"
)

// canaryFlags are the canary analysis's flags: today --canary-interval
// (the plan's analysis block comes with the canary step's parser).
type canaryFlags struct {
	// interval is how long each judged interval lasts, 0: the default.
	interval time.Duration
}

// register adds the flags to fs.
func (f *canaryFlags) register(fs *pflag.FlagSet) {
	fs.DurationVar(&f.interval, "canary-interval", 0,
		"a canary step's judged interval (default 10s): each compares the canary's requests with the baseline's")
}

// canarySink is the sink that judges the run's canary step, nil when no
// step's action is canary; a bad analysis (or --canary-interval without a
// canary step) is bad input. With ui.canary the sink is there in any case
// (idle until the operator's canary key starts one), with ui's options
// (the operator's confirmation).
func (f canaryFlags) canarySink(steps []experiments.PlanStep, ui canaryUI) (*session.CanarySink, error) {
	has := ui.canary
	for _, s := range steps {
		has = has || s.Step.Action == session.ActionCanary
	}
	if !has {
		if f.interval != 0 {
			return nil, badInput("--canary-interval %s: no step is a canary (canary=VERSION)", f.interval)
		}
		return nil, nil
	}
	cfg := canary.DefaultConfig()
	if f.interval != 0 {
		cfg.Interval = f.interval
	}
	if err := cfg.Validate(); err != nil {
		return nil, badInput("--canary-interval: %v", err)
	}
	return session.NewCanary(cfg, ui.opts...), nil
}

// canaryUI is what the terminal UI asks of the canary judge: canary, to
// be registered even without a canary step (the operator may start
// one), and its options.
type canaryUI struct {
	canary bool
	opts   []session.CanaryOption
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
