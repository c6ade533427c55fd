package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// MaxPlanSize bounds a plan file: a plan is a page of YAML, not data.
const MaxPlanSize = 1 << 20

// LoadPlan reads and checks the plan file at path (ParsePlan); a body_file
// is found relative to the plan's folder.
func LoadPlan(path string) (*Plan, error) {
	data, err := readPlan(path)
	if err != nil {
		return nil, err
	}
	return ParsePlan(data, path)
}

// readPlan reads a regular file of at most MaxPlanSize bytes, or returns a
// *PlanError naming it.
func readPlan(path string) ([]byte, error) {
	fail := func(format string, args ...any) ([]byte, error) {
		return nil, planError([]Problem{{File: path, Reason: fmt.Sprintf(format, args...)}})
	}
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fail("cannot read the plan: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fail("cannot read the plan: %v", err)
	}
	if !st.Mode().IsRegular() {
		return fail("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxPlanSize+1))
	if err != nil {
		return fail("cannot read the plan: %v", err)
	}
	return data, nil
}

// ParsePlan decodes the YAML plan in data, named name in messages (its
// folder is where a body_file is found), strictly: unknown keys, wrong
// types, bad numbers, durations and actions, steps whose triggers are
// missing, doubled, cyclic or name no step, and contradictions between
// sections are each a Problem with its line, all reported at once in a
// *PlanError. Thresholds and when: conditions are kept as text: Validate
// checks them. On error the plan is returned too, holding what decoded.
func ParsePlan(data []byte, name string) (*Plan, error) {
	d := &decoder{file: name}
	p := &Plan{File: name, Rollbacks: Rollbacks{Strategy: RollbackDefault}}
	d.plan(p, data, filepath.Dir(name))
	return p, planError(d.problems)
}

// yamlLine finds the line in a yaml error message ("yaml: line 3: ...").
var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// plan decodes data into p.
func (d *decoder) plan(p *Plan, data []byte, dir string) {
	if len(data) > MaxPlanSize {
		d.bad(nil, "more than %d bytes: a plan is at most 1 MiB", MaxPlanSize)
		return
	}
	if len(bytes.TrimSpace(data)) == 0 {
		d.problems = append(d.problems, Problem{File: d.file, Line: 1, Reason: "empty: a plan needs at least a target (see docs/plans.md)"})
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) { // comments only
			d.problems = append(d.problems, Problem{File: d.file, Line: 1, Reason: "empty: a plan needs at least a target (see docs/plans.md)"})
		} else {
			d.yamlError(err)
		}
		return
	}
	var second yaml.Node
	if err := dec.Decode(&second); err == nil {
		d.bad(&second, "a second YAML document: a plan is one document (drop the ---)")
	} else if !errors.Is(err, io.EOF) {
		d.yamlError(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		d.problems = append(d.problems, Problem{File: d.file, Line: 1, Reason: "empty: a plan needs at least a target (see docs/plans.md)"})
		return
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		d.bad(root, "the plan: want a mapping (name:, target:, load:, steps:, ...), got %s", kindOf(root))
		return
	}
	var stepsNode, metricsNode, agentsNode *yaml.Node
	scrapeSeen, targetSeen := false, false
	d.fields(root, "plan", []field{
		{"name", func(v *yaml.Node) { p.Name, _ = d.line(v, "name") }},
		{"description", func(v *yaml.Node) { p.Description, _ = d.text(v, "description") }},
		{"target", func(v *yaml.Node) { targetSeen = true; d.target(&p.Target, v) }},
		{"load", func(v *yaml.Node) { d.load(&p.Load, v, dir) }},
		{"steps", func(v *yaml.Node) { stepsNode = v }},
		{"thresholds", func(v *yaml.Node) { p.Thresholds = d.thresholds(v, "thresholds") }},
		{"steady_state", func(v *yaml.Node) { p.SteadyState = d.steadyState(v) }},
		{"rollbacks", func(v *yaml.Node) { d.rollbacks(&p.Rollbacks, v) }},
		{"search", func(v *yaml.Node) { p.Search = d.search(v) }},
		{"scrape", func(v *yaml.Node) { scrapeSeen = true; d.scrape(p, v) }},
		{"scrape_metrics", func(v *yaml.Node) { metricsNode = v; d.scrapeMetrics(p, v) }},
		{"agents", func(v *yaml.Node) {
			if n, ok := d.integer(v, "agents", 0, 1000, "load generators: 2 or more run as agents in a k8s target's cluster"); ok {
				p.Agents, agentsNode = n, v
			}
		}},
	})
	if agentsNode != nil && p.Agents > 1 && p.Target.K8s == nil && targetSeen {
		d.bad(agentsNode, "agents %d: agents run as a Kubernetes Job, and the target is not k8s: give target: {k8s: {...}}, or --agents-at HOST:PORT,... on the command line", p.Agents)
	}
	if !targetSeen {
		d.bad(root, "no target: give one of target: {fleet: {...}}, {url: http://...} or {k8s: {deployment: NAME}}")
	}
	if metricsNode != nil && !scrapeSeen {
		d.bad(metricsNode, "scrape_metrics: without scrape there is nothing to scrape: give scrape: [URL, ...]")
	}
	if stepsNode != nil {
		p.Steps = d.steps(stepsNode, p.Load.ClosedLoop())
	}
	d.crossChecks(p)
}

// yamlError records a YAML syntax error at its line.
func (d *decoder) yamlError(err error) {
	msg := err.Error()
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
		msg = msg[len(m[0]):]
	}
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Reason: "not YAML: " + firstLine(msg)})
}

// firstLine is s up to its first newline.
func firstLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// line reads a string of one line without control characters.
func (d *decoder) line(n *yaml.Node, what string) (string, bool) {
	s, ok := d.text(n, what)
	if !ok {
		return "", false
	}
	if err := checkLine(s); err != nil {
		d.bad(n, "%s: %v", what, err)
		return "", false
	}
	return s, true
}

// checkLine returns what is wrong with s as one line of text, or nil.
func checkLine(s string) error {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("a control character (%U): want one line of text", r)
		}
	}
	return nil
}

// quote is s in double quotes, as %q writes it.
func quote(s string) string { return strconv.Quote(s) }
