package analysis

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Threshold is one expression a run is judged on, as k6 writes it under
// a metric's key (latency: ["p(99)<200"]), with the options of the
// plan's object form.
type Threshold struct {
	// Metric is what is measured, with its filters.
	Metric Metric
	// Expr is the comparison that must hold.
	Expr
	// Source is the expression as written ("p(99) < 200"), for display.
	Source string
	// AbortOnFail stops the run when the threshold fails, once
	// DelayAbortEval has passed since the load's start.
	AbortOnFail    bool
	DelayAbortEval time.Duration
	// Window, when positive, judges the last Window of the run at each
	// evaluation rather than the whole run so far: the threshold must hold
	// at every evaluation.
	Window time.Duration
	// Recover forgives the requests of the Recover after the step
	// RecoverAfter fired (with a {step:NAME} filter, the filter's step):
	// the threshold may fail for at most that long and must hold after.
	// The ticks that end within Recover of the step's start are left out
	// of what the threshold judges; those after it count. With a step
	// filter, a recovery also widens the span judged: from the step's
	// start to the run's end, not only while the step ran. If the step
	// never fired, nothing is forgiven: the threshold is judged as usual
	// (one with a step filter has no data).
	Recover      time.Duration
	RecoverAfter string
	// AllowNoData lets a threshold without samples pass; otherwise no data
	// fails (k6 passes it, which hides a dead target).
	AllowNoData bool
}

// ParseThreshold reads one expression under a metric's key:
// ParseThreshold("latency", "p(99)<200"). Expressions are k6's:
// p(N), avg, med, min, max on latencies (values in milliseconds, or with
// a unit: 200ms, 1.5s), rate on availability, errors, dropped and late
// (a share: 0.01 or 1%), rate (per second) and count on requests, count
// on errors, dropped and late, value on rps; operators <, <=, >, >=, ==,
// != (and k6's ===). The options are left at their zero values for the
// caller to set. Errors are one line naming the metric, the expression
// and the reason.
func ParseThreshold(metricKey, expr string) (Threshold, error) {
	// generator.saturated == false, the probe's dotted spelling, is
	// generator: saturated == false.
	if k, rest, ok := strings.Cut(strings.TrimSpace(metricKey), "."); ok && k == string(MetricGenerator) {
		metricKey, expr = k, rest+" "+expr
	}
	m, err := ParseMetric(metricKey)
	if err != nil {
		return Threshold{}, err
	}
	e, err := parseExpr(m.Name, strings.TrimSpace(expr))
	if err != nil {
		return Threshold{}, fmt.Errorf("threshold %q on %s: %w", expr, m, err)
	}
	return Threshold{Metric: m, Expr: e, Source: strings.TrimSpace(expr)}, nil
}

// String names the threshold for messages: latency{version:v2} p(99)<200.
func (t Threshold) String() string { return t.Metric.String() + " " + t.Source }

// RecoverStep is the step whose recovery Recover forgives: RecoverAfter,
// or the step filter's; empty without a recovery.
func (t Threshold) RecoverStep() string {
	if t.Recover <= 0 {
		return ""
	}
	if t.RecoverAfter != "" {
		return t.RecoverAfter
	}
	return t.Metric.Step
}

// MinWindow is the shortest window a threshold or a condition may judge:
// a few ticks, never one (the session ticks every 250 ms).
const MinWindow = time.Second

// Validate reports every problem of the threshold's options, each an
// error of one line.
func (t Threshold) Validate() []error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("threshold %q on %s: %s", t.Source, t.Metric, fmt.Sprintf(format, a...)))
	}
	if t.Window < 0 || (t.Window > 0 && t.Window < MinWindow) {
		bad("window %s: want at least %s (or none: the whole run)", t.Window, MinWindow)
	}
	if t.DelayAbortEval < 0 {
		bad("delayAbortEval %s is negative", t.DelayAbortEval)
	}
	if t.DelayAbortEval > 0 && !t.AbortOnFail {
		bad("delayAbortEval without abortOnFail: nothing to delay")
	}
	if t.Metric.Name == MetricGenerator && (t.Recover != 0 || t.RecoverAfter != "") {
		bad("the generator's judgement forgives no recovery: judge a part of the run with window:")
	}
	switch {
	case t.Recover < 0:
		bad("recover %s is negative", t.Recover)
	case t.Recover == 0 && t.RecoverAfter != "":
		bad("recover after %q has no duration, such as recover: 10s", t.RecoverAfter)
	case t.Recover > 0 && t.RecoverStep() == "":
		bad("recover %s after which step? Name it, or filter the metric by step, such as availability{step:kill}", t.Recover)
	case t.Recover > 0 && t.RecoverAfter != "" && t.Metric.Step != "" && t.RecoverAfter != t.Metric.Step:
		bad("recover after %q but the metric is filtered by step %q: the recovery is the filter's step", t.RecoverAfter, t.Metric.Step)
	}
	return errs
}

// validateAll joins the problems of every threshold into one error.
func validateAll(ths []Threshold) error {
	var errs []error
	for _, t := range ths {
		errs = append(errs, t.Validate()...)
	}
	return errors.Join(errs...)
}
