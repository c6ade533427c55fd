//go:build k8se2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/scalelab/scalelab/experiments"
)

// planReport is the part of a planned run's JSON summary the proof reads.
type planReport struct {
	Plan       string               `json:"plan"`
	Requests   uint64               `json:"requests"`
	Verdict    string               `json:"verdict"`
	Steps      []experiments.Result `json:"steps"`
	Thresholds []struct {
		Metric, Source string
		OK             bool     `json:"ok"`
		Value          *float64 `json:"value"`
	} `json:"thresholds"`
}

// TestCLIPlanOnDeployment runs a plan file on the Deployment
// (`scalelab run --k8s deployment/NAME --plan FILE`, the command line's
// target overriding the plan's fleet): its upgrade step, a step after
// it, and its thresholds, judged on the live load; the verdict passes,
// exit 0.
func TestCLIPlanOnDeployment(t *testing.T) {
	t.Parallel()
	a := newApp(t, 3, "v1", replicaOpts()...)
	plan := filepath.Join(t.TempDir(), "upgrade.yaml")
	if err := os.WriteFile(plan, []byte(`name: upgrade on a cluster
target: {fleet: {replicas: 3}}
load: {rate: 100, duration: 10s}
steps:
  - {name: upgrade, at: 1s, action: "upgrade=v2"}
  - {name: mark, after: upgrade + 500ms, action: "note=upgraded"}
thresholds:
  availability: ["rate>0.99"]
  latency: ["p(99)<5000"]
  "requests{version:v2}": ["count>0"]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	run := a.scalelab(t, "--headless", "--json", "--plan", plan, "--yes")
	if run.code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", run.code, run.stderr)
	}
	var rep planReport
	if err := json.Unmarshal([]byte(run.stdout), &rep); err != nil {
		t.Fatalf("the JSON summary: %v\n%s", err, run.stdout)
	}
	if rep.Plan != "upgrade on a cluster" || rep.Verdict != "pass" || rep.Requests == 0 {
		t.Errorf("plan %q, verdict %q, %d requests; want the plan's name, pass, requests", rep.Plan, rep.Verdict, rep.Requests)
	}
	if len(rep.Steps) != 2 || !rep.Steps[0].Completed || !rep.Steps[1].Completed || rep.Steps[1].StartS < rep.Steps[0].StartS {
		t.Errorf("steps %+v: want the upgrade, then the step after it, both completed", rep.Steps)
	}
	if len(rep.Thresholds) != 3 {
		t.Fatalf("thresholds %+v: want the plan's three", rep.Thresholds)
	}
	for _, th := range rep.Thresholds {
		if !th.OK || th.Value == nil {
			t.Errorf("threshold %s %s: ok %v, value %v; want held with a value", th.Metric, th.Source, th.OK, th.Value)
		}
	}
}
