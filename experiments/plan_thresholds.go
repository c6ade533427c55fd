package experiments

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scalelab/scalelab/engine"
	"go.yaml.in/yaml/v3"
)

// thresholds decodes a thresholds mapping (thresholds:, steady_state's,
// search.until): metric key → list of expressions, each a string or
// {threshold, abortOnFail, delayAbortEval, window, recover,
// allow_no_data}.
func (d *decoder) thresholds(n *yaml.Node, what string) []Threshold {
	if n.Kind != yaml.MappingNode {
		d.bad(n, "%s: want a mapping of metric → expressions, such as {latency: [\"p(99)<200\"]}, got %s", what, kindOf(n))
		return nil
	}
	var ts []Threshold
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		metric, ok := d.line(k, what+": a metric")
		if !ok {
			continue
		}
		if strings.TrimSpace(metric) == "" {
			d.bad(k, "%s: an empty metric name", what)
			continue
		}
		if seen[metric] {
			d.bad(k, "%s: %s given twice", what, metric)
			continue
		}
		seen[metric] = true
		mwhat := what + "." + metric
		d.list(v, mwhat, `["p(99)<200"]`, func(_ int, item *yaml.Node) {
			if t, ok := d.threshold(item, mwhat, metric); ok {
				ts = append(ts, t)
			}
		})
	}
	return ts
}

// threshold decodes one expression: a string, or k6's object form with
// scalelab's window, recover and allow_no_data.
func (d *decoder) threshold(n *yaml.Node, what, metric string) (Threshold, bool) {
	t := Threshold{Metric: metric, Line: n.Line}
	expr := func(v *yaml.Node) bool {
		s, ok := d.line(v, what)
		if ok && strings.TrimSpace(s) == "" {
			d.bad(v, "%s: an empty expression: want one such as \"p(99)<200\"", what)
			ok = false
		}
		t.Expr, t.Line = s, v.Line
		return ok
	}
	if n.Kind == yaml.ScalarNode {
		return t, expr(n)
	}
	good, seen := true, false
	var delayNode *yaml.Node
	if !d.fields(n, what, []field{
		{"threshold", func(v *yaml.Node) { seen = true; good = expr(v) && good }},
		{"abortOnFail", func(v *yaml.Node) { b, ok := d.boolean(v, what+".abortOnFail"); t.AbortOnFail, good = b, good && ok }},
		{"delayAbortEval", func(v *yaml.Node) {
			delayNode = v
			x, ok := d.duration(v, what+".delayAbortEval", false)
			t.DelayAbortEval, good = x, good && ok
		}},
		{"window", func(v *yaml.Node) { x, ok := d.duration(v, what+".window", true); t.Window, good = x, good && ok }},
		{"recover", func(v *yaml.Node) {
			x, ok := d.duration(v, what+".recover", true)
			t.Recover, good = x, good && ok
			if ok && stepFilter(metric) == "" {
				d.bad(v, "%s.recover: recover counts from a step: write the metric with its step, such as %s{step:kill}", what, metric)
				good = false
			}
		}},
		{"allow_no_data", func(v *yaml.Node) { b, ok := d.boolean(v, what+".allow_no_data"); t.AllowNoData, good = b, good && ok }},
	}) {
		return t, false
	}
	if !seen {
		d.bad(n, "%s: no threshold: give threshold: \"p(99)<200\"", what)
		return t, false
	}
	if delayNode != nil && !t.AbortOnFail {
		d.bad(delayNode, "%s.delayAbortEval without abortOnFail: true: there is no abort to delay", what)
		good = false
	}
	return t, good
}

