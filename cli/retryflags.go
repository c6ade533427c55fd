package cli

import (
	"math"
	"strconv"
	"strings"

	"github.com/scalelab/scalelab/engine"
	"github.com/spf13/pflag"
)

// checkRetries checks the retry flags and makes f.retry from them:
// --retries 0..MaxRetries, --retry-on a list ParseRetryOn reads,
// --retry-budget a percentage above 0 and at most MaxRetryBudget; the
// last two only with retries.
func (f *loadFlags) checkRetries(fs *pflag.FlagSet) error {
	if f.retries < 0 || f.retries > engine.MaxRetries {
		return badInput("--retries %d: want 0..%d retries of a failed request (0: none)", f.retries, engine.MaxRetries)
	}
	if f.retries == 0 {
		for _, name := range []string{"retry-on", "retry-budget"} {
			if fs.Changed(name) {
				return badInput("--%s: needs --retries 1 or more", name)
			}
		}
		return nil
	}
	p := engine.RetryPolicy{Max: f.retries, Initial: f.retryInitial, MaxBackoff: f.retryMax, Multiplier: f.retryMultiplier}
	if fs.Changed("retry-on") {
		on, err := engine.ParseRetryOn(f.retryOn)
		if err != nil {
			return badInput("--%v", err)
		}
		if on.IsZero() {
			return badInput("--retry-on %q: names nothing to retry", f.retryOn)
		}
		p.On = on
	}
	b, err := parseBudget(f.retryBudget)
	if err != nil {
		return err
	}
	p.Budget = b
	f.retry = p
	return nil
}

// parseBudget reads --retry-budget, a percentage such as 20%, as a share.
func parseBudget(s string) (float64, error) {
	num, ok := strings.CutSuffix(s, "%")
	v, err := strconv.ParseFloat(num, 64)
	maxPct := engine.MaxRetryBudget * 100
	if !ok || err != nil || math.IsNaN(v) || v <= 0 || v > maxPct || strings.TrimSpace(num) != num {
		return 0, badInput("--retry-budget %q: want a percentage above 0%% and at most %g%%, such as 20%%", s, maxPct)
	}
	return v / 100, nil
}
