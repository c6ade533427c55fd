package analysis

import (
	"testing"
	"time"
)

func TestParseCondition(t *testing.T) {
	for _, tc := range []struct {
		in   string
		m    Metric
		want Expr
		over time.Duration
	}{
		{"p(99) > 250ms over 5s", Metric{Name: MetricLatency}, Expr{Aggregation{AggPercentile, 99}, OpGreater, 250}, 5 * time.Second},
		{"availability < 99%", Metric{Name: MetricAvailability}, Expr{Aggregation{Kind: AggRate}, OpLess, 0.99}, DefaultOver},
		{"errors.rate > 1% over 10s", Metric{Name: MetricErrors}, Expr{Aggregation{Kind: AggRate}, OpGreater, 0.01}, 10 * time.Second},
		{"rps < 500", Metric{Name: MetricRPS}, Expr{Aggregation{Kind: AggValue}, OpLess, 500}, DefaultOver},
		{"avg>=20", Metric{Name: MetricLatency}, Expr{Aggregation{Kind: AggAvg}, OpGreaterEqual, 20}, DefaultOver},
		{"errors > 0.5 over 2000", Metric{Name: MetricErrors}, Expr{Aggregation{Kind: AggRate}, OpGreater, 0.5}, 2 * time.Second},
		{"dropped > 0", Metric{Name: MetricDropped}, Expr{Aggregation{Kind: AggCount}, OpGreater, 0}, DefaultOver},
		{"http_reqs.count < 10 over 3s", Metric{Name: MetricRequests}, Expr{Aggregation{Kind: AggCount}, OpLess, 10}, 3 * time.Second},
		{"latency{version:v2}.p(99.9) >= 1.5s", Metric{Name: MetricLatency, Version: "v2"}, Expr{Aggregation{AggPercentile, 99.9}, OpGreaterEqual, 1500}, DefaultOver},
		{"availability{step:kill} < 99.9%", Metric{Name: MetricAvailability, Step: "kill"}, Expr{Aggregation{Kind: AggRate}, OpLess, 0.999}, DefaultOver},
	} {
		c, err := ParseCondition(tc.in)
		if err != nil || c.Metric != tc.m || c.Agg != tc.want.Agg || c.Op != tc.want.Op || abs(c.Value-tc.want.Value) > 1e-9 || c.Over != tc.over {
			t.Errorf("ParseCondition(%q) = %+v, %v; want %+v %+v over %s", tc.in, c, err, tc.m, tc.want, tc.over)
		}
		if c.String() != tc.in {
			t.Errorf("source %q", c)
		}
	}
}

func TestParseConditionErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"latency > 5", `condition "latency > 5": latency needs an aggregation: write latency.p(99) or p(99) (it allows p(N), avg, med, min or max)`},
		{"p(99) > 250ms over 100ms", `condition "p(99) > 250ms over 100ms": over 100ms: want at least 1s (a tick is 250ms)`},
		{"p(99) > 250ms over", `condition "p(99) > 250ms over": over what? Write a duration after it, such as over 5s`},
		{"p(99) > 250ms over x", `condition "p(99) > 250ms over x": over "x" is not a duration: write 200ms, 1.5s or plain milliseconds`},
		{"errors:rate > 1", `condition "errors:rate > 1": metric "errors:rate": malformed filter: write filters in braces, such as latency{version:v2}`},
		{"rate > 1%", `condition "rate > 1%": rate of what? An expression that starts with an aggregation is of latency, which has none: name the metric, such as errors.rate`},
		{"foo.p(99) > 1", `condition "foo.p(99) > 1": unknown metric "foo": ` + metrics},
		{"errors.p(99) > 1", `condition "errors.p(99) > 1": errors has no p: it allows rate or count`},
		{"errors.rate > 2", `condition "errors.rate > 2": a rate is a share from 0 to 1, not 2: write 0.01 or 1%`},
		{"errors{version:v2} rate > 1%", `condition "errors{version:v2} rate > 1%": " rate" after the metric: want METRIC.AGGREGATION, such as errors.rate`},
		{"250ms", `condition "250ms": no comparison: want METRIC[.AGGREGATION] OPERATOR VALUE [over DURATION], such as p(99) > 250ms over 5s`},
		{"> 250ms", `condition "> 250ms": nothing before the operator: write a metric or an aggregation, such as p(99) or availability`},
		{"p(99) >", `condition "p(99) >": no value after the operator`},
	} {
		_, err := ParseCondition(tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseCondition(%q) error\n got %v\nwant %s", tc.in, err, tc.want)
		}
	}
}
