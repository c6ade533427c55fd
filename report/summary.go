package report

import (
	"fmt"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
)

// Summary is the JSON summary of a run of load, run or demo.
type Summary struct {
	// Plan is the name of the plan the run ran (--plan), empty without.
	Plan string `json:"plan,omitempty"`
	// Command names the command that made it ("load", "run", "demo").
	Command string `json:"command"`
	Target  string `json:"target"` // as printed: redacted unless --show-secrets
	Model   string `json:"model"`
	// ModelStart and ModelChanges say how the load model changed during
	// the run (an operator's keys), Model being the model at the end;
	// empty when it did not change.
	ModelStart   string        `json:"model_start,omitempty"`
	ModelChanges []ModelChange `json:"model_changes,omitempty"`
	Start        time.Time     `json:"start"`
	engine.Summary
	// Verdict is the run's (pass, fail, aborted, steady-state-not-met), present when it had
	// thresholds or steps; Thresholds their final statuses; Aborted the
	// threshold that stopped it (Judged sets them).
	Verdict    analysis.Verdict  `json:"verdict,omitempty"`
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
	Aborted    *AbortResult      `json:"aborted,omitempty"`
	// Search is the capacity search's result, nil without one.
	Search *SearchResult `json:"search,omitempty"`
	// Canary is the canary's analysis, nil without a canary step judged.
	Canary *CanaryResult `json:"canary,omitempty"`
	// Generator is the judgement on the generator's own saturation, nil
	// without its probes (a run shorter than their first second).
	Generator *GeneratorResult `json:"generator,omitempty"`
	// Scrape is what the scrapes of the targets' Prometheus endpoints
	// found (--scrape), an endpoint each; absent without them.
	Scrape []ScrapeResult `json:"scrape,omitempty"`
	// Agents is what the agents that sent the load did (--agents-at),
	// absent when this process sent it.
	Agents *AgentsResult `json:"agents,omitempty"`
	// SteadyState is the steady state's judgement, absent without one;
	// Rollbacks the rollback actions run, in order (absent when none ran).
	SteadyState *SteadyStateResult `json:"steady_state,omitempty"`
	Rollbacks   []RollbackResult   `json:"rollbacks,omitempty"`
}

// New is the summary of a run of command against target (as printed)
// with the load model in words.
func New(command, target, model string, res *engine.Result) Summary {
	return Summary{
		Command: command,
		Target:  target,
		Model:   model,
		Start:   res.Total.Start.UTC().Truncate(time.Millisecond),
		Summary: engine.Summarize(res.Total, res.Window.Seconds()),
	}
}

// WithSteps is the JSON summary of a run with a cluster attached: the
// load's summary and the scripted steps (an empty array when none).
type WithSteps struct {
	Summary
	Steps []experiments.Result `json:"steps"`
}

// NewWithSteps is s with the steps (an empty array, not null, when there
// are none).
func NewWithSteps(s Summary, steps []experiments.Result) WithSteps {
	if steps == nil {
		steps = []experiments.Result{}
	}
	return WithSteps{Summary: s, Steps: steps}
}

// FailedSteps names each failed step and why ("step \"10s:kill=replica-9\"
// failed: ..."), none when none failed (a step cut short by the run's end
// did not fail).
func FailedSteps(steps []experiments.Result) []string {
	var failed []string
	for _, s := range steps {
		if s.StepFailed() {
			failed = append(failed, fmt.Sprintf("step %q failed: %s", s.Spec, s.Error))
		}
	}
	return failed
}

// Base is the load's summary of v (a Summary or a WithSteps) and its
// steps; ok is false for anything else.
func Base(v any) (s Summary, steps []experiments.Result, ok bool) {
	switch t := v.(type) {
	case Summary:
		return t, nil, true
	case WithSteps:
		return t.Summary, t.Steps, true
	}
	return Summary{}, nil, false
}

// Redacted is the summary to record: v (a Summary or a WithSteps) with
// its target redacted, whatever was printed.
func Redacted(v any) any {
	switch s := v.(type) {
	case Summary:
		s.Target = recordings.RedactURL(s.Target)
		return s
	case WithSteps:
		s.Target = recordings.RedactURL(s.Target)
		return s
	}
	return v
}
