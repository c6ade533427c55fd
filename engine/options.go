package engine

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Defaults for an Engine's options.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxInflight = 10000
	DefaultTick        = time.Second
	MinTick            = 100 * time.Millisecond
	DefaultDrain       = 2 * time.Second
)

// Limits of what an Engine schedules; New refuses options beyond them (a
// CLI validates its flags against the same figures).
const (
	// MaxRate bounds the open loop's rate, constant or staged, in
	// requests per second.
	MaxRate = 10_000_000
	// MaxConcurrency bounds the closed loop's connections.
	MaxConcurrency = 100_000
	// MaxInflightLimit bounds MaxInflight (its ring is allocated up front).
	MaxInflightLimit = 1_000_000
	// MaxTimeout bounds a request's Timeout.
	MaxTimeout = 10 * time.Minute
	// MaxWindowDrain bounds the wait for requests in flight once a window
	// ends by itself: the smaller of Timeout and this.
	MaxWindowDrain = 10 * time.Second
)

// maxWindow bounds a run's sending window (Duration, or the stages'
// total): a hundred years, far from where the offsets the engine adds to
// it (the window's grace, the drain, a request's timeout) overflow.
const maxWindow = 100 * 365 * 24 * time.Hour

// config holds an Engine's settings; Options fill it.
type config struct {
	rate        float64
	rateSet     bool
	stages      []Stage
	concurrency int
	duration    time.Duration
	timeout     time.Duration
	maxInflight int
	keepAlive   bool
	insecure    bool
	tick        time.Duration
	drain       time.Duration
	windowDrain time.Duration // MaxWindowDrain but in tests (see Timeout)
	onSnapshot  func(*Snapshot)
	endpoints   *Endpoints
	balance     bool // Balance was given
	retry       RetryPolicy
}

func defaultConfig() config {
	return config{
		timeout:     DefaultTimeout,
		maxInflight: DefaultMaxInflight,
		keepAlive:   true,
		tick:        DefaultTick,
		drain:       DefaultDrain,
		windowDrain: MaxWindowDrain,
	}
}

// Option configures an Engine.
type Option func(*config)

// Rate selects the open loop at a constant rate in requests per second:
// a finite number from 0 to MaxRate.
func Rate(r float64) Option { return func(c *config) { c.rate, c.rateSet = r, true } }

// Stages selects the open loop with a ramped rate plan; the run lasts the
// plan's total duration. Each stage's duration must be positive and its
// rate one Rate accepts.
func Stages(s []Stage) Option { return func(c *config) { c.stages = s } }

// Concurrency selects the closed loop with n workers, each sending as soon
// as its previous answer came; at most MaxConcurrency.
func Concurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// Duration bounds the sending window; zero means until the context ends.
// A window of a hundred years or more is refused (its offsets overflow).
func Duration(d time.Duration) Option { return func(c *config) { c.duration = d } }

// Timeout bounds each request, connecting included: positive, at most
// MaxTimeout. Once a window ends by itself, requests still in flight are
// waited for at most the smaller of Timeout and MaxWindowDrain: those
// left then are counted as timed out when Timeout was the bound (their
// deadline passed), as abandoned when MaxWindowDrain was (see Drain).
func Timeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// MaxInflight bounds the open loop's outstanding requests; a send that
// would exceed it is dropped and counted. At most MaxInflightLimit (the
// queue is allocated up front).
func MaxInflight(n int) Option { return func(c *config) { c.maxInflight = n } }

// KeepAlive chooses between reusing connections (true, the default) and one
// new connection per request.
func KeepAlive(on bool) Option { return func(c *config) { c.keepAlive = on } }

// Insecure skips TLS certificate verification.
func Insecure(on bool) Option { return func(c *config) { c.insecure = on } }

// Drain bounds how long Run waits, once its context is done (the operator
// stopped the run), for the requests still in flight: those still in
// flight after d are counted as abandoned (ErrAbandoned, a transport
// error), timed up to then, so that a stopped run counts every request it
// sent and returns in bounded time. Zero counts them at once; negative is
// refused. A run whose window ends by itself waits for its requests at
// most the smaller of Timeout and MaxWindowDrain (see Timeout), or Drain
// from when its context is done meanwhile, if that comes first. Those
// left when the wait was MaxWindowDrain, shorter than their Timeout, are
// abandoned too. Default DefaultDrain.
func Drain(d time.Duration) Option { return func(c *config) { c.drain = d } }

// Tick sets the snapshot interval (at least MinTick).
func Tick(d time.Duration) Option { return func(c *config) { c.tick = d } }

// OnSnapshot sets a function called with each tick's snapshot, from the
// engine's collecting goroutine. The snapshot is the receiver's to keep.
func OnSnapshot(f func(*Snapshot)) Option { return func(c *config) { c.onSnapshot = f } }

