package cli

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/session"
	"github.com/spf13/pflag"
)

// planUsage is the --plan flag's help.
const planUsage = "run the experiment plan FILE (docs/plans.md): its target, load, steps and thresholds; flags given override the file, --step adds steps"

// openPlan reads and checks the plan at path as scalelab plan check does:
// every problem on errOut, one a line (FILE:LINE: reason), and a bad-input
// error.
func openPlan(errOut io.Writer, path string) (*experiments.Plan, error) {
	p, err := experiments.CheckPlan(path, planChecks())
	var pe *experiments.PlanError
	switch {
	case errors.As(err, &pe):
		for _, pr := range pe.Problems {
			fmt.Fprintln(errOut, pr)
		}
		return nil, badInput("plan %s: %s", path, count(len(pe.Problems), "problem"))
	case err != nil:
		return nil, badInput("plan %s: %v", path, err)
	}
	return p, nil
}

// planProblem is a bad-input error at a line of the plan.
func planProblem(p *experiments.Plan, line int, format string, args ...any) error {
	return badInput("%s:%d: %s", p.File, line, fmt.Sprintf(format, args...))
}

// setUnlessGiven sets the flag name to v unless the command line gave it.
func setUnlessGiven(fs *pflag.FlagSet, name, v string) error {
	if fs.Changed(name) {
		return nil
	}
	return fs.Set(name, v)
}

// applyPlanLoad sets the load flags the command line did not give from
// the plan's load: the model (unless --rate, --concurrency or --stages
// gives one), the window, the method, keep-alive (--no-keepalive), the headers, the body and the
// retries (--retries, --retry-on, --retry-budget; the backoff, which has
// no flags, into lf, unless the command line's --retries 0 turns the
// retries off).
func applyPlanLoad(fs *pflag.FlagSet, lf *loadFlags, l experiments.Load) error {
	var errs []error
	set := func(name, v string) { errs = append(errs, setUnlessGiven(fs, name, v)) }
	if !fs.Changed("rate") && !fs.Changed("concurrency") && !fs.Changed("stages") {
		switch {
		case l.Rate > 0:
			set("rate", strconv.FormatFloat(l.Rate, 'g', -1, 64))
		case len(l.Stages) > 0:
			parts := make([]string, len(l.Stages))
			for i, s := range l.Stages {
				parts[i] = s.Duration.String() + ":" + strconv.FormatFloat(s.Rate, 'g', -1, 64)
			}
			set("stages", strings.Join(parts, ","))
		case l.Connections > 0:
			set("concurrency", strconv.Itoa(l.Connections))
		}
	}
	if l.Duration > 0 {
		set("duration", l.Duration.String())
	}
	if l.Method != "" {
		set("method", l.Method)
	}
	if l.KeepAlive != nil {
		set("no-keepalive", strconv.FormatBool(!*l.KeepAlive))
	}
	if !fs.Changed("header") {
		for _, h := range l.Headers {
			errs = append(errs, fs.Set("header", h.Name+": "+h.Value))
		}
	}
	if len(l.Body) > 0 && !fs.Changed("body") && !fs.Changed("body-file") {
		set("body", string(l.Body))
	}
	if r := l.Retry; r != nil {
		set("retries", strconv.Itoa(r.Retries))
		if n, err := fs.GetInt("retries"); err == nil && n > 0 {
			if r.On != "" {
				set("retry-on", r.On)
			}
			if b := r.BudgetFlag(); b != "" {
				set("retry-budget", b)
			}
			lf.retryInitial, lf.retryMax, lf.retryMultiplier = r.Initial, r.Max, r.Multiplier
		}
	}
	return errors.Join(errs...)
}

// applyPlanFleet sets the demo's fleet flags the command line did not
// give from the plan's fleet (the fields it leaves out have the flags'
// defaults): cpu_work, replica_process and replica_cpu only when the plan
// sets them, so that a run's recorded settings name them only then.
func applyPlanFleet(fs *pflag.FlagSet, df *demoFlags, f *experiments.FleetTarget) error {
	var errs []error
	set := func(name, v string) { errs = append(errs, setUnlessGiven(fs, name, v)) }
	set("replicas", strconv.Itoa(f.Replicas))
	set("replica-version", f.Version)
	set("max-surge", strconv.Itoa(f.MaxSurge))
	set("max-unavailable", strconv.Itoa(f.MaxUnavailable))
	set("drain", f.Drain.String())
	set("no-drain", strconv.FormatBool(f.NoDrain))
	set("startup-delay", f.StartupDelay.String())
	set("latency", f.Latency)
	set("listen", f.Listen)
	if f.CPUWork > 0 {
		set("cpu-work", f.CPUWork.String())
	}
	if f.ReplicaProcess {
		set("replica-process", "true")
	}
	if f.ReplicaCPU > 0 {
		set("replica-cpu", strconv.FormatFloat(f.ReplicaCPU, 'g', -1, 64))
	}
	if !fs.Changed("bad-version") {
		df.badVersions = f.BadVersions
	}
	return errors.Join(errs...)
}

