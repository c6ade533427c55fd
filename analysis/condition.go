package analysis

import (
	"fmt"
	"strings"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// DefaultOver is the window a condition judges when it names none: the
// last second, a few ticks rather than one.
const DefaultOver = time.Second

// Condition is a step's when: trigger, such as p(99) > 250ms over 5s: a
// comparison that holds or not over the last Over of the run.
type Condition struct {
	// Metric is what is measured, with its filters.
	Metric Metric
	// Expr is the comparison, in the metric's unit (as a threshold's).
	Expr
	// Over is the window judged.
	Over time.Duration
	// Source is the condition as written.
	Source string
}

// String is the condition as written.
func (c Condition) String() string { return c.Source }

// ParseCondition reads a trigger: [METRIC[{FILTERS}][.AGGREGATION] |
// AGGREGATION] OPERATOR VALUE [over DURATION]. An expression that starts
// with an aggregation is of latency (p(99) > 250ms); a metric without one
// takes its own (availability and errors: rate; requests, dropped and
// late: count; rps: value; latencies have none to take). Values and
// aggregations are a threshold's (errors.rate > 1%, rps < 500,
// latency{version:v2}.p(99) >= 1.5s); the window defaults to DefaultOver
// and is at least MinWindow.
func ParseCondition(s string) (Condition, error) {
	src := strings.TrimSpace(s)
	c := Condition{Source: src, Over: DefaultOver}
	fail := func(err error) (Condition, error) { return Condition{}, fmt.Errorf("condition %q: %w", src, err) }
	expr := src
	if i := strings.LastIndex(expr, " over "); i >= 0 {
		over, err := ParseDuration(expr[i+len(" over "):])
		if err != nil {
			return fail(fmt.Errorf("over %w", err))
		}
		if over < MinWindow {
			return fail(fmt.Errorf("over %s: want at least %s (a tick is 250ms)", over, MinWindow))
		}
		c.Over, expr = over, strings.TrimSpace(expr[:i])
	} else if strings.HasSuffix(expr, " over") {
		return fail(fmt.Errorf("over what? Write a duration after it, such as over 5s"))
	}
	left, op, right, ok := splitOperator(expr)
	if !ok {
		return fail(fmt.Errorf("no comparison: want METRIC[.AGGREGATION] OPERATOR VALUE [over DURATION], such as p(99) > 250ms over 5s"))
	}
	m, agg, err := parseConditionLeft(left)
	if err != nil {
		return fail(err)
	}
	e, err := buildExpr(m.Name, agg, op, right)
	if err != nil {
		return fail(err)
	}
	c.Metric, c.Expr = m, e
	return c, nil
}

// parseConditionLeft reads what comes before a condition's operator.
func parseConditionLeft(left string) (Metric, Aggregation, error) {
	if left == "" {
		return Metric{}, Aggregation{}, fmt.Errorf("nothing before the operator: write a metric or an aggregation, such as p(99) or availability")
	}
	if strings.HasPrefix(left, "p(") || allowsAny(left) {
		agg, err := parseAggregation(left)
		if err == nil && !allows(MetricLatency, agg.Kind) {
			return Metric{}, Aggregation{}, fmt.Errorf("%s of what? An expression that starts with an aggregation is of latency, which has none: name the metric, such as errors.%s", agg, agg)
		}
		return Metric{Name: MetricLatency}, agg, err
	}
	key, rest := left, ""
	if i := strings.Index(left, "}"); i >= 0 {
		key, rest = left[:i+1], left[i+1:]
	} else if i := strings.Index(left, "."); i >= 0 {
		key, rest = left[:i], left[i:]
	}
	m, err := ParseMetric(key)
	if err != nil {
		return Metric{}, Aggregation{}, err
	}
	if m.Name == MetricGenerator {
		return Metric{}, Aggregation{}, fmt.Errorf("generator.saturated is a threshold, not a condition: put it under thresholds (generator: [\"saturated == false\"])")
	}
	if rest == "" {
		agg, ok := defaultAggregation(m.Name)
		if !ok {
			return Metric{}, Aggregation{}, fmt.Errorf("%s needs an aggregation: write %s.p(99) or p(99) (it allows %s)", m.Name, m.Name, allowedAggs(m.Name))
		}
		return m, agg, nil
	}
	aggText, ok := strings.CutPrefix(strings.TrimSpace(rest), ".")
	if !ok {
		return Metric{}, Aggregation{}, fmt.Errorf("%q after the metric: want METRIC.AGGREGATION, such as errors.rate", rest)
	}
	agg, err := parseAggregation(aggText)
	return m, agg, err
}

// allowsAny reports a word that is an aggregation without a parameter.
func allowsAny(w string) bool {
	for _, k := range []AggKind{AggAvg, AggMed, AggMin, AggMax, AggRate, AggCount, AggValue} {
		if w == string(k) {
			return true
		}
	}
	return false
}

// defaultAggregation is the aggregation a condition takes for a metric
// written without one.
func defaultAggregation(n MetricName) (Aggregation, bool) {
	switch n {
	case MetricAvailability, MetricErrors:
		return Aggregation{Kind: AggRate}, true
	case MetricRequests, MetricDropped, MetricLate:
		return Aggregation{Kind: AggCount}, true
	case MetricRPS:
		return Aggregation{Kind: AggValue}, true
	}
	return Aggregation{}, false
}

// Trigger watches a condition on the ticks of a run. It is not safe for
// concurrent use.
type Trigger struct {
	c     Condition
	s     *series
	steps stepLog
}

// NewTrigger returns a trigger of the condition, with nothing seen yet.
func NewTrigger(c Condition) *Trigger {
	return &Trigger{c: c, s: newSeries(c.Metric, c.Over), steps: stepLog{}}
}

// Condition is the condition watched.
func (t *Trigger) Condition() Condition { return t.c }

// Observe takes one tick, as Judge.Observe does.
func (t *Trigger) Observe(at time.Duration, s *engine.Snapshot) {
	if !t.steps.judged(t.c.Metric, "", 0, at, s.Elapsed()) {
		return
	}
	c, h := take(t.c.Metric, s)
	t.s.add(at, c, h)
}

// StepStarted and StepEnded tell the trigger when a step ran, for a
// condition filtered by step.
func (t *Trigger) StepStarted(name string, at time.Duration) { t.steps.started(name, at) }

// StepEnded tells the trigger that the named step ended at at.
func (t *Trigger) StepEnded(name string, at time.Duration) { t.steps.ended(name, at) }

// Value is the condition's measured value over the Over before now, and
// false when nothing was measured.
func (t *Trigger) Value(now time.Duration) (float64, bool) { return t.s.measure(now, t.c.Agg) }

// Holds reports whether the condition holds over the Over before now. No
// data does not hold.
func (t *Trigger) Holds(now time.Duration) bool {
	v, ok := t.Value(now)
	return ok && t.c.Op.Holds(v, t.c.Value)
}
