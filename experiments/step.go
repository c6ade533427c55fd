package experiments

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// Step is one scripted action at an offset from the start of the load.
type Step struct {
	// At is the offset from the start of the load.
	At time.Duration
	// Spec is the step as written ("20s:upgrade=v2").
	Spec string
	// Action names what it does: scale, upgrade, rollback, restart,
	// pause, resume, canary, promote, or a fault kind (kill, hang,
	// latency, errors, bad-version, heal).
	Action string
	// Replicas is the scale target, and a canary's replicas (0: its
	// Percent).
	Replicas int
	// Percent is a canary's share of the replicas, in percent (0: its
	// Replicas; neither: 1 replica).
	Percent float64
	// Version is the upgrade's or the canary's version.
	Version string
	// Fault is the fault to inject.
	Fault cluster.Fault
}

// Syntax is the step syntax in one line, for help texts and errors.
const Syntax = "AT:ACTION such as 10s:scale=5, 20s:upgrade=v2, 30s:rollback, 40s:kill=1, 40s:kill=replica-2, " +
	"kill=25%, kill=1:force, hang=N|NAME, latency=[N|NAME:]200ms, errors=[N|NAME:]30%, bad-version=v3, heal, heal=NAME, " +
	"pause, resume, canary=v2[:25%|:1] (held until promote or rollback), promote; Kubernetes also: restart"

// ParseStep parses "AT:ACTION[=ARG]". The error is one line naming the
// step and what was expected.
func ParseStep(spec string) (Step, error) {
	s := Step{Spec: spec}
	at, action, ok := strings.Cut(strings.TrimSpace(spec), ":")
	if !ok {
		return s, fmt.Errorf("step %q: want AT:ACTION, such as 10s:scale=5", spec)
	}
	d, err := time.ParseDuration(strings.TrimSpace(at))
	if err != nil || d < 0 {
		return s, fmt.Errorf("step %q: %q is not a time from the start, such as 10s or 1m30s", spec, at)
	}
	s.At = d
	name, arg, hasArg := strings.Cut(strings.TrimSpace(action), "=")
	s.Action = name
	if err := s.parseAction(name, strings.TrimSpace(arg), hasArg); err != nil {
		return s, fmt.Errorf("step %q: %w", spec, err)
	}
	return s, nil
}

// parseAction fills the step from its action and argument.
func (s *Step) parseAction(name, arg string, hasArg bool) error {
	if !noArg[name] && name != "heal" && arg == "" {
		if _, known := usage[name]; known {
			return fmt.Errorf("%s needs an argument: %s", name, usage[name])
		}
	}
	switch name {
	case "scale":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a replica count: %s", arg, usage[name])
		}
		s.Replicas = n
	case "upgrade":
		if err := cluster.CheckVersion(arg); err != nil {
			return fmt.Errorf("%w: %s", err, usage[name])
		}
		s.Version = arg
	case "canary":
		return s.parseCanary(arg)
	case "rollback", "restart", "pause", "resume", "promote":
		if hasArg {
			return fmt.Errorf("%s takes no argument: %s", name, noArgUsage[name])
		}
	case "kill":
		return s.parseKill(arg)
	case "hang":
		ft, err := parseTarget(cluster.FaultKind(name), arg)
		if err != nil {
			return fmt.Errorf("%w: %s", err, usage[name])
		}
		s.Fault = ft
	case "latency", "errors":
		return s.parseValueFault(name, arg)
	case "heal":
		if hasArg && (checkName(arg) != nil || isCount(arg)) {
			return fmt.Errorf("%q is not a replica name: %s", arg, usage[name])
		}
		s.Fault = cluster.Fault{Kind: cluster.FaultHeal, Replica: arg}
	case "bad-version":
		if err := cluster.CheckVersion(arg); err != nil {
			return fmt.Errorf("%w: %s", err, usage[name])
		}
		s.Fault = cluster.Fault{Kind: cluster.FaultBadVersion, Version: arg}
	default:
		return fmt.Errorf("unknown action %q (want scale, upgrade, rollback, restart, pause, resume, canary, promote, kill, hang, latency, errors, bad-version or heal)", name)
	}
	return nil
}

