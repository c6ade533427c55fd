package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
	"github.com/spf13/pflag"
)

// TestPlanReplicaProcessAndScrape runs demo --plan with a fleet of
// process replicas (replica_process: true) of half a core each
// (replica_cpu: 0.5) and a scrape of a loopback scalelab target's
// /metrics (scrape, scrape_metrics): the recording's state shows each
// replica's usage measured from its own process, under the quota where
// the machine allows a cgroup (a usage note says why not otherwise), its
// settings name the flags the plan set, and the JSON summary has the
// scrape section with the endpoint's RSS and metric.
func TestPlanReplicaProcessAndScrape(t *testing.T) {
	bin := buildBinary(t)
	url := startTarget(t, bin)
	plan := writePlan(t, `name: probes
target: {fleet: {replicas: 2, version: v1, startup_delay: 200ms, drain: 200ms, replica_process: true, replica_cpu: 0.5}}
load: {rate: 50, duration: 3s}
scrape: ["`+url+`/metrics"]
scrape_metrics: [scalelab_target_requests_total]
`)
	file := filepath.Join(t.TempDir(), "probes.scalelab")
	out, errOut, code := runBin(t, bin, "demo", "--headless", "--json", "--record", file, "--plan", plan)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var sum scrapeSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	if len(sum.Scrape) != 1 {
		t.Fatalf("scrape section %+v, want the plan's one endpoint\n%s", sum.Scrape, out)
	}
	s := sum.Scrape[0]
	if s.URL != url+"/metrics" || s.ScrapesOK < 2 || s.Failed != 0 || s.RSSBytes == nil || s.RSSBytes.Last < 1e6 {
		t.Errorf("scrape %+v: want %s/metrics scraped 2 or more times, none failed, its RSS over 1 MB", s, url)
	}
	if len(s.Metrics) != 1 || s.Metrics[0].Name != "scalelab_target_requests_total" || s.Metrics[0].Missing || s.Metrics[0].Last == nil {
		t.Errorf("metrics %+v: want the request counter read", s.Metrics)
	}
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if c := rec.Header.Config; c["replica-process"] != "true" || c["replica-cpu"] != "0.5" || !strings.Contains(c["scrape"], url+"/metrics") || !strings.Contains(c["scrape-metric"], "scalelab_target_requests_total") {
		t.Errorf("recorded settings %v: want replica-process true, replica-cpu 0.5 and the plan's scrape and scrape-metric", c)
	}
	process, limited := map[string]bool{}, map[string]bool{}
	var notes []string
	for i := 0; i < rec.Len(); i++ {
		f, err := rec.Frame(i, recordings.Counters)
		if err != nil {
			t.Fatal(err)
		}
		if f.State == nil {
			continue
		}
		notes = append(notes, f.State.UsageNotes...)
		for _, r := range f.State.Replicas {
			if u := r.Usage; u != nil && u.Source == "process" && u.CPUKnown && u.RSS > 0 {
				process[r.Name] = true
				limited[r.Name] = limited[r.Name] || u.CPULimit == 0.5
				t.Logf("frame %d %s: cpu %.3f cores, limit %g, rss %d", i, r.Name, u.CPU, u.CPULimit, u.RSS)
			}
		}
	}
	if len(process) != 2 {
		t.Errorf("replicas with usage from their own process: %v, want both", process)
	}
	if !(limited["replica-1"] && limited["replica-2"]) && len(notes) == 0 {
		t.Errorf("replicas under a 0.5-core quota: %v, and no usage note says why not", limited)
	}
}

// TestPlanScrapeFlagsOverride: run --plan on a loopback scalelab target
// scrapes the plan's endpoint, unless --scrape gives others, which
// replace the plan's list.
func TestPlanScrapeFlagsOverride(t *testing.T) {
	bin := buildBinary(t)
	url := startTarget(t, bin)
	other := startTarget(t, bin)
	plan := writePlan(t, `name: scraped
target: {url: "`+url+`/"}
load: {rate: 20, duration: 2s}
scrape: ["`+url+`/metrics"]
`)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"the plan's", nil, url + "/metrics"},
		{"the flag's", []string{"--scrape", other + "/metrics"}, other + "/metrics"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, t.Context(), append([]string{"run", "--headless", "--no-record", "--json", "--plan", plan}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			var sum scrapeSummary
			if err := json.Unmarshal([]byte(out), &sum); err != nil {
				t.Fatalf("summary: %v\n%s", err, out)
			}
			if len(sum.Scrape) != 1 || sum.Scrape[0].URL != tc.want || sum.Scrape[0].ScrapesOK < 1 {
				t.Errorf("scrape section %+v, want %s alone, scraped", sum.Scrape, tc.want)
			}
		})
	}
}

