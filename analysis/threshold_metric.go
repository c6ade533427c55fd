package analysis

import (
	"fmt"
	"strconv"
	"strings"
)

// MetricName is what a threshold or a condition measures, in its
// canonical spelling.
type MetricName string

// The metrics. Latency and ServiceTime are trends (p(N), avg, med, min,
// max, in milliseconds); Availability a rate; Errors a rate and a count;
// Requests, Dropped and Late counts with a rate; RPS a value.
const (
	// MetricLatency is every request's latency, timed from the intended
	// send in open loop (engine.Snapshot.Latency). k6: http_req_duration.
	// Without a request that got an HTTP answer it has no data (a dead
	// target's fast refusals are not a latency), as service_time.
	MetricLatency MetricName = "latency"
	// MetricServiceTime is latency timed from the actual send
	// (engine.Snapshot.Service).
	MetricServiceTime MetricName = "service_time"
	// MetricAvailability is (requests − failed) / requests.
	MetricAvailability MetricName = "availability"
	// MetricErrors counts the failed requests (transport errors and 5xx
	// answers); its rate is failed / requests. k6: http_req_failed.
	MetricErrors MetricName = "errors"
	// MetricRequests counts the requests that ended; its rate is per
	// second, as k6's counters'. k6: http_reqs.
	MetricRequests MetricName = "requests"
	// MetricRPS is the requests per second over the time judged.
	MetricRPS MetricName = "rps"
	// MetricDropped counts the open-loop sends due but never sent; its
	// rate is per request sent or dropped. k6: dropped_iterations.
	MetricDropped MetricName = "dropped"
	// MetricLate counts the sends more than 1 ms behind schedule; its rate
	// is per request sent or dropped.
	MetricLate MetricName = "late"
	// MetricGenerator is the generator probes' judgement of each second
	// sampled (session.GeneratorSink): its one aggregation, saturated, is
	// true when any second judged was saturated. Written
	// generator: saturated == false (or generator.saturated == false).
	MetricGenerator MetricName = "generator"
)

// metricNames lists the metrics in the order error messages name them.
var metricNames = []MetricName{MetricLatency, MetricServiceTime, MetricAvailability, MetricErrors,
	MetricRequests, MetricRPS, MetricDropped, MetricLate, MetricGenerator}

// metricAliases maps k6's names to ours.
var metricAliases = map[string]MetricName{
	"http_req_duration":  MetricLatency,
	"http_req_failed":    MetricErrors,
	"http_reqs":          MetricRequests,
	"dropped_iterations": MetricDropped,
}

// trend reports a metric of latencies, judged on a histogram.
func (n MetricName) trend() bool { return n == MetricLatency || n == MetricServiceTime }

// aggregations are the aggregations a metric allows.
func (n MetricName) aggregations() []AggKind {
	switch n {
	case MetricLatency, MetricServiceTime:
		return []AggKind{AggPercentile, AggAvg, AggMed, AggMin, AggMax}
	case MetricAvailability:
		return []AggKind{AggRate}
	case MetricErrors, MetricRequests, MetricDropped, MetricLate:
		return []AggKind{AggRate, AggCount}
	case MetricRPS:
		return []AggKind{AggValue}
	case MetricGenerator:
		return []AggKind{AggSaturated}
	}
	return nil
}

// fraction reports a metric whose rate is a share from 0 to 1 (which may
// be written as a percentage), rather than per second.
func (n MetricName) fraction() bool {
	return n != MetricRequests && n != MetricRPS && n != MetricGenerator && !n.trend()
}

// StatusFilter selects answers by their HTTP status: one code (Code, such
// as 503) or a class (Class, 5 for 5xx). The zero value selects nothing
// in particular: no filter.
type StatusFilter struct {
	Code  int
	Class int
}

// IsZero reports no status filter.
func (f StatusFilter) IsZero() bool { return f.Code == 0 && f.Class == 0 }

// Matches reports whether an answer's status code is selected.
func (f StatusFilter) Matches(code int) bool {
	if f.Code != 0 {
		return code == f.Code
	}
	return code/100 == f.Class
}

// String is the filter as written: 503 or 5xx.
func (f StatusFilter) String() string {
	if f.Code != 0 {
		return strconv.Itoa(f.Code)
	}
	if f.Class != 0 {
		return strconv.Itoa(f.Class) + "xx"
	}
	return ""
}

// parseStatus reads 503 or 5xx (codes 100 to 599, classes 1xx to 5xx).
func parseStatus(v string) (StatusFilter, bool) {
	if len(v) == 3 && (v[1:] == "xx" || v[1:] == "XX") && v[0] >= '1' && v[0] <= '5' {
		return StatusFilter{Class: int(v[0] - '0')}, true
	}
	if len(v) != 3 || v[0] < '1' || v[0] > '5' {
		return StatusFilter{}, false
	}
	code, err := strconv.Atoi(v)
	if err != nil || code < 100 {
		return StatusFilter{}, false
	}
	return StatusFilter{Code: code}, true
}

