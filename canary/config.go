package canary

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// OnInconclusive values: what a headless run does with an inconclusive
// decision (the UI asks the operator instead).
const (
	// OnInconclusiveRollback rolls the canary back and fails the run.
	OnInconclusiveRollback = "rollback"
	// OnInconclusivePromote promotes the canary.
	OnInconclusivePromote = "promote"
)

// Config is the analysis of a canary: how its intervals are judged and how
// many make a decision. DefaultConfig holds the defaults; Spec is the
// plan's form.
type Config struct {
	// Interval is how long each judged interval lasts.
	Interval time.Duration
	// Count is how many intervals are judged before promoting.
	Count int
	// MinSamples is the fewest requests each version must answer in an
	// interval for it to be judged; with fewer it is inconclusive.
	MinSamples uint64
	// MaxIncrease is the tolerated increase of the canary's failure
	// proportion over the baseline's, absolute (0.005: half a percentage
	// point).
	MaxIncrease float64
	// MaxRatio is the effect-size floor of the latency: the canary's p50 or
	// p99 over the baseline's must exceed it for the latency to fail.
	MaxRatio float64
	// DeadBand is how far (absolute) the canary's p50 or p99 must also be
	// above the baseline's for the latency to fail: a ratio over a
	// sub-millisecond difference is noise.
	DeadBand time.Duration
	// Alpha is the significance level of both tests.
	Alpha float64
	// FailureLimit is how many failed intervals are tolerated: one more
	// rolls back.
	FailureLimit int
	// InconclusiveLimit is how many inconclusive intervals are tolerated:
	// one more makes the decision inconclusive.
	InconclusiveLimit int
	// OnInconclusive is what a headless run does with an inconclusive
	// decision: OnInconclusiveRollback or OnInconclusivePromote.
	OnInconclusive string
}

// DefaultConfig returns the analysis's defaults: 6 intervals of 10s, 200
// requests per version, errors up by at most 0.5 percentage points,
// latency at most 1.2× and 1 ms worse, alpha 0.05, no failed interval, one
// inconclusive one, and an inconclusive decision rolled back (failing the
// run) headless.
func DefaultConfig() Config {
	return Config{
		Interval:          10 * time.Second,
		Count:             6,
		MinSamples:        200,
		MaxIncrease:       0.005,
		MaxRatio:          1.2,
		DeadBand:          time.Millisecond,
		Alpha:             0.05,
		FailureLimit:      0,
		InconclusiveLimit: 1,
		OnInconclusive:    OnInconclusiveRollback,
	}
}

// Validate returns every problem with c at once (nil when none), one per
// line, each naming its key as the plan spells it.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Interval <= 0 {
		bad("interval %s: must be positive", c.Interval)
	}
	if c.Count < 1 {
		bad("count %d: at least 1", c.Count)
	}
	if c.MinSamples < 1 {
		bad("min_samples %d: at least 1", c.MinSamples)
	}
	if !(c.MaxIncrease >= 0 && c.MaxIncrease < 1) {
		bad("max_increase %s: want 0%% to below 100%%", formatPercent(c.MaxIncrease))
	}
	if !(c.MaxRatio >= 1) || math.IsInf(c.MaxRatio, 0) {
		bad("max_ratio %g: at least 1", c.MaxRatio)
	}
	if c.DeadBand < 0 {
		bad("dead_band %s: must not be negative", c.DeadBand)
	}
	if !(c.Alpha > 0 && c.Alpha < 1) {
		bad("alpha %g: want between 0 and 1", c.Alpha)
	}
	if c.FailureLimit < 0 {
		bad("failure_limit %d: must not be negative", c.FailureLimit)
	}
	if c.InconclusiveLimit < 0 {
		bad("inconclusive_limit %d: must not be negative", c.InconclusiveLimit)
	}
	if c.OnInconclusive != OnInconclusiveRollback && c.OnInconclusive != OnInconclusivePromote {
		bad("on_inconclusive %q: want %s or %s", c.OnInconclusive, OnInconclusivePromote, OnInconclusiveRollback)
	}
	return errors.Join(errs...)
}

