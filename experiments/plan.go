package experiments

import (
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/fleet"
)

// Plan is an experiment file (docs/plans.md): the target, the load, the
// steps and their triggers, and the thresholds that judge the run, as
// LoadPlan decoded and checked it. Thresholds and when: conditions are
// kept as text with their lines; Validate checks them with the parsers
// it is given.
type Plan struct {
	// File is the name the plan was read from, for messages.
	File string
	// Name and Description are free text.
	Name, Description string
	// Target is what the load goes to and the steps act on.
	Target Target
	// Load is the load model and the request.
	Load Load
	// Steps are the plan's steps in the file's order, then those AddSteps
	// appended.
	Steps []PlanStep
	// Thresholds judge the whole run, in the file's order.
	Thresholds []Threshold
	// SteadyState is the steady-state hypothesis, nil when absent.
	SteadyState *SteadyState
	// Rollbacks are the actions run when the run aborts or deviates.
	Rollbacks Rollbacks
	// Search is the capacity search, nil when absent.
	Search *Search
	// Agents is the number of load generators: 0 or 1 is the command's
	// own engine; 2 or more, on a k8s target, that many scalelab agents
	// run in the cluster as an Indexed Job (run --k8s --agents N).
	Agents int
	// Scrape are the Prometheus endpoints scraped once a second (--scrape),
	// each an http(s) URL; ScrapeMetrics the metrics shown besides CPU and
	// RSS (--scrape-metric), only with Scrape.
	Scrape        []string
	ScrapeMetrics []string
}

// Target is where the load goes: exactly one of Fleet, URL and K8s is
// set.
type Target struct {
	// Fleet is a local fleet started for the run.
	Fleet *FleetTarget
	// URL is a running service.
	URL string
	// K8s is a Kubernetes Deployment.
	K8s *K8sTarget
	// Line is the target's line in the file.
	Line int
}

// Kind names the target: "fleet", "url" or "k8s" ("" when none is set).
func (t Target) Kind() string {
	switch {
	case t.Fleet != nil:
		return "fleet"
	case t.URL != "":
		return "url"
	case t.K8s != nil:
		return "k8s"
	}
	return ""
}

// FleetTarget is a local fleet, with the settings of scalelab demo's
// flags (replicas, version for --replica-version, max_surge, ...); a field
// the file leaves out has the flag's default.
type FleetTarget struct {
	Replicas       int
	Version        string
	MaxSurge       int
	MaxUnavailable int
	Drain          time.Duration
	NoDrain        bool
	StartupDelay   time.Duration
	// Latency is the replicas' answer time as written: fixed (20ms) or a
	// range (2ms..10ms), as cluster.ParseLatency reads it.
	Latency string
	// CPUWork is the CPU time each request burns (scalelab target's
	// --cpu-work), for a capacity search with a knee.
	CPUWork time.Duration
	// Listen is the balancer's address, loopback only.
	Listen string
	// BadVersions are bad builds (scalelab demo's --bad-version): every
	// replica of each misbehaves as a bad-version fault's do.
	BadVersions []string
	// ReplicaProcess runs each replica as a `scalelab target` process of
	// its own (--replica-process); ReplicaCPU is each one's CPU quota in
	// cores (--replica-cpu, 0 for none), which implies ReplicaProcess as
	// the flag does (a plan with replica_cpu has ReplicaProcess set).
	// Options leaves both out: the program the replicas run is the
	// command's to give (fleet.ProcessReplicas).
	ReplicaProcess bool
	ReplicaCPU     float64
}

// Fleet defaults, as scalelab demo's flags.
const (
	DefaultFleetStartupDelay = time.Second
	DefaultFleetLatency      = "2ms..10ms"
	DefaultFleetListen       = "127.0.0.1:0"
)

// defaultFleet is a fleet target with the demo's defaults.
func defaultFleet() FleetTarget {
	return FleetTarget{
		Replicas: fleet.DefaultReplicas, Version: fleet.DefaultVersion,
		MaxSurge: fleet.DefaultMaxSurge, MaxUnavailable: fleet.DefaultMaxUnavailable,
		Drain: fleet.DefaultDrain, StartupDelay: DefaultFleetStartupDelay,
		Latency: DefaultFleetLatency, Listen: DefaultFleetListen,
	}
}

// Options returns the fleet's options. The target was checked when the
// plan was read: the latency parses.
func (f FleetTarget) Options() []fleet.Option {
	lat, _ := cluster.ParseLatency(f.Latency)
	ropts := []fleet.ReplicaOption{fleet.Drain(f.Drain), fleet.StartupDelay(f.StartupDelay), fleet.Latency(lat), fleet.CPUWork(f.CPUWork)}
	if f.NoDrain {
		ropts = append(ropts, fleet.NoDrain())
	}
	return []fleet.Option{
		fleet.Replicas(f.Replicas), fleet.InitialVersion(f.Version),
		fleet.MaxSurge(f.MaxSurge), fleet.MaxUnavailable(f.MaxUnavailable),
		fleet.Listen(f.Listen), fleet.ReplicaDefaults(ropts...), fleet.BadVersions(f.BadVersions...),
	}
}

// K8sTarget is a Kubernetes Deployment, as scalelab run's --k8s,
// --namespace, --context and --service; empty fields take kubectl's
// defaults.
type K8sTarget struct {
	// Deployment is the Deployment's name (the file may write it as
	// deployment/NAME).
	Deployment string
	Namespace  string
	Context    string
	Service    string
}