// noArg lists the actions without an argument; noArgUsage says what each
// does.
var (
	noArg      = map[string]bool{"rollback": true, "restart": true, "pause": true, "resume": true, "promote": true}
	noArgUsage = map[string]string{
		"rollback": "rollback goes to the previous version (a held canary's replicas too)",
		"promote":  "promote completes the held canary's rollout",
		"restart":  "restart restarts every replica with a rolling update",
		"pause":    "pause pauses the rollout in progress",
		"resume":   "resume resumes a paused rollout",
	}
)

// usage shows each action's argument.
var usage = map[string]string{
	"scale":       "scale=N such as scale=5",
	"upgrade":     "upgrade=VERSION such as upgrade=v2 (or a whole image, upgrade=repo/name:tag, on Kubernetes)",
	"kill":        "kill=N (random replicas), kill=P% (a share of them) or kill=NAME such as kill=replica-2; :force to skip the grace period (kill=1:force)",
	"hang":        "hang=N (random replicas) or hang=NAME such as hang=replica-2",
	"latency":     "latency=[N|NAME:]LATENCY such as latency=200ms, latency=2:5ms..50ms or latency=replica-1:100ms",
	"errors":      "errors=[N|NAME:]RATE such as errors=30%, errors=2:0.5 or errors=replica-1:100%",
	"bad-version": "bad-version=VERSION such as bad-version=v3",
	"canary":      "canary=VERSION[:SHARE] such as canary=v2 (1 replica), canary=v2:25% (a share of the replicas, rounded up) or canary=v2:2 (replicas)",
	"heal":        "heal (every replica) or heal=NAME such as heal=replica-2: clears hang, latency and errors faults",
}

// parseCanary parses canary=VERSION, canary=VERSION:P% and
// canary=VERSION:N.
func (s *Step) parseCanary(arg string) error {
	version, share, hasShare := strings.Cut(arg, ":")
	if err := cluster.CheckVersion(version); err != nil {
		return fmt.Errorf("%w: %s", err, usage["canary"])
	}
	s.Version = version
	if !hasShare {
		s.Replicas = 1
		return nil
	}
	if p, ok := strings.CutSuffix(share, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || !(v > 0 && v < 100) { // NaN is neither
			return fmt.Errorf("%q is not a share of the replicas (above 0%% and below 100%%): %s", share, usage["canary"])
		}
		s.Percent = v
		return nil
	}
	n, err := strconv.Atoi(share)
	if err != nil || n < 1 {
		return fmt.Errorf("%q is neither a share (25%%) nor a replica count (1 or more): %s", share, usage["canary"])
	}
	s.Replicas = n
	return nil
}

// CanaryReplicas is how many of desired replicas a canary step takes: its
// Replicas, or its Percent of desired rounded up, at least 1.
func (s Step) CanaryReplicas(desired int) int {
	return cluster.CanaryReplicas(desired, s.Replicas, s.Percent)
}

// parseValueFault parses latency and errors faults: an optional target
// (one random replica when absent) and a value.
func (s *Step) parseValueFault(name, arg string) error {
	target, value, hasTarget := strings.Cut(arg, ":")
	if !hasTarget {
		target, value = "1", arg
	}
	ft, err := parseTarget(cluster.FaultKind(name), target)
	if err != nil {
		return fmt.Errorf("%w: %s", err, usage[name])
	}
	if name == "latency" {
		if ft.Latency, err = cluster.ParseLatency(value); err != nil {
			return fmt.Errorf("%w: %s", err, usage[name])
		}
	} else if ft.ErrorRate, err = cluster.ParseRate(value); err != nil {
		return fmt.Errorf("%w: %s", err, usage[name])
	}
	s.Fault = ft
	return nil
}