// stepFilter returns the step a metric key's filter names
// ("latency{step:upgrade}" → "upgrade"), or "".
func stepFilter(metric string) string {
	i := strings.IndexByte(metric, '{')
	if i < 0 || !strings.HasSuffix(metric, "}") {
		return ""
	}
	for _, kv := range strings.Split(metric[i+1:len(metric)-1], ",") {
		k, v, ok := strings.Cut(kv, ":")
		if ok && strings.TrimSpace(k) == "step" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// steadyState decodes steady_state: {before, after, thresholds}.
func (d *decoder) steadyState(n *yaml.Node) *SteadyState {
	ss := &SteadyState{Line: n.Line}
	seen := false
	if !d.fields(n, "steady_state", []field{
		{"before", func(v *yaml.Node) { ss.Before, _ = d.duration(v, "steady_state.before", false) }},
		{"after", func(v *yaml.Node) { ss.After, _ = d.duration(v, "steady_state.after", false) }},
		{"thresholds", func(v *yaml.Node) {
			seen = true
			ss.Thresholds = d.thresholds(v, "steady_state.thresholds")
			if v.Kind == yaml.MappingNode && len(v.Content) == 0 {
				d.bad(v, "steady_state.thresholds: empty: give the thresholds the steady state must hold")
			}
		}},
	}) {
		return nil
	}
	if !seen {
		d.bad(n, "steady_state: no thresholds: give thresholds: {latency: [\"p(99)<100\"]}")
	}
	if ss.Before == 0 && ss.After == 0 {
		d.bad(n, "steady_state: neither before nor after: give the window it is judged in, such as before: 10s")
	}
	return ss
}

// rollbacks decodes rollbacks: {strategy, actions}.
func (d *decoder) rollbacks(r *Rollbacks, n *yaml.Node) {
	r.Line = n.Line
	d.fields(n, "rollbacks", []field{
		{"strategy", func(v *yaml.Node) {
			s, ok := d.text(v, "rollbacks.strategy")
			if !ok {
				return
			}
			switch st := RollbackStrategy(s); st {
			case RollbackDefault, RollbackAlways, RollbackNever, RollbackDeviated:
				r.Strategy = st
			default:
				d.bad(v, "rollbacks.strategy %q: want default, always, never or deviated", s)
			}
		}},
		{"actions", func(v *yaml.Node) {
			d.list(v, "rollbacks.actions", `["rollback"]`, func(i int, item *yaml.Node) {
				what := fmt.Sprintf("rollbacks.actions[%d]", i+1)
				s, ok := d.text(item, what)
				if !ok {
					return
				}
				a, err := ParseAction(s)
				switch {
				case err != nil:
					d.bad(item, "%s %q: %v", what, s, err)
				case IsLoadAction(a.Step.Action):
					d.bad(item, "%s %q: a rollback acts on the cluster (rollback, scale=4, heal, ...); %s acts on the load", what, s, a.Step.Action)
				default:
					r.Actions = append(r.Actions, a.Step)
				}
			})
		}},
	})
}

// search decodes search: {from, step, hold, until, max}.
func (d *decoder) search(n *yaml.Node) *Search {
	s := &Search{Line: n.Line, Max: engine.MaxRate}
	var fromNode, maxNode *yaml.Node
	seen := map[string]bool{}
	if !d.fields(n, "search", []field{
		{"from", func(v *yaml.Node) {
			seen["from"], fromNode = true, v
			if r, ok := d.number(v, "search.from"); ok {
				if err := engine.CheckRate(r, false); err != nil {
					d.bad(v, "search.from %s: %v", v.Value, err)
				} else {
					s.From = r
				}
			}
		}},
		{"step", func(v *yaml.Node) { seen["step"] = true; d.searchStep(s, v) }},
		{"hold", func(v *yaml.Node) { seen["hold"] = true; s.Hold, _ = d.duration(v, "search.hold", true) }},
		{"until", func(v *yaml.Node) {
			seen["until"] = true
			s.Until = d.thresholds(v, "search.until")
			if v.Kind == yaml.MappingNode && len(v.Content) == 0 {
				d.bad(v, "search.until: empty: give the thresholds a rate must hold, such as {latency: [\"p(99)<200\"]}")
			}
		}},
		{"max", func(v *yaml.Node) {
			maxNode = v
			if r, ok := d.number(v, "search.max"); ok {
				if err := engine.CheckRate(r, false); err != nil {
					d.bad(v, "search.max %s: %v", v.Value, err)
				} else {
					s.Max = r
				}
			}
		}},
	}) {
		return nil
	}
	for _, k := range []string{"from", "step", "hold", "until"} {
		if !seen[k] {
			d.bad(n, "search: no %s (a search needs from, step, hold and until)", k)
		}
	}
	if maxNode != nil && fromNode != nil && s.From > 0 && s.Max < s.From {
		d.bad(maxNode, "search.max %g: below search.from (%g)", s.Max, s.From)
	}
	if s.From > 0 && s.Step > 0 && len(s.Rates()) >= maxSearchRates {
		d.bad(n, "search: %d rates or more from %g to %g: give a larger step or a max", maxSearchRates, s.From, s.Max)
	}
	return s
}

// searchStep reads search.step: a share of the rate (20%) or a number of
// requests per second.
func (d *decoder) searchStep(s *Search, v *yaml.Node) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!str" {
		p, ok := strings.CutSuffix(strings.TrimSpace(v.Value), "%")
		x, err := strconv.ParseFloat(p, 64)
		if !ok || err != nil || !(x > 0 && x <= 1000) { // NaN is neither
			d.bad(v, "search.step %q: want a share of the rate above 0%% and at most 1000%% (20%%) or a number of req/s (500)", v.Value)
			return
		}
		s.Step, s.StepPercent = x, true
		return
	}
	x, ok := d.number(v, "search.step")
	if !ok {
		return
	}
	if x <= 0 || x > engine.MaxRate {
		d.bad(v, "search.step %s: want above 0 and at most %d req/s", v.Value, engine.MaxRate)
		return
	}
	s.Step = x
}