// validate returns every problem with the configuration at once.
func (c *config) validate() error {
	var errs []error
	if c.rateSet && c.concurrency > 0 {
		errs = append(errs, errors.New("choose either a rate (open loop) or a concurrency (closed loop), not both"))
	}
	if c.rateSet {
		if err := checkRate(c.rate); err != nil {
			errs = append(errs, fmt.Errorf("rate %g: %w", c.rate, err))
		}
	}
	errs = append(errs, checkStages(c.stages)...)
	if c.concurrency < 0 {
		errs = append(errs, fmt.Errorf("concurrency %d: must not be negative", c.concurrency))
	}
	if c.concurrency > MaxConcurrency {
		errs = append(errs, fmt.Errorf("concurrency %d: at most %d connections", c.concurrency, MaxConcurrency))
	}
	if len(c.stages) > 0 && (c.rateSet || c.concurrency > 0) {
		errs = append(errs, errors.New("stages set the rate: drop the rate or concurrency"))
	}
	if len(c.stages) > 0 && c.duration > 0 {
		errs = append(errs, errors.New("stages set the duration: drop the duration"))
	}
	if c.duration < 0 {
		errs = append(errs, fmt.Errorf("duration %s: must not be negative", c.duration))
	}
	if c.duration > maxWindow {
		errs = append(errs, fmt.Errorf("duration %s: at most %s", c.duration, maxWindow))
	}
	if c.timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout %s: must be positive", c.timeout))
	}
	if c.timeout > MaxTimeout {
		errs = append(errs, fmt.Errorf("timeout %s: at most %s", c.timeout, MaxTimeout))
	}
	if c.maxInflight <= 0 {
		errs = append(errs, fmt.Errorf("max-inflight %d: must be positive", c.maxInflight))
	}
	if c.maxInflight > MaxInflightLimit {
		errs = append(errs, fmt.Errorf("max-inflight %d: at most %d", c.maxInflight, MaxInflightLimit))
	}
	if c.balance && c.endpoints == nil {
		errs = append(errs, errors.New("balance: no endpoint set given"))
	}
	if c.drain < 0 {
		errs = append(errs, fmt.Errorf("drain %s: must not be negative", c.drain))
	}
	if c.retry != (RetryPolicy{}) {
		p := c.retry.withDefaults()
		errs = append(errs, p.check()...)
	}
	if c.tick < MinTick {
		errs = append(errs, fmt.Errorf("tick %s: must be at least %s", c.tick, MinTick))
	}
	return errors.Join(errs...)
}

// CheckRate says what is wrong with r as a rate a user wrote (a flag, a
// plan), in words for them: a finite number, at most MaxRate, above 0
// unless zero is allowed (a stage's target may be 0; a constant rate of 0
// would send nothing). Nil when nothing is.
func CheckRate(r float64, zero bool) error {
	switch {
	case math.IsNaN(r) || math.IsInf(r, 0):
		if zero {
			return fmt.Errorf("not a finite number; want 0..%d req/s", MaxRate)
		}
		return fmt.Errorf("not a finite number; want above 0 and at most %d req/s", MaxRate)
	case r < 0 || (r == 0 && !zero):
		if zero {
			return fmt.Errorf("want 0..%d req/s", MaxRate)
		}
		return fmt.Errorf("want above 0 and at most %d req/s (a rate of 0 sends nothing)", MaxRate)
	case r > MaxRate:
		return fmt.Errorf("want at most %d req/s (the most one engine schedules)", MaxRate)
	}
	return nil
}

// checkRate says what is wrong with an open-loop rate, nil when nothing.
func checkRate(r float64) error {
	switch {
	case math.IsNaN(r) || math.IsInf(r, 0):
		return errors.New("must be a finite number")
	case r < 0:
		return errors.New("must not be negative")
	case r > MaxRate:
		return fmt.Errorf("at most %d requests per second", MaxRate)
	}
	return nil
}

// checkStages returns every problem with a stage plan: a stage's rate
// (as checkRate), a duration that is not positive, a total beyond
// maxWindow.
func checkStages(stages []Stage) []error {
	var errs []error
	var total time.Duration
	over := false
	for i, st := range stages {
		if err := checkRate(st.Rate); err != nil {
			errs = append(errs, fmt.Errorf("stage %d rate %g: %w", i+1, st.Rate, err))
		}
		if st.Duration <= 0 {
			errs = append(errs, fmt.Errorf("stage %d duration %s: must be positive", i+1, st.Duration))
		} else if !over {
			total += min(st.Duration, maxWindow) // at most twice maxWindow: no overflow
			if over = total > maxWindow; over {
				errs = append(errs, fmt.Errorf("stage %d: the stages last more than %s", i+1, maxWindow))
			}
		}
	}
	return errs
}

// closedLoop reports whether the configuration selects the closed loop.
func (c *config) closedLoop() bool { return c.concurrency > 0 }

// window is the sending window, zero for unbounded.
func (c *config) window() time.Duration {
	if len(c.stages) > 0 {
		return StagesDuration(c.stages)
	}
	return c.duration
}
