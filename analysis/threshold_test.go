package analysis

import (
	"strings"
	"testing"
	"time"
)

func TestParseMetric(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want Metric
	}{
		{"latency", Metric{Name: MetricLatency}},
		{"http_req_duration", Metric{Name: MetricLatency}},
		{"service_time", Metric{Name: MetricServiceTime}},
		{"availability", Metric{Name: MetricAvailability}},
		{"errors", Metric{Name: MetricErrors}},
		{"http_req_failed", Metric{Name: MetricErrors}},
		{"requests", Metric{Name: MetricRequests}},
		{"http_reqs", Metric{Name: MetricRequests}},
		{"rps", Metric{Name: MetricRPS}},
		{"dropped", Metric{Name: MetricDropped}},
		{"dropped_iterations", Metric{Name: MetricDropped}},
		{"late", Metric{Name: MetricLate}},
		{"latency{version:v2}", Metric{Name: MetricLatency, Version: "v2"}},
		{"availability{step:kill}", Metric{Name: MetricAvailability, Step: "kill"}},
		{"requests{status:5xx}", Metric{Name: MetricRequests, Status: StatusFilter{Class: 5}}},
		{"http_reqs{status:503}", Metric{Name: MetricRequests, Status: StatusFilter{Code: 503}}},
		{" errors { step: upgrade , version: v2 } ", Metric{Name: MetricErrors, Version: "v2", Step: "upgrade"}},
		{"dropped{step:upgrade}", Metric{Name: MetricDropped, Step: "upgrade"}},
		{"rps{status:2xx,step:up}", Metric{Name: MetricRPS, Step: "up", Status: StatusFilter{Class: 2}}},
	} {
		got, err := ParseMetric(tc.key)
		if err != nil || got != tc.want {
			t.Errorf("ParseMetric(%q) = %+v, %v; want %+v", tc.key, got, err, tc.want)
		}
	}
}

func TestMetricString(t *testing.T) {
	m, err := ParseMetric("errors{status:5xx,step:kill}")
	if err != nil || m.String() != "errors{step:kill,status:5xx}" {
		t.Errorf("got %q, %v", m, err)
	}
}

const metrics = "use latency, service_time, availability, errors, requests, rps, dropped, late or generator (or k6's http_req_duration, http_req_failed, http_reqs, dropped_iterations)"

func TestParseMetricErrors(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"lat", `unknown metric "lat": ` + metrics},
		{"", `metric "": no metric name: ` + metrics},
		{"latency{region:eu}", `metric "latency{region:eu}": unknown filter "region": use version, step or status`},
		{"latency{version:v2", `metric "latency{version:v2": malformed filter: want {key:value}, such as latency{version:v2}`},
		{"latency{version:{v2}}", `metric "latency{version:{v2}}": malformed filter: want {key:value}, such as latency{version:v2}`},
		{"latency}", `metric "latency}": malformed filter: write filters in braces, such as latency{version:v2}`},
		{"latency:v2", `metric "latency:v2": malformed filter: write filters in braces, such as latency{version:v2}`},
		{"latency{version}", `metric "latency{version}": malformed filter "version": want key:value, such as version:v2`},
		{"latency{}", `metric "latency{}": malformed filter "": want key:value, such as version:v2`},
		{"latency{version:}", `metric "latency{version:}": filter version has no value, such as version:v2`},
		{"latency{step:}", `metric "latency{step:}": filter step has no value, such as step:upgrade`},
		{"latency{version:v2,version:v3}", `metric "latency{version:v2,version:v3}": filter "version" given twice`},
		{"requests{status:5x}", `metric "requests{status:5x}": status "5x": want a code (503) or a class (5xx)`},
		{"requests{status:600}", `metric "requests{status:600}": status "600": want a code (503) or a class (5xx)`},
		{"requests{status:099}", `metric "requests{status:099}": status "099": want a code (503) or a class (5xx)`},
		{"dropped{version:v2}", `metric "dropped{version:v2}": dropped sends have no version or status: filter dropped by step only`},
		{"late{status:5xx}", `metric "late{status:5xx}": late sends have no version or status: filter late by step only`},
		{"service_time{version:v2}", `metric "service_time{version:v2}": service_time is not kept by version or status: filter it by step only`},
		{"latency{status:5xx}", `metric "latency{status:5xx}": latency is not kept by status: filter it by version or step`},
		{"errors{version:v2,status:5xx}", `metric "errors{version:v2,status:5xx}": version and status cannot be combined: the split by version is not kept by status`},
	} {
		_, err := ParseMetric(tc.key)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseMetric(%q) error\n got %v\nwant %s", tc.key, err, tc.want)
		}
	}
}

