package experiments

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scalelab/scalelab/engine"
	"go.yaml.in/yaml/v3"
)

// Retry is a load's retry: block, the plan's form of --retries,
// --retry-on and --retry-budget, and the backoff (which has no flags).
// A field the file leaves out is zero: the flag's default, or the
// engine's (engine.RetryPolicy's zero fields).
type Retry struct {
	// Retries is how many times a failed request is retried (0: none).
	Retries int
	// On is what is retried, as --retry-on writes it ("5xx,429,reset"),
	// "" for the default (reset, refused, timeout, 502, 503, 504).
	On string
	// Budget is the most retries as a share of requests (0.2 is 20%), 0
	// for the default.
	Budget float64
	// Initial, Max and Multiplier shape the backoff (0: the engine's
	// defaults, 25ms, 1s and 2).
	Initial, Max time.Duration
	Multiplier   float64
	// Line is the block's line in the file.
	Line int
}

// Policy is the engine's retry policy r describes (its zero fields take
// the engine's defaults).
func (r Retry) Policy() engine.RetryPolicy {
	p := engine.RetryPolicy{Max: r.Retries, Budget: r.Budget, Initial: r.Initial, MaxBackoff: r.Max, Multiplier: r.Multiplier}
	if r.On != "" {
		p.On, _ = engine.ParseRetryOn(r.On) // checked when decoded
	}
	return p
}

// BudgetFlag is the budget as --retry-budget writes it (20%), "" for
// the default.
func (r Retry) BudgetFlag() string {
	if r.Budget == 0 {
		return ""
	}
	return strconv.FormatFloat(r.Budget*100, 'g', -1, 64) + "%"
}

// retry decodes load.retry, checking each key as the flags are checked,
// at its line.
func (d *decoder) retry(n *yaml.Node) *Retry {
	const what = "load.retry"
	r := &Retry{Line: n.Line}
	var retriesNode, maxNode, initialNode *yaml.Node
	var others []string // the keys that need retries
	good := true
	need := func(key string) { others = append(others, key) }
	ok := d.fields(n, what, []field{
		{"retries", func(v *yaml.Node) {
			retriesNode = v
			x, ok := d.integer(v, what+".retries", 0, engine.MaxRetries, "retries of a failed request; 0: none")
			r.Retries, good = x, good && ok
		}},
		{"on", func(v *yaml.Node) {
			need("on")
			var items []string
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				d.bad(v, "%s.on: an empty list names nothing to retry; give such as [5xx, 429, reset] (or leave on out for the default)", what)
				good = false
				return
			}
			if !d.list(v, what+".on", "[5xx, 429, reset]", func(i int, item *yaml.Node) {
				s, ok := d.text(item, what+".on")
				if !ok {
					good = false
					return
				}
				s = strings.TrimSpace(s)
				if _, err := engine.ParseRetryOn(s); err != nil || strings.Contains(s, ",") {
					d.bad(item, "%s.on[%d] %q: want a status (400..599), 4xx, 5xx or an error class (%s)", what, i+1, s, retryClassNames())
					good = false
					return
				}
				items = append(items, s)
			}) {
				good = false
				return
			}
			r.On = strings.Join(items, ",")
		}},
		{"budget", func(v *yaml.Node) {
			need("budget")
			b, ok := d.retryBudget(v, what+".budget")
			r.Budget, good = b, good && ok
		}},
		{"initial", func(v *yaml.Node) {
			need("initial")
			initialNode = v
			x, ok := d.duration(v, what+".initial", true)
			r.Initial, good = x, good && ok
		}},
		{"max", func(v *yaml.Node) {
			need("max")
			maxNode = v
			x, ok := d.duration(v, what+".max", true)
			if ok && x > engine.MaxTimeout {
				d.bad(v, "%s.max %s: want at most %s", what, v.Value, engine.MaxTimeout)
				ok = false
			}
			r.Max, good = x, good && ok
		}},
		{"multiplier", func(v *yaml.Node) {
			need("multiplier")
			x, ok := d.number(v, what+".multiplier")
			if ok && x < 1 {
				d.bad(v, "%s.multiplier %s: want at least 1 (each retry waits at most as long as the one before times it)", what, v.Value)
				ok = false
			}
			r.Multiplier, good = x, good && ok
		}},
	})
	if !ok {
		return nil
	}
	switch {
	case retriesNode == nil:
		d.bad(n, "%s: no retries: give retries: N (1..%d), the retries of a failed request", what, engine.MaxRetries)
		return nil
	case r.Retries == 0 && good && len(others) > 0:
		d.bad(retriesNode, "%s: %s: need retries 1 or more", what, strings.Join(others, ", "))
		return nil
	}
	if good && (initialNode != nil || maxNode != nil) {
		// The engine's defaults: max is at least 1s and the initial
		// backoff; initial is 25ms.
		initial, maxB := r.Initial, r.Max
		if initial == 0 {
			initial = engine.DefaultRetryInitial
		}
		if maxB == 0 {
			maxB = max(engine.DefaultRetryMaxBackoff, initial)
		}
		if initial > maxB {
			at := maxNode
			if at == nil {
				at = initialNode
			}
			d.bad(at, "%s: initial %s above max %s: the backoff grows from initial up to max", what, initial, maxB)
			good = false
		}
	}
	if !good {
		return nil
	}
	return r
}

// retryBudget reads a budget, a percentage above 0% and at most
// engine.MaxRetryBudget, as --retry-budget.
func (d *decoder) retryBudget(v *yaml.Node, what string) (float64, bool) {
	maxPct := engine.MaxRetryBudget * 100
	if v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float") {
		d.bad(v, "%s: %s is a bare number: write a percentage, such as %s%%", what, v.Value, v.Value)
		return 0, false
	}
	s, ok := d.text(v, what)
	if !ok {
		return 0, false
	}
	num, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	x, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if !pct || err != nil || math.IsNaN(x) || x <= 0 || x > maxPct {
		d.bad(v, "%s %q: want a percentage above 0%% and at most %g%%, such as 20%%", what, s, maxPct)
		return 0, false
	}
	return x / 100, true
}

// retryClassNames lists the error classes a retry may name.
func retryClassNames() string {
	var names []string
	for _, c := range engine.ErrorClasses() {
		names = append(names, c.String())
	}
	return strings.Join(names, ", ")
}
