package experiments

import (
	"errors"
	"reflect"
	"testing"
)

// TestPlanProbeFieldsDecode decodes the fields of the probes' flags:
// target.fleet.replica_process and replica_cpu (a quota implies process
// replicas, as --replica-cpu), scrape and scrape_metrics.
func TestPlanProbeFieldsDecode(t *testing.T) {
	for _, tc := range []struct {
		name          string
		yaml          string
		process       bool
		cpu           float64
		scrape        []string
		scrapeMetrics []string
	}{
		{name: "none", yaml: "target: {fleet: {}}\n"},
		{name: "process", yaml: "target: {fleet: {replica_process: true}}\n", process: true},
		{name: "process false", yaml: "target: {fleet: {replica_process: false}}\n"},
		{name: "cpu implies process", yaml: "target: {fleet: {replica_cpu: 0.5}}\n", process: true, cpu: 0.5},
		{name: "cpu with process", yaml: "target:\n  fleet:\n    replica_process: true\n    replica_cpu: 2\n", process: true, cpu: 2},
		{name: "cpu 0 is no quota", yaml: "target: {fleet: {replica_process: false, replica_cpu: 0}}\n"},
		{name: "cpu at the bounds", yaml: "target: {fleet: {replica_cpu: 0.01}}\n", process: true, cpu: 0.01},
		{name: "cpu at the top", yaml: "target: {fleet: {replica_cpu: 1024}}\n", process: true, cpu: 1024},
		{name: "scrape", yaml: "target: {url: \"http://127.0.0.1:8080/\"}\nscrape: [\"http://127.0.0.1:8080/metrics\", \"https://[::1]:9100/metrics\"]\n",
			scrape: []string{"http://127.0.0.1:8080/metrics", "https://[::1]:9100/metrics"}},
		{name: "scrape and metrics", yaml: "target: {fleet: {}}\nscrape:\n  - http://127.0.0.1:8080/metrics\nscrape_metrics:\n  - scalelab_target_requests_total\n  - go_goroutines\n",
			scrape: []string{"http://127.0.0.1:8080/metrics"}, scrapeMetrics: []string{"scalelab_target_requests_total", "go_goroutines"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePlan([]byte(tc.yaml), "p.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if f := p.Target.Fleet; f != nil && (f.ReplicaProcess != tc.process || f.ReplicaCPU != tc.cpu) {
				t.Errorf("replica_process %v replica_cpu %g, want %v %g", f.ReplicaProcess, f.ReplicaCPU, tc.process, tc.cpu)
			}
			if !reflect.DeepEqual(p.Scrape, tc.scrape) || !reflect.DeepEqual(p.ScrapeMetrics, tc.scrapeMetrics) {
				t.Errorf("scrape %q metrics %q, want %q %q", p.Scrape, p.ScrapeMetrics, tc.scrape, tc.scrapeMetrics)
			}
		})
	}
}

// TestPlanProbeFieldsBadValues feeds the probes' fields bad values: each
// is one problem at its line naming the field.
func TestPlanProbeFieldsBadValues(t *testing.T) {
	const fl = "target: {fleet: {}}\n"
	for _, tc := range []struct {
		name string
		yaml string
		want []want
	}{
		{"replica_process a string", "target:\n  fleet: {replica_process: yes please}\n", []want{{2, "target.fleet.replica_process: want true or false"}}},
		{"replica_process a number", "target:\n  fleet:\n    replicas: 2\n    replica_process: 1\n", []want{{4, "target.fleet.replica_process: want true or false, got the number 1"}}},
		{"replica_cpu a string", "target:\n  fleet: {replica_cpu: half}\n", []want{{2, "target.fleet.replica_cpu: want a number"}}},
		{"replica_cpu negative", "target:\n  fleet:\n    replica_cpu: -1\n", []want{{3, "target.fleet.replica_cpu -1: want 0.01..1024 cores (0 for no quota)"}}},
		{"replica_cpu too small", "target: {fleet: {replica_cpu: 0.001}}\n", []want{{1, "target.fleet.replica_cpu 0.001: want 0.01..1024 cores"}}},
		{"replica_cpu too large", "target: {fleet: {replica_cpu: 1025}}\n", []want{{1, "target.fleet.replica_cpu 1025: want 0.01..1024"}}},
		{"replica_cpu NaN", "target: {fleet: {replica_cpu: .nan}}\n", []want{{1, "target.fleet.replica_cpu .nan: not a finite number"}}},
		{"replica_cpu Inf", "target: {fleet: {replica_cpu: .inf}}\n", []want{{1, "target.fleet.replica_cpu .inf: not a finite number"}}},
		{"replica_cpu without processes", "target:\n  fleet:\n    replica_process: false\n    replica_cpu: 0.5\n",
			[]want{{4, "target.fleet.replica_cpu 0.5: a CPU quota is a process replica's, and replica_process is false"}}},
		{"scrape not a list", fl + "scrape: http://127.0.0.1:8080/metrics\n", []want{{2, "scrape: want a list such as [http://127.0.0.1:8080/metrics]"}}},
		{"scrape empty", fl + "scrape: []\n", []want{{2, "scrape: empty"}}},
		{"scrape not http", fl + "scrape:\n  - http://127.0.0.1:8080/metrics\n  - ftp://127.0.0.1/metrics\n",
			[]want{{4, `scrape[2] "ftp://127.0.0.1/metrics": want an http:// or https:// URL`}}},
		{"scrape no host", fl + "scrape: [\"http:///metrics\"]\n", []want{{2, `scrape[1] "http:///metrics": want an http:// or https:// URL`}}},
		{"scrape not a URL", fl + "scrape:\n  - \"127.0.0.1:8080\"\n", []want{{3, `scrape[1] "127.0.0.1:8080": want an http:// or https://`}}},
		{"scrape empty URL", fl + "scrape: [\"\"]\n", []want{{2, `scrape[1] "": want an http://`}}},
		{"scrape control character", fl + "scrape: [\"http://127.0.0.1/\\nmetrics\"]\n", []want{{2, "scrape[1]: a control character"}}},
		{"scrape a mapping item", fl + "scrape:\n  - {url: x}\n", []want{{3, "scrape[1]: want a string, got a mapping"}}},
		{"scrape_metrics without scrape", fl + "load: {rate: 10}\nscrape_metrics: [go_goroutines]\n", []want{{3, "scrape_metrics: without scrape there is nothing to scrape"}}},
		{"scrape_metrics empty name", fl + "scrape: [\"http://127.0.0.1:8080/metrics\"]\nscrape_metrics:\n  - go_goroutines\n  - \" \"\n",
			[]want{{5, "scrape_metrics[2]: an empty metric name"}}},
		{"scrape_metrics not a list", fl + "scrape: [\"http://127.0.0.1:8080/metrics\"]\nscrape_metrics: go_goroutines\n", []want{{3, "scrape_metrics: want a list"}}},
		{"scrape_metrics empty", fl + "scrape: [\"http://127.0.0.1:8080/metrics\"]\nscrape_metrics: []\n", []want{{3, "scrape_metrics: empty"}}},
		{"scrape given twice", fl + "scrape: [\"http://127.0.0.1:8080/metrics\"]\nscrape: [\"http://127.0.0.1:8081/metrics\"]\n", []want{{3, "plan: scrape given twice"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePlan([]byte(tc.yaml), "bad.yaml")
			var pe *PlanError
			if !errors.As(err, &pe) {
				t.Fatalf("ParsePlan: %v, want a *PlanError", err)
			}
			checkProblems(t, pe, tc.want)
		})
	}
}