// crossChecks finds the contradictions between sections: steps outside
// the window or inside the steady state's, filters naming no step, a
// window longer than the run, a search with a load model of its own.
func (d *decoder) crossChecks(p *Plan) {
	w := p.Load.Window()
	names := map[string]bool{}
	var first, last time.Duration = -1, -1
	for _, s := range p.Steps {
		if s.Name != "" {
			names[s.Name] = true
		}
		if s.Trigger.Kind != TriggerAt {
			continue
		}
		at := &yaml.Node{Line: s.Trigger.Line}
		if w > 0 && s.Step.At >= w {
			d.bad(at, "step %s: at %s, not before the end of the run (%s)", stepLabel(s), s.Step.At, w)
		}
		if first < 0 || s.Step.At < first {
			first = s.Step.At
		}
		last = max(last, s.Step.At)
	}
	all := append([]Threshold(nil), p.Thresholds...)
	if ss := p.SteadyState; ss != nil {
		all = append(all, ss.Thresholds...)
		if first >= 0 && first < ss.Before {
			d.bad(&yaml.Node{Line: ss.Line}, "steady_state.before %s: the first step is at %s, inside the baseline: move the step to %s or later", ss.Before, first, ss.Before)
		}
		if w > 0 && last >= 0 && ss.After > 0 && last+ss.After > w {
			d.bad(&yaml.Node{Line: ss.Line}, "steady_state.after %s: the last step is at %s and the run ends at %s: no room for it", ss.After, last, w)
		}
	}
	if p.Search != nil {
		all = append(all, p.Search.Until...)
	}
	for _, t := range all {
		if name := stepFilter(t.Metric); name != "" && !names[name] {
			d.bad(&yaml.Node{Line: t.Line}, "threshold %s: no step is named %q", t.Metric, name)
		}
		if w > 0 && t.Window > w {
			d.bad(&yaml.Node{Line: t.Line}, "threshold %s %q: window %s is longer than the run (%s)", t.Metric, t.Expr, t.Window, w)
		}
	}
	if s := p.Search; s != nil {
		l := p.Load
		if l.Rate > 0 || len(l.Stages) > 0 || l.Connections > 0 || l.Duration > 0 {
			d.bad(&yaml.Node{Line: s.Line}, "search sets the rate and the duration (a hold a rate): drop load.rate, load.stages, load.connections and load.duration")
		}
	}
}
