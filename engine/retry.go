package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Defaults and limits of a RetryPolicy (gRPC A6's backoff, Linkerd's
// budget).
const (
	// MaxRetries bounds RetryPolicy.Max: retries after the first attempt.
	MaxRetries = 10
	// DefaultRetryInitial, DefaultRetryMaxBackoff and
	// DefaultRetryMultiplier shape the backoff: the nth retry waits a
	// uniformly random time in [0, min(Initial×Multiplier^(n-1),
	// MaxBackoff)) (full jitter).
	DefaultRetryInitial    = 25 * time.Millisecond
	DefaultRetryMaxBackoff = time.Second
	DefaultRetryMultiplier = 2.0
	// DefaultRetryBudget is the share of requests that may be retried over
	// the budget's window, DefaultRetryMinPerSecond the retries allowed
	// per second whatever the share.
	DefaultRetryBudget       = 0.2
	DefaultRetryMinPerSecond = 10.0
	// MaxRetryBudget bounds RetryPolicy.Budget (1000%).
	MaxRetryBudget = 10.0
	// RetryBudgetWindow is the budget's sliding window.
	RetryBudgetWindow = budgetSlots * time.Second
)

// budgetSlots is the budget's window in one-second slots.
const budgetSlots = 10

// RetryPolicy is what a well-behaved client retries, and how. Zero
// fields take the defaults above; Max 0 retries nothing.
type RetryPolicy struct {
	// Max is the number of retries after the first attempt, at most
	// MaxRetries.
	Max int
	// On is what an attempt ends in for it to be retried; the zero value
	// is DefaultRetryOn.
	On RetryOn
	// Initial, MaxBackoff and Multiplier shape the backoff (see
	// DefaultRetryInitial).
	Initial, MaxBackoff time.Duration
	Multiplier          float64
	// Budget is the most retries as a share of requests over
	// RetryBudgetWindow (0.2 is 20%), MinPerSecond the retries per second
	// allowed whatever the share: a retry beyond both is not sent, its
	// request ends with its last attempt's outcome and counts in
	// Snapshot.RetriesBudgetExhausted.
	Budget, MinPerSecond float64
}

// RetryOn is a set of outcomes that are retried: transport error classes
// and status codes. Its zero value is empty (RetryPolicy takes it as
// DefaultRetryOn).
type RetryOn struct {
	classes uint32
	status  [10]uint64 // bit c for status code c < 640
}

// maxRetryStatus bounds the status codes a RetryOn names.
const maxRetryStatus = 640

// DefaultRetryOn is reset, refused and timeout, and 502, 503 and 504.
func DefaultRetryOn() RetryOn {
	var r RetryOn
	r.addClass(ErrReset)
	r.addClass(ErrRefused)
	r.addClass(ErrTimeout)
	for _, c := range []int{502, 503, 504} {
		r.addStatus(c)
	}
	return r
}

func (r *RetryOn) addClass(c ErrorClass) { r.classes |= 1 << c }
func (r *RetryOn) addStatus(c int)       { r.status[c/64] |= 1 << (c % 64) }

// IsZero reports the empty set.
func (r RetryOn) IsZero() bool { return r == RetryOn{} }

// Retries reports whether an attempt that ended in status (0 for a
// transport error) or, without one, in class is retried.
func (r *RetryOn) Retries(status int, class ErrorClass) bool {
	if status == 0 {
		return r.classes&(1<<class) != 0
	}
	return status < maxRetryStatus && r.status[status/64]&(1<<(status%64)) != 0
}

// ParseRetryOn reads a comma-separated list of what to retry: transport
// error class names (reset, refused, timeout, ...), status codes from 400
// to 599, and 4xx or 5xx for a whole range.
func ParseRetryOn(list string) (RetryOn, error) {
	var r RetryOn
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(strings.ToLower(item))
		switch {
		case item == "":
			return RetryOn{}, fmt.Errorf("retry-on %q: an empty item; want a comma-separated list such as 5xx,429,reset", list)
		case item == "4xx" || item == "5xx":
			base := 400
			if item == "5xx" {
				base = 500
			}
			for c := base; c < base+100; c++ {
				r.addStatus(c)
			}
			continue
		}
		if c, err := strconv.Atoi(item); err == nil {
			if c < 400 || c > 599 {
				return RetryOn{}, fmt.Errorf("retry-on %q: status %d; want 400..599, 4xx or 5xx", list, c)
			}
			r.addStatus(c)
			continue
		}
		class, ok := classNamed(item)
		if !ok {
			return RetryOn{}, fmt.Errorf("retry-on %q: %q is neither a status, 4xx, 5xx nor an error class (%s)",
				list, item, classNames())
		}
		r.addClass(class)
	}
	return r, nil
}

// classNamed returns the error class of a summary's name.
func classNamed(name string) (ErrorClass, bool) {
	for _, c := range ErrorClasses() {
		if c.String() == name {
			return c, true
		}
	}
	return 0, false
}