// Load is the plan's load model and request. At most one model is set:
// Rate (open loop), Stages (open loop ramps) or Connections (closed
// loop); none means the command's default.
type Load struct {
	// Rate is the open loop's constant rate, requests per second.
	Rate float64
	// Stages are open loop ramps, as k6's ramping-arrival-rate.
	Stages []engine.Stage
	// Connections is the closed loop's connections.
	Connections int
	// Duration is the sending window (0: the stages' total, or until
	// stopped).
	Duration time.Duration
	// Method is the request's method ("" for GET).
	Method string
	// Path is the request's path and query, replacing the target URL's
	// ("" keeps the URL's).
	Path string
	// Headers are the request's headers in the file's order.
	Headers []engine.Header
	// Body is the request body, read from BodyFile when that is set.
	Body []byte
	// BodyFile is the body's file as found (relative to the plan's
	// folder), "" when the body is inline or absent.
	BodyFile string
	// Retry is what the client retries (the retry: block), nil when the
	// file gives none.
	Retry *Retry
	// KeepAlive is keepalive: false (a new connection for every request,
	// as --no-keepalive) or true; nil when the file gives none (kept
	// alive).
	KeepAlive *bool
	// Line is the load's line in the file.
	Line int
}

// Window is the sending window: the stages' total, or Duration (0: until
// stopped).
func (l Load) Window() time.Duration {
	if len(l.Stages) > 0 {
		return engine.StagesDuration(l.Stages)
	}
	return l.Duration
}

// ClosedLoop reports a closed loop load.
func (l Load) ClosedLoop() bool { return l.Connections > 0 }

// EngineOptions returns the engine options of the load model, the
// window and the retries (none for a load that sets none of them).
func (l Load) EngineOptions() []engine.Option {
	var opts []engine.Option
	switch {
	case l.Rate > 0:
		opts = append(opts, engine.Rate(l.Rate))
	case len(l.Stages) > 0:
		opts = append(opts, engine.Stages(l.Stages))
	case l.Connections > 0:
		opts = append(opts, engine.Concurrency(l.Connections))
	}
	if l.Duration > 0 {
		opts = append(opts, engine.Duration(l.Duration))
	}
	if l.Retry != nil && l.Retry.Retries > 0 {
		opts = append(opts, engine.Retries(l.Retry.Policy()))
	}
	return opts
}

// Threshold is one threshold expression on a metric, as written: the
// threshold parser reads Metric and Expr.
type Threshold struct {
	// Metric is the metric key as written, its filter included
	// ("latency{step:upgrade}").
	Metric string
	// Expr is the expression ("p(99)<200").
	Expr string
	// AbortOnFail stops the run when the threshold fails, after
	// DelayAbortEval from the start.
	AbortOnFail    bool
	DelayAbortEval time.Duration
	// Window judges the last Window of the run instead of all of it (0:
	// all of it).
	Window time.Duration
	// Recover lets the threshold fail for at most this long after its
	// {step:NAME} filter's step fired (0: never).
	Recover time.Duration
	// AllowNoData passes a threshold with no samples (which fails
	// otherwise).
	AllowNoData bool
	// Line is the expression's line in the file.
	Line int
}

// SteadyState is the steady-state hypothesis: thresholds that must hold
// in the Before window before the first step, and in the After window
// after the last.
type SteadyState struct {
	Before, After time.Duration
	Thresholds    []Threshold
	Line          int
}

// RollbackStrategy says when the rollbacks run, as Chaos Toolkit's.
type RollbackStrategy string

// The rollback strategies.
const (
	// RollbackDefault runs the rollbacks when the run was aborted or a
	// step failed.
	RollbackDefault RollbackStrategy = "default"
	// RollbackAlways runs them however the run ended.
	RollbackAlways RollbackStrategy = "always"
	// RollbackNever never runs them.
	RollbackNever RollbackStrategy = "never"
	// RollbackDeviated runs them when the verdict is not a pass (the
	// steady state not met included).
	RollbackDeviated RollbackStrategy = "deviated"
)

// Rollbacks are cluster actions run when the run aborts or deviates.
type Rollbacks struct {
	// Strategy is RollbackDefault when the file gives none.
	Strategy RollbackStrategy
	// Actions are cluster steps, in order (their At is 0).
	Actions []Step
	Line    int
}

// Search is a capacity search: the open loop's rate climbs from From by
// Step (a share of the rate when StepPercent), each rate held for Hold,
// until a rate fails the Until thresholds or Max is passed.
type Search struct {
	From        float64
	Step        float64
	StepPercent bool
	Hold        time.Duration
	Until       []Threshold
	// Max is the highest rate tried (engine.MaxRate when the file gives
	// none).
	Max  float64
	Line int
}

// Next returns the rate after r: r plus Step, or plus Step percent of r.
func (s Search) Next(r float64) float64 {
	if s.StepPercent {
		return r * (1 + s.Step/100)
	}
	return r + s.Step
}

// Rates returns the rates the search tries, From up to Max.
func (s Search) Rates() []float64 {
	var rates []float64
	for r := s.From; r <= s.Max && len(rates) < maxSearchRates; r = s.Next(r) {
		rates = append(rates, r)
	}
	return rates
}

// maxSearchRates bounds a search's steps (and Rates' length).
const maxSearchRates = 1000