// applyPlanScrape sets --scrape and --scrape-metric from the plan's
// scrape and scrape_metrics, each unless the command line gave it (as
// --header: the command line's list replaces the plan's).
func applyPlanScrape(fs *pflag.FlagSet, p *experiments.Plan) error {
	var errs []error
	for _, f := range []struct {
		name   string
		values []string
	}{{"scrape", p.Scrape}, {"scrape-metric", p.ScrapeMetrics}} {
		if fs.Changed(f.name) {
			continue
		}
		for _, v := range f.values {
			errs = append(errs, fs.Set(f.name, v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return badInput("--plan %s: %v", p.File, err)
	}
	return nil
}

// withPath is u with its path and query replaced by path ("" keeps u's).
func withPath(u, path string) string {
	if path == "" {
		return u
	}
	pu, err := url.Parse(u)
	if err != nil {
		return u
	}
	rest, err := url.Parse(path)
	if err != nil {
		return u
	}
	pu.Path, pu.RawPath, pu.RawQuery = rest.Path, rest.RawPath, rest.RawQuery
	return pu.String()
}

// planSteps are the plan's steps with the --step flags' added as at:
// steps, checked for the run: every at: step before the end of the window
// w (0: none), a set-rate only in an open loop, a cluster action only with
// a cluster c (nil: none) that can run it (experiments.Check for the at:
// steps, Supported for the others).
func planSteps(p *experiments.Plan, flagSteps []experiments.Step, w time.Duration, closed bool, c cluster.Cluster) ([]experiments.PlanStep, error) {
	if err := p.AddSteps(flagSteps); err != nil {
		return nil, usageError{err}
	}
	var errs []error
	var other []experiments.Step
	for _, s := range p.Steps {
		label := strconv.Quote(s.Step.Spec)
		if s.Name != "" {
			label = strconv.Quote(s.Name)
		}
		at := func(format string, args ...any) {
			msg := fmt.Sprintf(format, args...)
			if s.Line > 0 {
				msg = fmt.Sprintf("%s:%d: %s", p.File, s.Line, msg)
			}
			errs = append(errs, errors.New(msg))
		}
		switch {
		case s.Trigger.Kind == experiments.TriggerAt && w > 0 && s.Step.At >= w:
			at("step %s: at %s, not before the end of the run (%s)", label, s.Step.At, w)
		case s.Step.Action == experiments.ActionSetRate && closed:
			at("step %s: set-rate changes an open loop's rate; this load is a closed loop (--concurrency)", label)
		case experiments.IsLoadAction(s.Step.Action):
		case c == nil:
			at("step %s: %s acts on a cluster and none is attached (scalelab demo runs a local fleet, run --k8s a Deployment)", label, s.Step.Action)
		case s.Trigger.Kind != experiments.TriggerAt:
			other = append(other, s.Step)
		}
	}
	if len(errs) == 0 && c != nil {
		if err := experiments.Check(p.TimedSteps(), c); err != nil {
			errs = append(errs, err)
		}
		if err := experiments.Supported(other, c); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, usageError{errors.Join(errs...)}
	}
	return p.Steps, nil
}

// planThresholds are the plan's thresholds as the run judges them, each
// problem FILE:LINE (a usage error).
func planThresholds(p *experiments.Plan) ([]analysis.Threshold, error) {
	return parsePlanThresholds(p, p.Thresholds)
}

// parsePlanThresholds parses ths, thresholds of the plan p, with their
// options.
func parsePlanThresholds(p *experiments.Plan, ths []experiments.Threshold) ([]analysis.Threshold, error) {
	var out []analysis.Threshold
	var errs []error
	for _, t := range ths {
		th, err := analysis.ParseThreshold(t.Metric, t.Expr)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %v", p.File, t.Line, err))
			continue
		}
		th.AbortOnFail, th.DelayAbortEval, th.Window, th.AllowNoData = t.AbortOnFail, t.DelayAbortEval, t.Window, t.AllowNoData
		th.Recover = t.Recover
		if t.Recover > 0 {
			th.RecoverAfter = th.Metric.Step // the {step:NAME} filter's step
		}
		for _, e := range th.Validate() {
			errs = append(errs, fmt.Errorf("%s:%d: %v", p.File, t.Line, e))
		}
		out = append(out, th)
	}
	if len(errs) > 0 {
		return nil, usageError{errors.Join(errs...)}
	}
	return out, nil
}

// applyPlan gives r the plan's thresholds, steady state and rollbacks and
// its name; c is the run's cluster (nil: none), which the rollbacks need
// and must be able to run.
func (r *runSpec) applyPlan(p *experiments.Plan, c cluster.Cluster) error {
	var err error
	if r.thresholds, err = planThresholds(p); err != nil {
		return err
	}
	if ss := p.SteadyState; ss != nil {
		ths, err := parsePlanThresholds(p, ss.Thresholds)
		if err != nil {
			return err
		}
		r.steady = &session.SteadyState{Before: ss.Before, After: ss.After, Thresholds: ths}
	}
	if rb := p.Rollbacks; len(rb.Actions) > 0 {
		switch {
		case c == nil:
			return planProblem(p, rb.Line, "rollbacks: %s acts on a cluster and none is attached (scalelab demo runs a local fleet, run --k8s a Deployment)", rb.Actions[0].Spec)
		default:
			if err := experiments.Supported(rb.Actions, c); err != nil {
				return planProblem(p, rb.Line, "rollbacks: %v", err)
			}
		}
		r.rollbacks = rb
	}
	r.plan, r.planDef = planName(p), p
	return nil
}

// planName is the plan's name, or its file when it has none.
func planName(p *experiments.Plan) string {
	if p.Name != "" {
		return p.Name
	}
	return p.File
}