func classNames() string {
	var names []string
	for _, c := range ErrorClasses() {
		names = append(names, c.String())
	}
	return strings.Join(names, ", ")
}

// withDefaults returns p with its zero fields set to the defaults.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.On.IsZero() {
		p.On = DefaultRetryOn()
	}
	if p.Initial == 0 {
		p.Initial = DefaultRetryInitial
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = max(DefaultRetryMaxBackoff, p.Initial)
	}
	if p.Multiplier == 0 {
		p.Multiplier = DefaultRetryMultiplier
	}
	if p.Budget == 0 {
		p.Budget = DefaultRetryBudget
	}
	if p.MinPerSecond == 0 {
		p.MinPerSecond = DefaultRetryMinPerSecond
	}
	return p
}

// check returns every problem with a policy with its defaults in.
func (p *RetryPolicy) check() []error {
	var errs []error
	if p.Max < 0 || p.Max > MaxRetries {
		errs = append(errs, fmt.Errorf("retries %d: want 0..%d", p.Max, MaxRetries))
	}
	if p.Initial < 0 || p.MaxBackoff < p.Initial || p.MaxBackoff > MaxTimeout {
		errs = append(errs, fmt.Errorf("retry backoff %s..%s: want 0 < initial <= max <= %s", p.Initial, p.MaxBackoff, MaxTimeout))
	}
	if !(p.Multiplier >= 1) || math.IsInf(p.Multiplier, 0) {
		errs = append(errs, fmt.Errorf("retry multiplier %g: want a finite number of at least 1", p.Multiplier))
	}
	if !(p.Budget > 0 && p.Budget <= MaxRetryBudget) {
		errs = append(errs, fmt.Errorf("retry budget %g: want above 0 and at most %g (%g%%)", p.Budget, MaxRetryBudget, MaxRetryBudget*100))
	}
	if !(p.MinPerSecond > 0) || math.IsInf(p.MinPerSecond, 0) {
		errs = append(errs, fmt.Errorf("retry minimum %g/s: want a finite number above 0", p.MinPerSecond))
	}
	return errs
}

// Retries makes the engine retry as p says (Max 0: no retries). Each
// attempt counts in the snapshot's raw figures (Requests, Status, Errors,
// Latency); each request, its retries included, in the effective ones
// (EffectiveRequests, EffectiveFailed, Effective), timed from its first
// attempt's intended send. The open loop's schedule counts requests:
// retries are load on top of it.
func Retries(p RetryPolicy) Option {
	return func(c *config) { c.retry = p }
}

// retrier is an engine's retry policy at work: the policy, defaults in,
// and its budget, shared by every worker.
type retrier struct {
	RetryPolicy
	budget budget
}

func newRetrier(p RetryPolicy) *retrier {
	r := &retrier{RetryPolicy: p}
	r.budget.ratio, r.budget.floor = p.Budget, p.MinPerSecond
	return r
}

// backoff is the wait before retry n (1 for the first): full jitter over
// min(Initial×Multiplier^(n-1), MaxBackoff), drawn from the worker's rng.
func (r *retrier) backoff(n int, rng *uint64) time.Duration {
	ceil := float64(r.Initial) * math.Pow(r.Multiplier, float64(n-1))
	ceil = min(ceil, float64(r.MaxBackoff))
	return time.Duration(ceil * unitFloat(rng))
}

// wait says whether the attempt that ended as res, its request's
// attempt n (0 for the first), is retried and after how long: its
// Retry-After on a 429 or 503 when it has one (no retry when that is
// longer than MaxBackoff: a client that will not wait so long gives up
// rather than come back early), else the backoff.
func (r *retrier) wait(res *result, n int, rng *uint64) (time.Duration, bool) {
	if n >= r.Max || !r.On.Retries(res.status, res.class) {
		return 0, false
	}
	if res.retryAfter >= 0 {
		if res.retryAfter > r.MaxBackoff {
			return 0, false
		}
		return res.retryAfter, true
	}
	return r.backoff(n+1, rng), true
}

// splitmix64 advances a worker's generator and returns its next number:
// cheap, and the worker's own (no lock).
func splitmix64(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// unitFloat is a uniform number in [0, 1).
func unitFloat(s *uint64) float64 { return float64(splitmix64(s)>>11) / (1 << 53) }

// parseRetryAfter reads a Retry-After header's delay in seconds; -1 when
// it is absent or not a number of seconds (an HTTP date is not read).
func parseRetryAfter(v []byte) time.Duration {
	if len(v) == 0 || len(v) > 9 {
		return -1
	}
	var n int64
	for _, b := range v {
		if b < '0' || b > '9' {
			return -1
		}
		n = n*10 + int64(b-'0')
	}
	return time.Duration(n) * time.Second
}
