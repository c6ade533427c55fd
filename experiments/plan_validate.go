package experiments

import (
	"net/url"

	"github.com/scalelab/scalelab/engine"
)

// Checks are the parsers of a plan's expressions, which live elsewhere
// (the analysis package): Validate calls them. A nil hook skips its
// checks.
type Checks struct {
	// Threshold checks expr on the metric key metric, as written
	// ("latency{step:upgrade}", "p(99)<150").
	Threshold func(metric, expr string) error
	// Condition checks a when: condition ("p(99) > 250ms over 5s").
	Condition func(expr string) error
}

// Validate checks the plan's expressions with c: every threshold (the
// plan's, the steady state's and the search's until) and every when:
// condition, each problem at its line, all at once in a *PlanError, or
// nil.
func (p *Plan) Validate(c Checks) error {
	d := &decoder{file: p.File}
	if c.Threshold != nil {
		check := func(where string, ts []Threshold) {
			for _, t := range ts {
				if err := c.Threshold(t.Metric, t.Expr); err != nil {
					d.problems = append(d.problems, Problem{File: p.File, Line: t.Line, Reason: where + t.Metric + " " + quote(t.Expr) + ": " + firstLine(err.Error())})
				}
			}
		}
		check("thresholds.", p.Thresholds)
		if p.SteadyState != nil {
			check("steady_state.thresholds.", p.SteadyState.Thresholds)
		}
		if p.Search != nil {
			check("search.until.", p.Search.Until)
		}
	}
	if c.Condition != nil {
		for _, s := range p.Steps {
			if s.Trigger.Kind != TriggerWhen {
				continue
			}
			if err := c.Condition(s.Trigger.When); err != nil {
				d.problems = append(d.problems, Problem{File: p.File, Line: s.Trigger.Line, Reason: "step " + stepLabel(s) + ": when " + quote(s.Trigger.When) + ": " + firstLine(err.Error())})
			}
		}
	}
	return planError(d.problems)
}

// CheckPlan reads the plan file at path (LoadPlan) and validates its
// expressions with c (Validate): every problem of both, in line order, in
// one *PlanError. The plan is returned when the file could be read, even
// with problems.
func CheckPlan(path string, c Checks) (*Plan, error) {
	p, err := LoadPlan(path)
	if p == nil {
		return nil, err
	}
	var problems []Problem
	if pe, ok := err.(*PlanError); ok {
		problems = pe.Problems
	} else if err != nil {
		return p, err
	}
	if verr := p.Validate(c); verr != nil {
		problems = append(problems, verr.(*PlanError).Problems...)
	}
	return p, planError(problems)
}

// ThresholdCount is the number of thresholds the plan judges: the plan's,
// the steady state's and the search's.
func (p *Plan) ThresholdCount() int {
	n := len(p.Thresholds)
	if p.SteadyState != nil {
		n += len(p.SteadyState.Thresholds)
	}
	if p.Search != nil {
		n += len(p.Search.Until)
	}
	return n
}

// RequestURL is the URL the load sends to, from the target's base URL
// (the fleet's balancer, the Service, the plan's url): its path and
// query replaced by the load's Path when that is set.
func (l Load) RequestURL(base string) (string, error) {
	if l.Path == "" {
		return base, nil
	}
	u, err := engine.ParseURL(base)
	if err != nil {
		return "", err
	}
	r, err := url.ParseRequestURI(l.Path)
	if err != nil {
		return "", err
	}
	u.Path, u.RawPath, u.RawQuery = r.Path, r.RawPath, r.RawQuery
	return u.String(), nil
}
