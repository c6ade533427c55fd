package analysis

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// AggKind is how a metric's samples are aggregated into the one value a
// threshold compares.
type AggKind string

// The aggregations, spelled as in k6.
const (
	AggPercentile AggKind = "p"
	AggAvg        AggKind = "avg"
	AggMed        AggKind = "med"
	AggMin        AggKind = "min"
	AggMax        AggKind = "max"
	AggRate       AggKind = "rate"
	AggCount      AggKind = "count"
	AggValue      AggKind = "value"
	// AggSaturated is the generator's judgement, true (1) or false (0).
	AggSaturated AggKind = "saturated"
)

// Aggregation is an aggregation with its percentile (P, for p(P) only).
type Aggregation struct {
	Kind AggKind
	P    float64
}

// String is the aggregation as k6 writes it: p(99.9), avg, rate.
func (a Aggregation) String() string {
	if a.Kind == AggPercentile {
		return "p(" + strconv.FormatFloat(a.P, 'f', -1, 64) + ")"
	}
	return string(a.Kind)
}

// Operator compares a measured value with a threshold's.
type Operator string

// The operators; k6's === is read as ==.
const (
	OpLess         Operator = "<"
	OpLessEqual    Operator = "<="
	OpGreater      Operator = ">"
	OpGreaterEqual Operator = ">="
	OpEqual        Operator = "=="
	OpNotEqual     Operator = "!="
)

// Holds reports whether measured op limit holds.
func (o Operator) Holds(measured, limit float64) bool {
	switch o {
	case OpLess:
		return measured < limit
	case OpLessEqual:
		return measured <= limit
	case OpGreater:
		return measured > limit
	case OpGreaterEqual:
		return measured >= limit
	case OpEqual:
		return measured == limit
	case OpNotEqual:
		return measured != limit
	}
	return false
}

// Expr is a comparison such as p(99)<200: an aggregation, an operator and
// the limit, in the metric's unit (milliseconds for latencies, a share
// from 0 to 1 for rates of availability, errors, dropped and late, per
// second for the rate of requests and for rps, a number for counts).
type Expr struct {
	Agg   Aggregation
	Op    Operator
	Value float64
}

// String is the expression in canonical form: p(99)<200.
func (e Expr) String() string {
	return e.Agg.String() + string(e.Op) + strconv.FormatFloat(e.Value, 'f', -1, 64)
}

// splitOperator cuts s at its first operator.
func splitOperator(s string) (left string, op Operator, right string, ok bool) {
	i := strings.IndexAny(s, "<>=!")
	if i < 0 {
		return "", "", "", false
	}
	left, rest := s[:i], s[i:]
	for _, tok := range []string{"===", "<=", ">=", "==", "!=", "<", ">"} {
		if r, found := strings.CutPrefix(rest, tok); found {
			op = Operator(tok)
			if tok == "===" {
				op = OpEqual
			}
			return strings.TrimSpace(left), op, strings.TrimSpace(r), true
		}
	}
	return "", "", "", false
}

// parseAggregation reads p(N), avg, med, min, max, rate, count or value.
func parseAggregation(s string) (Aggregation, error) {
	if inner, ok := strings.CutPrefix(s, "p("); ok {
		inner, ok = strings.CutSuffix(inner, ")")
		if !ok {
			return Aggregation{}, fmt.Errorf("percentile %q has no closing parenthesis: write p(99)", s)
		}
		p, ok := parseNumber(strings.TrimSpace(inner))
		if !ok || p > 100 {
			return Aggregation{}, fmt.Errorf("percentile %q: want p(N) with N from 0 to 100, such as p(99.9)", s)
		}
		return Aggregation{Kind: AggPercentile, P: p}, nil
	}
	for _, k := range []AggKind{AggAvg, AggMed, AggMin, AggMax, AggRate, AggCount, AggValue, AggSaturated} {
		if s == string(k) {
			return Aggregation{Kind: k}, nil
		}
	}
	if s == "" {
		return Aggregation{}, fmt.Errorf("no aggregation before the operator: write p(99), avg, med, min, max, rate, count or value")
	}
	return Aggregation{}, fmt.Errorf("unknown aggregation %q: use p(N), avg, med, min, max, rate, count or value", s)
}

