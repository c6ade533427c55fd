package recordings

import (
	"fmt"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// Header describes a recorded session. Its values must already be free of
// secrets: build Args, Config and Target with Redact, RedactArgs and
// RedactURL.
type Header struct {
	// Format is the file's format version ("1.9"), set by the reader from
	// the version line; the writer ignores it.
	Format string `json:"format,omitempty"`
	// Scalelab is the version of scalelab that recorded.
	Scalelab string `json:"scalelab"`
	// Start is when the session started.
	Start time.Time `json:"start"`
	// Command names the command ("demo", "load", "run"); Args is its
	// command line (redacted); Config its settings by flag name (redacted).
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Config  map[string]string `json:"config,omitempty"`
	// Target is the URL under load (redacted); Model the load model in
	// words; Closed reports the closed-loop model.
	Target string `json:"target"`
	Model  string `json:"model"`
	Closed bool   `json:"closed_loop"`
	// Window is the sending window (0 when unbounded), Tick the engine's
	// snapshot interval.
	Window time.Duration `json:"window_ns"`
	Tick   time.Duration `json:"tick_ns"`
	// Cluster is the kind of cluster attached ("fleet", "kubernetes"),
	// empty when none, "unknown" when a damaged header lost it (see
	// Recording.HeaderDamage).
	Cluster string `json:"cluster,omitempty"`
	// Load is the load as configured, as data (1.4; nil in older files:
	// Model and Config say it in words and flags).
	Load *Load `json:"load,omitempty"`
	// Steps are the scripted steps' specs in time order (1.4: an empty
	// array without steps; nil in older files, whose steps are in
	// Config["step"], joined with "; ").
	Steps []string `json:"steps"`
	// Thresholds are the thresholds that judged the session, as data, in
	// their order (1.5: an empty array without thresholds; nil in older
	// files, which a replay does not judge again).
	Thresholds []Threshold `json:"thresholds"`
	// Plan is the experiment plan the session ran (1.5), nil without one
	// (and in older files, whose plan's name is in Config["plan-name"]).
	Plan *Plan `json:"plan,omitempty"`
	// Canary is the canary analysis that judged the session's canary step
	// (1.6), nil without a canary step (and in older files, which a replay
	// does not judge again).
	Canary *CanaryAnalysis `json:"canary,omitempty"`
	// SteadyState is the plan's steady-state hypothesis (1.8): its
	// windows and thresholds, so that a replay judges it again; nil
	// without one (and in older files, which a replay judges without it).
	SteadyState *SteadyState `json:"steady_state,omitempty"`
	// Search is the plan's capacity search (1.9): its rates, hold and
	// until thresholds, so that a replay judges its steps again; nil
	// without one (and in older files, whose replay shows the recorded
	// summary's search, and none when killed).
	Search *Search `json:"search,omitempty"`
	// Histogram is the frames' latency histogram geometry (set by the
	// writer).
	Histogram Geometry `json:"histogram"`
}

// CanaryAnalysis is a canary step's analysis as data (canary.Config):
// enough to rebuild the judge that judged the session's canary, so that a
// replay judges the frames again. Durations are in seconds.
type CanaryAnalysis struct {
	IntervalS         float64 `json:"interval_s"`
	Count             int     `json:"count"`
	MinSamples        uint64  `json:"min_samples"`
	MaxIncrease       float64 `json:"max_increase"`
	MaxRatio          float64 `json:"max_ratio"`
	DeadBandS         float64 `json:"dead_band_s"`
	Alpha             float64 `json:"alpha"`
	FailureLimit      int     `json:"failure_limit"`
	InconclusiveLimit int     `json:"inconclusive_limit"`
	OnInconclusive    string  `json:"on_inconclusive"`
	// GeneratorBound (1.7) is what an interval during which the
	// generator was saturated counted as: "inconclusive" (judged from
	// the recorded generator readings) or "ignore"; an older file has
	// none (its intervals are judged on their figures).
	GeneratorBound string `json:"generator_bound,omitempty"`
}

// SteadyState is a plan's steady state as data (session.SteadyState):
// its thresholds must hold over the BeforeS seconds from the load's start
// and over the AfterS seconds after the method (0: not judged).
type SteadyState struct {
	BeforeS    float64     `json:"before_s"`
	AfterS     float64     `json:"after_s"`
	Thresholds []Threshold `json:"thresholds"`
}

// Search is a plan's capacity search as data (experiments.Search and
// its parsed until thresholds): the rate starts at FromRPS and goes up
// by Step (percent of the rate when StepPercent) after each step held for
// HoldS seconds, up to MaxRPS. TargetInProcess says that the target ran
// in the recording process (the demo's fleet): its CPU was not the
// generator's alone.
type Search struct {
	FromRPS         float64     `json:"from_rps"`
	Step            float64     `json:"step"`
	StepPercent     bool        `json:"step_percent"`
	HoldS           float64     `json:"hold_s"`
	MaxRPS          float64     `json:"max_rps"`
	Until           []Threshold `json:"until"`
	TargetInProcess bool        `json:"target_in_process"`
}

// Threshold is a threshold as data: enough to rebuild the one that
// judged the session (analysis.ParseThreshold(Metric, Expr) and its
// options), so that a replay judges the frames again.
type Threshold struct {
	// Metric is the metric with its filters as written
	// (latency{version:v2}); Expr the expression (p(99)<200).
	Metric string `json:"metric"`
	Expr   string `json:"expr"`
	// AbortOnFail stops the load when the threshold fails, not before
	// DelayAbortEvalS seconds from the load's start.
	AbortOnFail     bool    `json:"abort_on_fail"`
	DelayAbortEvalS float64 `json:"delay_abort_eval_s"`
	// WindowS, above 0, judges the last WindowS seconds at each
	// evaluation rather than the whole run.
	WindowS float64 `json:"window_s"`
	// RecoverS forgives the RecoverS seconds after the step RecoverAfter
	// (its name) started; 0 without a recovery.
	RecoverS     float64 `json:"recover_s"`
	RecoverAfter string  `json:"recover_after,omitempty"`
	// AllowNoData lets the threshold pass without samples.
	AllowNoData bool `json:"allow_no_data"`
}

// Plan is the experiment plan a session ran (--plan), as data: its name,
// description and file, and its steps with their names and triggers (its
// thresholds are the header's Thresholds; its load the header's Load).
type Plan struct {
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	File        string     `json:"file"`
	Steps       []PlanStep `json:"steps"`
}

// PlanStep is one step of a plan: its name (empty when the plan gives
// none), its action as its events name it (Spec: "upgrade=v2",
// "10s:kill=1") and its trigger: Trigger is "at" (AtS seconds from the
// load's start), "after" (DelayS seconds after the step After completed)
// or "when" (once the condition When holds).
type PlanStep struct {
	Name    string  `json:"name,omitempty"`
	Spec    string  `json:"spec"`
	Trigger string  `json:"trigger"`
	AtS     float64 `json:"at_s,omitempty"`
	After   string  `json:"after,omitempty"`
	DelayS  float64 `json:"delay_s,omitempty"`
	When    string  `json:"when,omitempty"`
}

// The plan steps' triggers (PlanStep.Trigger).
const (
	TriggerAt    = "at"
	TriggerAfter = "after"
	TriggerWhen  = "when"
)

// Load is a session's load model and request settings as data.
type Load struct {
	// Rate is the open loop's constant rate (req/s), Stages its ramped
	// plan, Concurrency the closed loop's connections: one of the three.
	Rate        float64 `json:"rate,omitempty"`
	Stages      []Stage `json:"stages,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	// DurationS is the sending window in seconds (0: until stopped).
	DurationS float64 `json:"duration_s"`
	// TimeoutS bounds each request; MaxInflight the open loop's
	// outstanding requests.
	TimeoutS    float64 `json:"timeout_s"`
	MaxInflight int     `json:"max_inflight"`
	// Method is the request method; KeepAlive says whether connections
	// are reused.
	Method    string `json:"method"`
	KeepAlive bool   `json:"keep_alive"`
}

// Stage is one ramp of a stage plan: to Rate req/s over DurationS.
type Stage struct {
	DurationS float64 `json:"duration_s"`
	Rate      float64 `json:"rate"`
}

// Geometry is an HdrHistogram's range and precision; frames store bucket
// indexes, which only mean something with it.
type Geometry struct {
	Lowest  int64 `json:"lowest"`
	Highest int64 `json:"highest"`
	Digits  int64 `json:"digits"`
}

// engineGeometry is the geometry of the engine's histograms.
func engineGeometry() Geometry {
	h := engine.NewHistogram()
	return Geometry{Lowest: h.LowestTrackableValue(), Highest: h.HighestTrackableValue(), Digits: h.SignificantFigures()}
}

// FormatAtLeast reports whether the file's format version is major.minor
// or newer (a header not read from a file, without Format, is not).
func (h Header) FormatAtLeast(major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(h.Format, "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}