func TestParseThreshold(t *testing.T) {
	p := func(v float64) Aggregation { return Aggregation{Kind: AggPercentile, P: v} }
	a := func(k AggKind) Aggregation { return Aggregation{Kind: k} }
	for _, tc := range []struct {
		key, expr string
		want      Expr
	}{
		{"latency", "p(99)<200", Expr{p(99), OpLess, 200}},
		{"latency", "p(99.9)<=500", Expr{p(99.9), OpLessEqual, 500}},
		{"latency", " p( 95 ) < 1.5s ", Expr{p(95), OpLess, 1500}},
		{"http_req_duration", "avg<50", Expr{a(AggAvg), OpLess, 50}},
		{"latency", "med<20ms", Expr{a(AggMed), OpLess, 20}},
		{"latency", "min>=250us", Expr{a(AggMin), OpGreaterEqual, 0.25}},
		{"service_time", "max<1000", Expr{a(AggMax), OpLess, 1000}},
		{"latency", "p(0)>0", Expr{p(0), OpGreater, 0}},
		{"latency", "p(100)!=2m", Expr{p(100), OpNotEqual, 120000}},
		{"errors", "rate<0.01", Expr{a(AggRate), OpLess, 0.01}},
		{"http_req_failed", "rate<1%", Expr{a(AggRate), OpLess, 0.01}},
		{"errors", "count==0", Expr{a(AggCount), OpEqual, 0}},
		{"availability", "rate>0.999", Expr{a(AggRate), OpGreater, 0.999}},
		{"availability", "rate>=99.9%", Expr{a(AggRate), OpGreaterEqual, 0.999}},
		{"requests", "count>10000", Expr{a(AggCount), OpGreater, 10000}},
		{"http_reqs", "rate>100.5", Expr{a(AggRate), OpGreater, 100.5}},
		{"rps", "value>0", Expr{a(AggValue), OpGreater, 0}},
		{"dropped", "count==0", Expr{a(AggCount), OpEqual, 0}},
		{"dropped_iterations", "rate<0.1%", Expr{a(AggRate), OpLess, 0.001}},
		{"late", "rate<=0.05", Expr{a(AggRate), OpLessEqual, 0.05}},
		{"latency", "p(99)===200", Expr{p(99), OpEqual, 200}},
	} {
		th, err := ParseThreshold(tc.key, tc.expr)
		if err != nil || th.Expr.Agg != tc.want.Agg || th.Op != tc.want.Op || abs(th.Value-tc.want.Value) > 1e-9 {
			t.Errorf("ParseThreshold(%q, %q) = %+v, %v; want %+v", tc.key, tc.expr, th.Expr, err, tc.want)
			continue
		}
		if th.Source != strings.TrimSpace(tc.expr) {
			t.Errorf("source %q, want %q", th.Source, tc.expr)
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestParseThresholdErrors(t *testing.T) {
	for _, tc := range []struct{ key, expr, want string }{
		{"lat", "p(99)<200", `unknown metric "lat": ` + metrics},
		{"latency", "p(101)<200", `threshold "p(101)<200" on latency: percentile "p(101)": want p(N) with N from 0 to 100, such as p(99.9)`},
		{"latency", "p(-1)<200", `threshold "p(-1)<200" on latency: percentile "p(-1)": want p(N) with N from 0 to 100, such as p(99.9)`},
		{"latency", "p(abc)<200", `threshold "p(abc)<200" on latency: percentile "p(abc)": want p(N) with N from 0 to 100, such as p(99.9)`},
		{"latency", "p(99<200", `threshold "p(99<200" on latency: percentile "p(99" has no closing parenthesis: write p(99)`},
		{"latency", "p99<200", `threshold "p99<200" on latency: unknown aggregation "p99": use p(N), avg, med, min, max, rate, count or value`},
		{"latency", "p(99)<", `threshold "p(99)<" on latency: no value after the operator`},
		{"latency", "p(99)", `threshold "p(99)" on latency: no comparison: want AGGREGATION OPERATOR VALUE, such as p(99)<200 (operators: <, <=, >, >=, ==, !=)`},
		{"latency", "<200", `threshold "<200" on latency: no aggregation before the operator: write p(99), avg, med, min, max, rate, count or value`},
		{"latency", "p(99)<<200", `threshold "p(99)<<200" on latency: "<200" after the operator is not a value`},
		{"latency", "p(99)<abc", `threshold "p(99)<abc" on latency: "abc" is not a duration: write 200ms, 1.5s or plain milliseconds`},
		{"latency", "p(99)<-5", `threshold "p(99)<-5" on latency: "-5" is not a duration: write 200ms, 1.5s or plain milliseconds`},
		{"latency", "p(99)<1e3", `threshold "p(99)<1e3" on latency: "1e3" is not a duration: write 200ms, 1.5s or plain milliseconds`},
		{"latency", "rate<0.01", `threshold "rate<0.01" on latency: latency has no rate: it allows p(N), avg, med, min or max`},
		{"errors", "rate<abc", `threshold "rate<abc" on errors: "abc" is not a number: write a share such as 0.01, or 1%`},
		{"errors", "rate<5", `threshold "rate<5" on errors: a rate is a share from 0 to 1, not 5: write 0.01 or 1%`},
		{"errors", "rate<101%", `threshold "rate<101%" on errors: "101%" is not a percentage from 0% to 100%`},
		{"errors", "rate<5ms", `threshold "rate<5ms" on errors: "5ms" is not a number: write a share such as 0.01, or 1%`},
		{"errors", "p(99)<5", `threshold "p(99)<5" on errors: errors has no p: it allows rate or count`},
		{"availability", "avg<50", `threshold "avg<50" on availability: availability has no avg: it allows rate`},
		{"availability", "count>5", `threshold "count>5" on availability: availability has no count: it allows rate`},
		{"requests", "count>5%", `threshold "count>5%" on requests: "5%" is not a number`},
		{"requests", "count>NaN", `threshold "count>NaN" on requests: "NaN" is not a number`},
		{"rps", "count>5", `threshold "count>5" on rps: rps has no count: it allows value`},
		{"latency{version:v2}", "p(99)<>5", `threshold "p(99)<>5" on latency{version:v2}: ">5" after the operator is not a value`},
	} {
		_, err := ParseThreshold(tc.key, tc.expr)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseThreshold(%q, %q) error\n got %v\nwant %s", tc.key, tc.expr, err, tc.want)
		}
	}
}

func TestThresholdValidate(t *testing.T) {
	th := func(key, expr string, set func(*Threshold)) Threshold {
		t.Helper()
		x, err := ParseThreshold(key, expr)
		if err != nil {
			t.Fatal(err)
		}
		set(&x)
		return x
	}
	for _, tc := range []struct {
		th   Threshold
		want string
	}{
		{th("latency", "p(99)<200", func(x *Threshold) { x.Window = 10 * time.Second; x.AbortOnFail = true; x.DelayAbortEval = time.Second }), ""},
		{th("availability{step:kill}", "rate>0.999", func(x *Threshold) { x.Recover = 10 * time.Second }), ""},
		{th("availability", "rate>0.999", func(x *Threshold) { x.Recover = 10 * time.Second; x.RecoverAfter = "kill" }), ""},
		{th("latency", "p(99)<200", func(x *Threshold) { x.Window = 250 * time.Millisecond }),
			`threshold "p(99)<200" on latency: window 250ms: want at least 1s (or none: the whole run)`},
		{th("latency", "p(99)<200", func(x *Threshold) { x.DelayAbortEval = time.Second }),
			`threshold "p(99)<200" on latency: delayAbortEval without abortOnFail: nothing to delay`},
		{th("latency", "p(99)<200", func(x *Threshold) { x.AbortOnFail = true; x.DelayAbortEval = -time.Second }),
			`threshold "p(99)<200" on latency: delayAbortEval -1s is negative`},
		{th("availability", "rate>0.999", func(x *Threshold) { x.Recover = 10 * time.Second }),
			`threshold "rate>0.999" on availability: recover 10s after which step? Name it, or filter the metric by step, such as availability{step:kill}`},
		{th("availability", "rate>0.999", func(x *Threshold) { x.RecoverAfter = "kill" }),
			`threshold "rate>0.999" on availability: recover after "kill" has no duration, such as recover: 10s`},
		{th("availability{step:kill}", "rate>0.999", func(x *Threshold) { x.Recover = time.Second; x.RecoverAfter = "upgrade" }),
			`threshold "rate>0.999" on availability{step:kill}: recover after "upgrade" but the metric is filtered by step "kill": the recovery is the filter's step`},
	} {
		errs := tc.th.Validate()
		var got []string
		for _, e := range errs {
			got = append(got, e.Error())
		}
		if strings.Join(got, "\n") != tc.want {
			t.Errorf("Validate(%s)\n got %q\nwant %q", tc.th, got, tc.want)
		}
	}
	// NewJudge reports every problem at once.
	bad := []Threshold{
		th("latency", "p(99)<200", func(x *Threshold) { x.Window = time.Millisecond }),
		th("availability", "rate>0.9", func(x *Threshold) { x.Recover = time.Second }),
	}
	if _, err := NewJudge(bad); err == nil || strings.Count(err.Error(), "\n") != 1 {
		t.Errorf("NewJudge: %v, want both problems", err)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"200": 200 * time.Millisecond, "1.5": 1500 * time.Microsecond,
		"200ms": 200 * time.Millisecond, "1.5s": 1500 * time.Millisecond, "2m": 2 * time.Minute, "250us": 250 * time.Microsecond} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-5ms", "abc", "5 parsecs", "1e3", ".5s"} {
		if _, err := ParseDuration(in); err == nil || err.Error() != `"`+in+`" is not a duration: write 200ms, 1.5s or plain milliseconds` {
			t.Errorf("ParseDuration(%q): %v", in, err)
		}
	}
}
