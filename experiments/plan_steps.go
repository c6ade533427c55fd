package experiments

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/engine"
	"go.yaml.in/yaml/v3"
)

// PlanStep is one step of a plan: an action and what fires it.
type PlanStep struct {
	// Name is the step's name ("" when the file gives none), unique in
	// the plan: after: triggers and {step:NAME} filters name it.
	Name string
	// Step is the action. A cluster action is as ParseStep gives it (At
	// set for an at: trigger, 0 otherwise); a load action (IsLoadAction)
	// has only Action and Spec.
	Step Step
	// Note is a note action's text.
	Note string
	// Rate is a set-rate action's rate, requests per second.
	Rate float64
	// Trigger is what fires the step.
	Trigger Trigger
	// Analysis is a canary step's analysis: block over
	// canary.DefaultConfig, nil when the step has none (the defaults).
	Analysis *canary.Config
	// Line is the step's line in the file (0: from a --step flag).
	Line int
}

// The load actions a plan's steps have beyond the --step syntax's cluster
// actions: they act on the load or the run, not on the cluster.
const (
	ActionNote       = "note"        // note=TEXT: a mark in the recording and the UI
	ActionSetRate    = "set-rate"    // set-rate=N: the open loop's rate from then on
	ActionPauseLoad  = "pause-load"  // pause-load: stop sending until resume-load
	ActionResumeLoad = "resume-load" // resume-load: send again
	ActionStop       = "stop"        // stop: end the run there, as q or Ctrl-C
)

// IsLoadAction reports whether action acts on the load or the run (note,
// set-rate, pause-load, resume-load, stop) rather than on the cluster.
func IsLoadAction(action string) bool {
	switch action {
	case ActionNote, ActionSetRate, ActionPauseLoad, ActionResumeLoad, ActionStop:
		return true
	}
	return false
}

// TriggerKind is what fires a step.
type TriggerKind int

// The trigger kinds.
const (
	// TriggerAt fires at an offset from the start of the load.
	TriggerAt TriggerKind = iota
	// TriggerAfter fires a delay after the named step completed.
	TriggerAfter
	// TriggerWhen fires once a condition holds.
	TriggerWhen
)

// Trigger is what fires a step: At, After + Delay, or When, as Kind says.
type Trigger struct {
	Kind TriggerKind
	// At is a TriggerAt's offset from the start of the load.
	At time.Duration
	// After names the step a TriggerAfter waits for; Delay is how long
	// after it completed.
	After string
	Delay time.Duration
	// When is a TriggerWhen's condition as written ("p(99) > 250ms over
	// 5s").
	When string
	// Line is the trigger's line.
	Line int
}

// String is the trigger as a plan writes it.
func (t Trigger) String() string {
	switch t.Kind {
	case TriggerAfter:
		if t.Delay > 0 {
			return fmt.Sprintf("after %s + %s", t.After, t.Delay)
		}
		return "after " + t.After
	case TriggerWhen:
		return "when " + t.When
	}
	return "at " + t.At.String()
}

// ActionSyntax is a plan step's action syntax in one line.
const ActionSyntax = "a --step action (scale=5, upgrade=v2, rollback, kill=1, ...) or note=TEXT, set-rate=N, pause-load, resume-load, stop"

