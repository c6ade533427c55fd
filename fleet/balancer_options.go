package fleet

import (
	"errors"
	"fmt"
	"time"
)

// Defaults for a Balancer's options.
const (
	DefaultCheckInterval   = 250 * time.Millisecond
	DefaultCheckTimeout    = time.Second
	DefaultUpstreamTimeout = 30 * time.Second
	DefaultTimeoutFailures = 3
)

// balancerConfig holds a Balancer's settings; BalancerOptions fill it.
type balancerConfig struct {
	checkInterval   time.Duration
	checkTimeout    time.Duration
	upstreamTimeout time.Duration
	timeoutFailures int
	onChange        func(Change)
}

func defaultBalancerConfig() balancerConfig {
	return balancerConfig{
		checkInterval:   DefaultCheckInterval,
		checkTimeout:    DefaultCheckTimeout,
		upstreamTimeout: DefaultUpstreamTimeout,
		timeoutFailures: DefaultTimeoutFailures,
	}
}

// BalancerOption configures a Balancer.
type BalancerOption func(*balancerConfig)

// CheckInterval sets how often each backend's readiness is checked.
func CheckInterval(d time.Duration) BalancerOption {
	return func(c *balancerConfig) { c.checkInterval = d }
}

// CheckTimeout bounds one readiness check; a check that takes longer
// fails (a hung backend).
func CheckTimeout(d time.Duration) BalancerOption {
	return func(c *balancerConfig) { c.checkTimeout = d }
}

// TimeoutFailures sets how many readiness checks in a row must time out
// before a backend leaves the rotation (default 3, Kubernetes' probe
// failureThreshold): a slow answer on a busy machine is not a verdict. A
// definite failure (a 503, a refused or reset connection) takes the
// backend out at once.
func TimeoutFailures(n int) BalancerOption {
	return func(c *balancerConfig) { c.timeoutFailures = n }
}

// UpstreamTimeout bounds one proxied request; past it the client gets a
// 504.
func UpstreamTimeout(d time.Duration) BalancerOption {
	return func(c *balancerConfig) { c.upstreamTimeout = d }
}

// OnChange sets a function called, from the checking goroutines, each
// time a backend enters or leaves the rotation.
func OnChange(f func(Change)) BalancerOption { return func(c *balancerConfig) { c.onChange = f } }

func (c *balancerConfig) validate() error {
	var errs []error
	if c.checkInterval < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("check interval %s: at least 10ms", c.checkInterval))
	}
	if c.checkTimeout <= 0 {
		errs = append(errs, fmt.Errorf("check timeout %s: must be positive", c.checkTimeout))
	}
	if c.timeoutFailures < 1 {
		errs = append(errs, fmt.Errorf("timeout failures %d: at least 1", c.timeoutFailures))
	}
	if c.upstreamTimeout <= 0 {
		errs = append(errs, fmt.Errorf("upstream timeout %s: must be positive", c.upstreamTimeout))
	}
	return errors.Join(errs...)
}