// parseKill parses kill=N, kill=P%, kill=NAME, each optionally followed
// by :force.
func (s *Step) parseKill(arg string) error {
	target, force := strings.CutSuffix(arg, ":force")
	if p, ok := strings.CutSuffix(target, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || !(v > 0 && v <= 100) { // NaN is neither
			return fmt.Errorf("%q is not a share of the replicas (0%%..100%%): %s", target, usage["kill"])
		}
		s.Fault = cluster.Fault{Kind: cluster.FaultKill, Percent: v, Force: force}
		return nil
	}
	ft, err := parseTarget(cluster.FaultKill, target)
	if err != nil {
		return fmt.Errorf("%w: %s", err, usage["kill"])
	}
	ft.Force = force
	s.Fault = ft
	return nil
}

// parseTarget reads a fault's target: a count of random replicas or a
// replica's name.
func parseTarget(kind cluster.FaultKind, t string) (cluster.Fault, error) {
	ft := cluster.Fault{Kind: kind}
	if isCount(t) {
		n, err := strconv.Atoi(t)
		switch {
		case err != nil:
			return ft, fmt.Errorf("%q is not a replica count", t)
		case n < 1:
			return ft, fmt.Errorf("%d replicas: want at least 1", n)
		}
		ft.Count = n
		return ft, nil
	}
	if err := checkName(t); err != nil {
		return ft, err
	}
	ft.Replica = t
	return ft, nil
}

// isCount reports t written as an integer (an optional sign and digits),
// so that an integer out of range is a bad count, not a replica's name.
func isCount(t string) bool {
	d := strings.TrimLeft(t, "+-")
	return len(t)-len(d) <= 1 && d != "" && strings.Trim(d, "0123456789") == ""
}

// checkName returns what is wrong with t as a replica's name, or nil: a
// cluster.CheckReplicaName without the = and : of the step syntax.
func checkName(t string) error {
	if t == "" || strings.ContainsAny(t, "=:") {
		return fmt.Errorf("%q is neither a replica count nor a replica name", t)
	}
	if err := cluster.CheckReplicaName(t); err != nil {
		return fmt.Errorf("%q is neither a replica count nor a replica name: %w", t, err)
	}
	return nil
}

// ParseSteps parses every spec and returns the steps in time order (steps
// at the same time keep their order), or one error per bad spec.
func ParseSteps(specs []string) ([]Step, error) {
	var steps []Step
	var errs []error
	for _, spec := range specs {
		s, err := ParseStep(spec)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		steps = append(steps, s)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].At < steps[j].At })
	return steps, nil
}

// Apply runs the step's action on c, blocking until it completed or ctx
// ended.
func (s Step) Apply(ctx context.Context, c cluster.Cluster) error {
	switch s.Action {
	case "scale":
		return c.Scale(ctx, s.Replicas)
	case "upgrade":
		return c.Upgrade(ctx, s.Version)
	case "rollback":
		return c.Rollback(ctx) // a held canary's too
	case "canary":
		return c.(cluster.Canary).StartCanary(ctx, s.Version, s.CanaryReplicas(c.State().Desired))
	case "promote":
		return c.(cluster.Canary).PromoteCanary(ctx)
	case "restart":
		return c.(cluster.Restarter).Restart(ctx)
	case "pause":
		return c.(cluster.RolloutPauser).PauseRollout(ctx)
	case "resume":
		return c.(cluster.RolloutPauser).ResumeRollout(ctx)
	default:
		return c.Inject(ctx, s.Fault)
	}
}

// Supported returns an error naming the first step c cannot run (restart,
// pause, resume, canary and promote need a cluster that has them; a fault
// needs a cluster that accepts its kind), or nil. Check it before the run
// starts.
func Supported(steps []Step, c cluster.Cluster) error {
	for _, s := range steps {
		ok := true
		switch s.Action {
		case "restart":
			_, ok = c.(cluster.Restarter)
		case "pause", "resume":
			_, ok = c.(cluster.RolloutPauser)
		case "canary", "promote":
			_, ok = c.(cluster.Canary)
		case "scale", "upgrade", "rollback":
		default:
			ok = cluster.SupportsFault(c, s.Fault.Kind)
		}
		if !ok {
			return fmt.Errorf("step %q: %s is not available on this cluster", s.Spec, s.Action)
		}
	}
	return nil
}
