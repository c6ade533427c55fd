package experiments

import (
	"errors"
	"fmt"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// Check returns every problem with steps that can be judged before the
// run on c, joined, or nil: a step c cannot run (Supported), two steps at
// the same instant, and, on a cluster that says what it is
// (cluster.Planned, the local fleet), each step judged against the
// cluster as the steps before it leave it: a replica name none of its
// replicas can carry, more replicas (or a share) than it has then, a
// scale beyond its cap, a rollback with no earlier version, a bad version
// or a canary of the version it runs then, a canary of all its replicas or
// while one is held, a promote without one. Steps are in time order (ParseSteps).
//
// Two steps at the same instant are refused: each step runs in its own
// goroutine from its time on, so which of the two acted first would not be
// defined; give them different times (10s and 10.1s run in that order).
func Check(steps []Step, c cluster.Cluster) error {
	var errs []error
	if err := Supported(steps, c); err != nil {
		errs = append(errs, err)
	}
	for i := 1; i < len(steps); i++ {
		if a, b := steps[i-1], steps[i]; a.At == b.At {
			errs = append(errs, fmt.Errorf("steps %q and %q are both at %s: which would act first is not defined; give them different times, such as %s and %s",
				a.Spec, b.Spec, a.At, a.At, a.At+100*time.Millisecond))
		}
	}
	if p, ok := c.(cluster.Planned); ok {
		errs = append(errs, checkPlan(steps, p.Plan())...)
	}
	return errors.Join(errs...)
}

// checkPlan follows the plan through the steps (a scale changes the
// desired replicas; an upgrade, a bad version and a rollback the version)
// and returns the steps that cannot succeed on it then.
func checkPlan(steps []Step, p cluster.Plan) []error {
	var errs []error
	bad := func(s Step, format string, args ...any) {
		errs = append(errs, fmt.Errorf("step %q: %s", s.Spec, fmt.Sprintf(format, args...)))
	}
	replicas, current, previous := p.Replicas, p.Version, p.Previous
	held := false // a canary is held
	rollTo := func(v string) {
		if v != current {
			current, previous = v, current
		}
		held = false
	}
	for _, s := range steps {
		switch s.Action {
		case "canary":
			switch n := s.CanaryReplicas(replicas); {
			case held:
				bad(s, "a canary of %s is held then: promote or roll it back first", current)
				continue
			case s.Version == current:
				bad(s, "%s is the version the cluster runs then: nothing would roll out", current)
				continue
			case n >= replicas:
				bad(s, "%d of the %d replicas the cluster has then: a canary leaves at least one on %s", n, replicas, current)
				continue
			}
			rollTo(s.Version)
			held = true
		case "promote":
			if !held {
				bad(s, "no canary is held then (a canary= step starts one)")
				continue
			}
			held = false
		case "scale":
			if held {
				bad(s, "a canary is held then: the scale would wait for its promote or rollback")
				continue
			}
			if p.MaxReplicas > 0 && s.Replicas > p.MaxReplicas {
				bad(s, "%d replicas: beyond the cluster's cap of %d", s.Replicas, p.MaxReplicas)
				continue
			}
			replicas = s.Replicas
		case "upgrade":
			rollTo(s.Version)
		case "rollback":
			if previous == "" {
				bad(s, "no earlier version to roll back to (%s is the only version by then)", current)
				continue
			}
			current, previous = previous, current
			held = false
		case "bad-version":
			if s.Fault.Version == current {
				bad(s, "%s is the version the cluster runs then: nothing would roll out", current)
				continue
			}
			rollTo(s.Fault.Version)
		case "restart", "pause", "resume":
		default:
			if err := checkFault(s.Fault, replicas, p.CheckName); err != nil {
				bad(s, "%v (at %s the cluster has %d replicas)", err, s.At, replicas)
			}
		}
	}
	return errs
}

// checkFault returns why f cannot hit replicas of a cluster with n
// desired replicas and names checked by checkName (nil: any name).
func checkFault(f cluster.Fault, n int, checkName func(string) error) error {
	if f.Replica != "" {
		if checkName == nil {
			return nil
		}
		return checkName(f.Replica)
	}
	if f.Kind == cluster.FaultHeal {
		return nil
	}
	_, err := f.Targets(n)
	return err
}