// parseNumber reads digits with an optional decimal part: no sign,
// exponent, hexadecimal, infinity or NaN.
func parseNumber(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	dot := false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil && !math.IsInf(v, 0)
}

// ParseDuration reads a duration as plans write them: with a unit (200ms,
// 1.5s, 2m) or a plain number of milliseconds (200). It is never
// negative.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if v, ok := parseNumber(s); ok {
		return time.Duration(v * float64(time.Millisecond)), nil
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("%q is not a duration: write 200ms, 1.5s or plain milliseconds", s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write 200ms, 1.5s or plain milliseconds", s)
	}
	return d, nil
}

// parseLimit reads an expression's value in the metric's unit.
func parseLimit(n MetricName, agg Aggregation, s string) (float64, error) {
	switch {
	case s == "":
		return 0, fmt.Errorf("no value after the operator")
	case agg.Kind == AggSaturated:
		switch s {
		case "false":
			return 0, nil
		case "true":
			return 1, nil
		}
		return 0, fmt.Errorf("%q is not true or false: write saturated == false", s)
	case n.trend():
		d, err := ParseDuration(s)
		if err != nil {
			return 0, err
		}
		return float64(d) / float64(time.Millisecond), nil
	case agg.Kind == AggRate && n.fraction():
		if pct, ok := strings.CutSuffix(s, "%"); ok {
			v, ok := parseNumber(strings.TrimSpace(pct))
			if !ok || v > 100 {
				return 0, fmt.Errorf("%q is not a percentage from 0%% to 100%%", s)
			}
			return v / 100, nil
		}
		v, ok := parseNumber(s)
		if !ok {
			return 0, fmt.Errorf("%q is not a number: write a share such as 0.01, or 1%%", s)
		}
		if v > 1 {
			return 0, fmt.Errorf("a rate is a share from 0 to 1, not %s: write 0.01 or 1%%", s)
		}
		return v, nil
	}
	v, ok := parseNumber(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// parseExpr reads AGGREGATION OPERATOR VALUE for metric n.
func parseExpr(n MetricName, s string) (Expr, error) {
	left, op, right, ok := splitOperator(s)
	if !ok {
		return Expr{}, errNoComparison
	}
	agg, err := parseAggregation(left)
	if err != nil {
		return Expr{}, err
	}
	return buildExpr(n, agg, op, right)
}

// errNoComparison is the error of an expression without an operator.
var errNoComparison = fmt.Errorf("no comparison: want AGGREGATION OPERATOR VALUE, such as p(99)<200 (operators: <, <=, >, >=, ==, !=)")

// buildExpr checks that metric n has the aggregation and reads the value.
func buildExpr(n MetricName, agg Aggregation, op Operator, right string) (Expr, error) {
	if !allows(n, agg.Kind) {
		return Expr{}, fmt.Errorf("%s has no %s: it allows %s", n, agg.Kind, allowedAggs(n))
	}
	if agg.Kind == AggSaturated && op != OpEqual && op != OpNotEqual {
		return Expr{}, fmt.Errorf("saturated is true or false: compare it with == or !=, such as saturated == false")
	}
	if strings.ContainsAny(right, "<>=!") {
		return Expr{}, fmt.Errorf("%q after the operator is not a value", right)
	}
	v, err := parseLimit(n, agg, right)
	if err != nil {
		return Expr{}, err
	}
	return Expr{Agg: agg, Op: op, Value: v}, nil
}

// allows reports whether metric n has aggregation k.
func allows(n MetricName, k AggKind) bool {
	for _, a := range n.aggregations() {
		if a == k {
			return true
		}
	}
	return false
}

// allowedAggs lists metric n's aggregations for messages.
func allowedAggs(n MetricName) string {
	var w []string
	for _, a := range n.aggregations() {
		if a == AggPercentile {
			w = append(w, "p(N)")
		} else {
			w = append(w, string(a))
		}
	}
	return orList(w)
}