// TestPlanProbeFieldsRefused: a plan's bad probe fields stop demo and run
// before anything starts, exit 2, each problem one line at its line
// naming the field.
func TestPlanProbeFieldsRefused(t *testing.T) {
	for _, tc := range []struct {
		name, cmd, yaml, want string
	}{
		{"quota without processes", "demo", "target:\n  fleet:\n    replica_process: false\n    replica_cpu: 0.5\n",
			":4: target.fleet.replica_cpu 0.5: a CPU quota is a process replica's, and replica_process is false"},
		{"quota out of range", "demo", "target:\n  fleet: {replica_cpu: 2000}\n", ":2: target.fleet.replica_cpu 2000: want 0.01..1024 cores"},
		{"replica_process not a boolean", "demo", "target: {fleet: {replica_process: on please}}\n", ":1: target.fleet.replica_process: want true or false"},
		{"scrape not http", "run", "target: {url: \"http://127.0.0.1:9/\"}\nload: {rate: 10, duration: 1s}\nscrape:\n  - \"ftp://127.0.0.1/metrics\"\n",
			`:4: scrape[1] "ftp://127.0.0.1/metrics": want an http:// or https:// URL`},
		{"metrics without scrape", "demo", "target: {fleet: {}}\nscrape_metrics: [go_goroutines]\n", ":2: scrape_metrics: without scrape there is nothing to scrape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := writePlan(t, tc.yaml)
			code, out, errOut := runCLI(t, t.Context(), tc.cmd, "--headless", "--no-record", "--plan", plan)
			if code != 2 || out != "" || !strings.Contains(errOut, plan+tc.want) {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 2 and %q", code, out, errOut, plan+tc.want)
			}
			for _, l := range lines(errOut) {
				if strings.HasPrefix(l, plan+":") && !strings.Contains(l, tc.want) {
					t.Errorf("another problem: %s", l)
				}
			}
		})
	}
}

// TestApplyPlanFleetProbeFlags: a plan's replica_process, replica_cpu
// and cpu_work set --replica-process, --replica-cpu and --cpu-work unless
// the command line gave them.
func TestApplyPlanFleetProbeFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		yaml    string
		args    []string
		process bool
		cpu     float64
		work    time.Duration
	}{
		{"none", "target: {fleet: {}}\n", nil, false, 0, 0},
		{"the plan's", "target: {fleet: {replica_process: true, replica_cpu: 0.5, cpu_work: 2ms}}\n", nil, true, 0.5, 2 * time.Millisecond},
		{"a quota implies processes", "target: {fleet: {replica_cpu: 0.25}}\n", nil, true, 0.25, 0},
		{"the flags'", "target: {fleet: {replica_process: true, replica_cpu: 0.5, cpu_work: 2ms}}\n",
			[]string{"--replica-cpu", "1.5", "--cpu-work", "1ms"}, true, 1.5, time.Millisecond},
		{"the flag's processes without the plan's", "target: {fleet: {}}\n", []string{"--replica-process"}, true, 0, 0},
		{"the flag's no quota", "target: {fleet: {replica_cpu: 0.5}}\n", []string{"--replica-cpu", "0"}, true, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := experiments.ParsePlan([]byte(tc.yaml), "p.yaml")
			if err != nil {
				t.Fatal(err)
			}
			fs := pflag.NewFlagSet("demo", pflag.ContinueOnError)
			var df demoFlags
			df.register(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if err := applyPlanFleet(fs, &df, p.Target.Fleet); err != nil {
				t.Fatal(err)
			}
			if df.replicaProcess != tc.process || df.replicaCPU != tc.cpu || df.cpuWork != tc.work {
				t.Errorf("replica process %v, cpu %g, cpu work %s; want %v %g %s", df.replicaProcess, df.replicaCPU, df.cpuWork, tc.process, tc.cpu, tc.work)
			}
			if err := df.check(); err != nil {
				t.Errorf("check: %v", err)
			}
		})
	}
}