// Metric is a metric with its filters: latency{version:v2,step:upgrade}.
type Metric struct {
	// Name is the metric, k6's aliases resolved.
	Name MetricName
	// Version keeps only the requests that version answered
	// (engine.Snapshot.ByVersion); empty: all of them.
	Version string
	// Step keeps only the ticks while the step of that name ran (see
	// Threshold.Recover for the span with a recovery); empty: all of them.
	Step string
	// Status keeps only the answers of that status.
	Status StatusFilter
}

// String is the metric in canonical form, its filters in the order
// version, step, status: latency{version:v2,step:upgrade}.
func (m Metric) String() string {
	var f []string
	if m.Version != "" {
		f = append(f, "version:"+m.Version)
	}
	if m.Step != "" {
		f = append(f, "step:"+m.Step)
	}
	if !m.Status.IsZero() {
		f = append(f, "status:"+m.Status.String())
	}
	if len(f) == 0 {
		return string(m.Name)
	}
	return string(m.Name) + "{" + strings.Join(f, ",") + "}"
}

// allowedMetrics is the list error messages give.
func allowedMetrics() string {
	names := make([]string, len(metricNames))
	for i, n := range metricNames {
		names[i] = string(n)
	}
	return orList(names) + " (or k6's http_req_duration, http_req_failed, http_reqs, dropped_iterations)"
}

// orList joins words as "a, b or c".
func orList(w []string) string {
	if len(w) < 2 {
		return strings.Join(w, "")
	}
	return strings.Join(w[:len(w)-1], ", ") + " or " + w[len(w)-1]
}

// ParseMetric reads a metric name with optional filters in braces, as a
// threshold's key is written: latency, http_req_duration,
// latency{version:v2}, availability{step:kill}, requests{status:5xx},
// errors{version:v2,step:upgrade}. Errors are one line naming the
// problem and what is allowed.
func ParseMetric(key string) (Metric, error) {
	name, filters, hasFilters := strings.Cut(strings.TrimSpace(key), "{")
	name = strings.TrimSpace(name)
	var m Metric
	if n, ok := metricAliases[name]; ok {
		m.Name = n
	} else {
		for _, n := range metricNames {
			if string(n) == name {
				m.Name = n
			}
		}
	}
	if !hasFilters && strings.ContainsAny(name, "}:,") {
		return Metric{}, fmt.Errorf("metric %q: malformed filter: write filters in braces, such as latency{version:v2}", key)
	}
	if m.Name == "" {
		if name == "" {
			return Metric{}, fmt.Errorf("metric %q: no metric name: use %s", key, allowedMetrics())
		}
		return Metric{}, fmt.Errorf("unknown metric %q: use %s", name, allowedMetrics())
	}
	if !hasFilters {
		return m, nil
	}
	body, ok := strings.CutSuffix(strings.TrimSpace(filters), "}")
	if !ok || strings.ContainsAny(body, "{}") {
		return Metric{}, fmt.Errorf("metric %q: malformed filter: want {key:value}, such as latency{version:v2}", key)
	}
	seen := map[string]bool{}
	for _, f := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(f, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return Metric{}, fmt.Errorf("metric %q: malformed filter %q: want key:value, such as version:v2", key, strings.TrimSpace(f))
		}
		if seen[k] {
			return Metric{}, fmt.Errorf("metric %q: filter %q given twice", key, k)
		}
		seen[k] = true
		if v == "" {
			return Metric{}, fmt.Errorf("metric %q: filter %s has no value, such as %s", key, k, filterExample(k))
		}
		switch k {
		case "version":
			m.Version = v
		case "step":
			m.Step = v
		case "status":
			st, ok := parseStatus(v)
			if !ok {
				return Metric{}, fmt.Errorf("metric %q: status %q: want a code (503) or a class (5xx)", key, v)
			}
			m.Status = st
		default:
			return Metric{}, fmt.Errorf("metric %q: unknown filter %q: use version, step or status", key, k)
		}
	}
	if err := m.checkFilters(); err != nil {
		return Metric{}, fmt.Errorf("metric %q: %w", key, err)
	}
	return m, nil
}

// filterExample is an example of each filter, for messages.
func filterExample(k string) string {
	switch k {
	case "step":
		return "step:upgrade"
	case "status":
		return "status:5xx"
	}
	return "version:v2"
}

// checkFilters refuses the filters the snapshots cannot answer exactly.
func (m Metric) checkFilters() error {
	switch {
	case m.Name == MetricGenerator && (m.Version != "" || m.Step != "" || !m.Status.IsZero()):
		return fmt.Errorf("generator is the whole process's: it takes no filter (judge a part of the run with window:)")
	case (m.Name == MetricDropped || m.Name == MetricLate) && (m.Version != "" || !m.Status.IsZero()):
		return fmt.Errorf("%s sends have no version or status: filter %s by step only", m.Name, m.Name)
	case m.Name == MetricServiceTime && (m.Version != "" || !m.Status.IsZero()):
		return fmt.Errorf("service_time is not kept by version or status: filter it by step only")
	case m.Name.trend() && !m.Status.IsZero():
		return fmt.Errorf("%s is not kept by status: filter it by version or step", m.Name)
	case m.Version != "" && !m.Status.IsZero():
		return fmt.Errorf("version and status cannot be combined: the split by version is not kept by status")
	}
	return nil
}