// ParseAction parses a plan step's action: every action of the --step
// syntax (ParseStep), and the load actions note=TEXT, set-rate=N,
// pause-load, resume-load and stop. The step has no trigger yet (at 0).
func ParseAction(action string) (PlanStep, error) {
	a := strings.TrimSpace(action)
	ps := PlanStep{Step: Step{Spec: a}}
	name, arg, hasArg := strings.Cut(a, "=")
	name, arg = strings.TrimSpace(name), strings.TrimSpace(arg)
	ps.Step.Action = name
	switch name {
	case "":
		return ps, fmt.Errorf("empty action: want %s", ActionSyntax)
	case ActionNote:
		if arg == "" {
			return ps, errors.New("note needs its text: note=TEXT such as note=v2 is out")
		}
		if err := checkLine(arg); err != nil {
			return ps, fmt.Errorf("note: %w", err)
		}
		if len(arg) > maxNote {
			return ps, fmt.Errorf("note: %d bytes: at most %d", len(arg), maxNote)
		}
		ps.Note = arg
	case ActionSetRate:
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r != r {
			return ps, fmt.Errorf("set-rate %q: want a rate in requests per second, such as set-rate=500", arg)
		}
		if err := engine.CheckRate(r, false); err != nil {
			return ps, fmt.Errorf("set-rate %s: %w", arg, err)
		}
		ps.Rate = r
	case ActionPauseLoad, ActionResumeLoad, ActionStop:
		if hasArg {
			return ps, fmt.Errorf("%s takes no argument", name)
		}
	default:
		if strings.ContainsAny(a, "\n\r") {
			return ps, errors.New("an action is one line")
		}
		s, err := ParseStep("0s:" + a)
		if err != nil {
			if inner := errors.Unwrap(err); inner != nil {
				err = inner
			}
			return ps, err
		}
		s.Spec = a
		ps.Step = s
	}
	return ps, nil
}

// maxNote bounds a note's text.
const maxNote = 500

// stepName is what a step's name may be: it is written in after: and in
// {step:NAME} filters.
var stepName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// afterRef is an after: trigger: NAME, or NAME + DURATION.
var afterRef = regexp.MustCompile(`^\s*([^\s+]+)\s*(?:\+\s*(\S+)\s*)?$`)

// steps decodes steps: and checks the references between them.
func (d *decoder) steps(n *yaml.Node, closed bool) []PlanStep {
	var steps []PlanStep
	names := map[string]int{} // name → line
	d.list(n, "steps", "[{name: upgrade, at: 10s, action: upgrade=v2}]", func(i int, item *yaml.Node) {
		what := fmt.Sprintf("steps[%d]", i+1)
		// A step with a problem keeps its name, so that the steps after
		// it are not refused for naming it.
		ps, ok := d.step(item, what, closed)
		if ps.Name != "" {
			if line, dup := names[ps.Name]; dup {
				d.bad(item, "%s: the name %q is taken by the step on line %d: names must be unique", what, ps.Name, line)
				ok = false
			} else {
				names[ps.Name] = item.Line
			}
		}
		if ok {
			steps = append(steps, ps)
		}
	})
	d.checkAfter(steps, names)
	d.checkInstants(steps)
	return steps
}