// Spec is the analysis block of a plan as written, every key optional
// (DefaultConfig's value when absent):
//
//	interval: 10s
//	count: 6
//	min_samples: 200
//	max_increase: 0.5%
//	max_ratio: 1.2
//	dead_band: 1ms
//	alpha: 0.05
//	failure_limit: 0
//	inconclusive_limit: 1
//	on_inconclusive: rollback    # or promote
type Spec struct {
	Interval          string   `yaml:"interval" json:"interval,omitempty"`
	Count             *int     `yaml:"count" json:"count,omitempty"`
	MinSamples        *int64   `yaml:"min_samples" json:"min_samples,omitempty"`
	MaxIncrease       string   `yaml:"max_increase" json:"max_increase,omitempty"`
	MaxRatio          *float64 `yaml:"max_ratio" json:"max_ratio,omitempty"`
	DeadBand          string   `yaml:"dead_band" json:"dead_band,omitempty"`
	Alpha             *float64 `yaml:"alpha" json:"alpha,omitempty"`
	FailureLimit      *int     `yaml:"failure_limit" json:"failure_limit,omitempty"`
	InconclusiveLimit *int     `yaml:"inconclusive_limit" json:"inconclusive_limit,omitempty"`
	OnInconclusive    string   `yaml:"on_inconclusive" json:"on_inconclusive,omitempty"`
}

// Config returns the analysis s describes, over DefaultConfig, or every
// problem with it at once, one per line: values that do not read, then
// values that are out of range (a value that does not read is reported
// once, not again as out of range).
func (s Spec) Config() (Config, error) {
	c := DefaultConfig()
	var errs []error
	if s.Interval != "" {
		if d, err := time.ParseDuration(s.Interval); err != nil {
			errs = append(errs, fmt.Errorf("interval %q: not a duration (as 10s)", s.Interval))
		} else {
			c.Interval = d
		}
	}
	if s.DeadBand != "" {
		if d, err := time.ParseDuration(s.DeadBand); err != nil {
			errs = append(errs, fmt.Errorf("dead_band %q: not a duration (as 1ms)", s.DeadBand))
		} else {
			c.DeadBand = d
		}
	}
	if s.MaxIncrease != "" {
		if v, err := ParsePercent(s.MaxIncrease); err != nil {
			errs = append(errs, fmt.Errorf("max_increase %w", err))
		} else {
			c.MaxIncrease = v
		}
	}
	if s.MinSamples != nil {
		if *s.MinSamples < 1 {
			errs = append(errs, fmt.Errorf("min_samples %d: at least 1", *s.MinSamples))
		} else {
			c.MinSamples = uint64(*s.MinSamples)
		}
	}
	setInt(&c.Count, s.Count)
	setInt(&c.FailureLimit, s.FailureLimit)
	setInt(&c.InconclusiveLimit, s.InconclusiveLimit)
	if s.MaxRatio != nil {
		c.MaxRatio = *s.MaxRatio
	}
	if s.Alpha != nil {
		c.Alpha = *s.Alpha
	}
	if s.OnInconclusive != "" {
		c.OnInconclusive = s.OnInconclusive
	}
	return c, errors.Join(append(errs, c.Validate())...)
}

// setInt sets *dst to *v when v is given.
func setInt(dst, v *int) {
	if v != nil {
		*dst = *v
	}
}

// ParsePercent reads a percentage written with its sign, as 0.5%, into a
// proportion (0.005). A bare number is refused: 0.5 could mean either.
func ParsePercent(s string) (float64, error) {
	num, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	if !ok {
		return 0, fmt.Errorf("%q: write a percentage, as 0.5%%", s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q: not a percentage (as 0.5%%)", s)
	}
	return v / 100, nil
}

// formatPercent writes a proportion as a percentage (0.005: 0.5%).
func formatPercent(v float64) string {
	return strconv.FormatFloat(v*100, 'g', -1, 64) + "%"
}