// step decodes one step; ok is false when it cannot be used.
func (d *decoder) step(n *yaml.Node, what string, closed bool) (PlanStep, bool) {
	var ps PlanStep
	var triggers []string
	actionSeen, good := false, true
	var trig Trigger
	var analysisNode *yaml.Node
	if !d.fields(n, what, []field{
		{"name", func(v *yaml.Node) {
			s, ok := d.text(v, what+".name")
			if ok && !stepName.MatchString(s) {
				d.bad(v, "%s.name %q: want letters, digits, '.', '_' and '-' (at most 63), starting with a letter or digit", what, s)
				ok = false
			}
			if ok {
				ps.Name = s
			}
			good = good && ok
		}},
		{"action", func(v *yaml.Node) {
			actionSeen = true
			s, ok := d.text(v, what+".action")
			if !ok {
				good = false
				return
			}
			a, err := ParseAction(s)
			if err != nil {
				d.bad(v, "%s.action %q: %v", what, s, err)
				good = false
				return
			}
			if closed && a.Step.Action == ActionSetRate {
				d.bad(v, "%s.action %q: set-rate changes an open loop's rate; this load is a closed loop (connections)", what, s)
				good = false
				return
			}
			name := ps.Name // when name: came first
			ps = a
			ps.Name = name
		}},
		{"at", func(v *yaml.Node) {
			triggers = append(triggers, "at")
			x, ok := d.duration(v, what+".at", false)
			trig, good = Trigger{Kind: TriggerAt, At: x, Line: v.Line}, good && ok
		}},
		{"after", func(v *yaml.Node) {
			triggers = append(triggers, "after")
			s, ok := d.text(v, what+".after")
			if !ok {
				good = false
				return
			}
			m := afterRef.FindStringSubmatch(s)
			if m == nil {
				d.bad(v, "%s.after %q: want STEP_NAME or STEP_NAME + DURATION, such as upgrade + 10s", what, s)
				good = false
				return
			}
			t := Trigger{Kind: TriggerAfter, After: m[1], Line: v.Line}
			if m[2] != "" {
				dl, err := parseDuration(m[2])
				if err != nil {
					d.bad(v, "%s.after %q: %q: %v", what, s, m[2], err)
					good = false
					return
				}
				t.Delay = dl
			}
			trig = t
		}},
		{"analysis", func(v *yaml.Node) { analysisNode = v }},
		{"when", func(v *yaml.Node) {
			triggers = append(triggers, "when")
			s, ok := d.line(v, what+".when")
			if ok && strings.TrimSpace(s) == "" {
				d.bad(v, "%s.when: empty: give a condition such as \"p(99) > 250ms over 5s\"", what)
				ok = false
			}
			trig, good = Trigger{Kind: TriggerWhen, When: s, Line: v.Line}, good && ok
		}},
	}) {
		return ps, false
	}
	ps.Line = n.Line
	if analysisNode != nil {
		switch {
		case ps.Step.Action != "" && ps.Step.Action != ActionCanary:
			d.bad(analysisNode, "%s.analysis: only a canary step (action: canary=VERSION) is judged; this step's action is %s", what, ps.Step.Action)
			good = false
		case ps.Step.Action == ActionCanary:
			ps.Analysis = d.analysis(analysisNode, what+".analysis")
			good = good && ps.Analysis != nil
		}
	}
	if !actionSeen {
		d.bad(n, "%s: no action: give action: such as %q", what, "upgrade=v2")
		good = false
	}
	switch len(triggers) {
	case 0:
		d.bad(n, "%s: no trigger: give one of at: 30s, after: STEP_NAME + 10s or when: CONDITION", what)
		good = false
	case 1:
	default:
		d.bad(n, "%s: %s: choose one trigger", what, strings.Join(triggers, " and "))
		good = false
	}
	if !good {
		return ps, false
	}
	ps.Trigger = trig
	if trig.Kind == TriggerAt {
		ps.Step.At = trig.At
		ps.Step.Spec = trig.At.String() + ":" + ps.Step.Spec
	}
	return ps, true
}

// checkAfter checks every after: names a step of the plan, not itself,
// and that no chain of after: triggers is a cycle (each cycle reported
// once, on the line of its first step in the file).
func (d *decoder) checkAfter(steps []PlanStep, names map[string]int) {
	byName := map[string]PlanStep{}
	for _, s := range steps {
		if s.Name != "" {
			byName[s.Name] = s
		}
	}
	reported := map[string]bool{}
	for _, s := range steps {
		t := s.Trigger
		if t.Kind != TriggerAfter {
			continue
		}
		at := &yaml.Node{Line: t.Line}
		if _, ok := names[t.After]; !ok {
			d.bad(at, "step %s: after %q: no step is named so (the steps named are: %s)", stepLabel(s), t.After, nameList(names))
			continue
		}
		if t.After == s.Name {
			d.bad(at, "step %s: after itself: it would never run", stepLabel(s))
			continue
		}
		if s.Name == "" || reported[s.Name] {
			continue // no step can wait for an unnamed one
		}
		// Each step has one trigger: follow the chain until it leaves the
		// after: steps, or comes back to s (a cycle through s), or to a
		// step seen (a cycle without s, reported from its own steps).
		chain := []string{s.Name}
		seen := map[string]bool{s.Name: true}
		for cur := s; cur.Trigger.Kind == TriggerAfter; {
			next, ok := byName[cur.Trigger.After]
			if !ok || (seen[next.Name] && next.Name != s.Name) {
				break
			}
			if next.Name == s.Name {
				for _, c := range chain {
					reported[c] = true
				}
				d.bad(at, "step %s: after %s: a cycle, none of its steps would ever run", stepLabel(s), strings.Join(append(chain[1:], s.Name), " after "))
				break
			}
			chain = append(chain, next.Name)
			seen[next.Name] = true
			cur = next
		}
	}
}

// checkInstants refuses two at: steps at the same instant, as Check: which
// would act first is not defined.
func (d *decoder) checkInstants(steps []PlanStep) {
	at := map[time.Duration]PlanStep{}
	for _, s := range steps {
		if s.Trigger.Kind != TriggerAt {
			continue
		}
		if o, dup := at[s.Step.At]; dup {
			d.bad(&yaml.Node{Line: s.Trigger.Line}, "step %s: at %s as step %s (line %d): which would act first is not defined; give them different times, such as %s and %s",
				stepLabel(s), s.Step.At, stepLabel(o), o.Line, s.Step.At, s.Step.At+100*time.Millisecond)
			continue
		}
		at[s.Step.At] = s
	}
}

// stepLabel names a step in messages: its name, or its action.
func stepLabel(s PlanStep) string {
	if s.Name != "" {
		return strconv.Quote(s.Name)
	}
	return strconv.Quote(s.Step.Spec)
}

// nameList lists the step names in line order, or says there are none.
func nameList(names map[string]int) string {
	if len(names) == 0 {
		return "none"
	}
	ns := make([]string, 0, len(names))
	for n := range names {
		ns = append(ns, n)
	}
	sort.Slice(ns, func(i, j int) bool { return names[ns[i]] < names[ns[j]] })
	return strings.Join(ns, ", ")
}

// TimedSteps returns the plan's at: steps whose action is a cluster
// action, in time order, as the --step flags give them (Spec is
// "AT:ACTION", which ParseStep reads back): the list experiments.Check
// and the Runner take. The load actions and the after: and when: steps
// are in Steps, for the session to fire.
func (p *Plan) TimedSteps() []Step {
	var steps []Step
	for _, s := range p.Steps {
		if s.Trigger.Kind == TriggerAt && !IsLoadAction(s.Step.Action) {
			steps = append(steps, s.Step)
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].At < steps[j].At })
	return steps
}

// AddSteps appends steps from --step flags (ParseSteps) to the plan as at:
// steps, refusing, as Check, a step at the instant of another (of the plan
// or of the flags), and a step at or after the end of the load's window.
// Nothing is added on error.
func (p *Plan) AddSteps(steps []Step) error {
	at := map[time.Duration]string{}
	for _, s := range p.Steps {
		if s.Trigger.Kind == TriggerAt {
			at[s.Step.At] = "the plan's step " + stepLabel(s)
		}
	}
	var errs []error
	w := p.Load.Window()
	for _, s := range steps {
		if o, dup := at[s.At]; dup {
			errs = append(errs, fmt.Errorf("step %q: at %s as %s: which would act first is not defined; give them different times, such as %s and %s",
				s.Spec, s.At, o, s.At, s.At+100*time.Millisecond))
			continue
		}
		if w > 0 && s.At >= w {
			errs = append(errs, fmt.Errorf("step %q: at %s, not before the end of the run (%s)", s.Spec, s.At, w))
			continue
		}
		at[s.At] = fmt.Sprintf("step %q", s.Spec)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, s := range steps {
		p.Steps = append(p.Steps, PlanStep{Step: s, Trigger: Trigger{Kind: TriggerAt, At: s.At}})
	}
	return nil
}
