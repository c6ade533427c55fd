package experiments

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder walks a plan's YAML nodes, collecting every problem with its
// line instead of stopping at the first.
type decoder struct {
	file     string
	problems []Problem
}

// bad records a problem at n's line (the file's when n is nil).
func (d *decoder) bad(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Reason: fmt.Sprintf(format, args...)})
}

// field is one key a mapping accepts, with what to do with its value.
type field struct {
	key string
	set func(v *yaml.Node)
}

// fields walks mapping n, where (in messages) what names it, and calls
// each key's set with its value; an unknown key, a key given twice or a
// key that is not a string is a problem. It reports whether n was a
// mapping.
func (d *decoder) fields(n *yaml.Node, what string, fs []field) bool {
	n = resolve(n)
	keys := make([]string, len(fs))
	for i, f := range fs {
		keys[i] = f.key
	}
	if n.Kind != yaml.MappingNode {
		d.bad(n, "%s: want a mapping with %s, got %s", what, strings.Join(keys, ", "), kindOf(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			d.bad(k, "%s: a key must be a name, got %s", what, kindOf(k))
			continue
		}
		if seen[k.Value] {
			d.bad(k, "%s: %s given twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		found := false
		for _, f := range fs {
			if f.key == k.Value {
				f.set(v)
				found = true
				break
			}
		}
		if !found {
			d.bad(k, "%s: unknown field %q (want %s)", what, k.Value, strings.Join(keys, ", "))
		}
	}
	return true
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

// kindOf names what n holds, for messages.
func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing"
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return strconv.Quote(n.Value)
	}
	return "nothing"
}

// text reads a string. Any scalar but null is taken as written (a
// version 2 is "2").
func (d *decoder) text(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.bad(n, "%s: want a string, got %s", what, kindOf(n))
		return "", false
	}
	return n.Value, true
}

// integer reads a whole number in lo..hi; why says what the range is.
func (d *decoder) integer(n *yaml.Node, what string, lo, hi int, why string) (int, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.bad(n, "%s: want a whole number %d..%d (%s), got %s", what, lo, hi, why, kindOf(n))
		return 0, false
	}
	var v int64
	if err := n.Decode(&v); err != nil || v < int64(lo) || v > int64(hi) {
		d.bad(n, "%s %s: want %d..%d (%s)", what, n.Value, lo, hi, why)
		return 0, false
	}
	return int(v), true
}

// number reads a finite number.
func (d *decoder) number(n *yaml.Node, what string) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		d.bad(n, "%s: want a number, got %s", what, kindOf(n))
		return 0, false
	}
	var v float64
	if err := n.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		d.bad(n, "%s %s: not a finite number", what, n.Value)
		return 0, false
	}
	return v, true
}

// boolean reads true or false.
func (d *decoder) boolean(n *yaml.Node, what string) (bool, bool) {
	var v bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&v) != nil {
		d.bad(n, "%s: want true or false, got %s", what, kindOf(n))
		return false, false
	}
	return v, true
}

// duration reads a Go duration (30s, 1m30s) of at least 0, or above 0
// when positive; a bare number is refused (seconds or milliseconds would
// be a guess).
func (d *decoder) duration(n *yaml.Node, what string, positive bool) (time.Duration, bool) {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		d.bad(n, "%s: %s is a bare number: write a duration with its unit, such as %ss or %sms", what, n.Value, n.Value, n.Value)
		return 0, false
	}
	s, ok := d.text(n, what)
	if !ok {
		return 0, false
	}
	v, err := parseDuration(s)
	if err != nil {
		d.bad(n, "%s %q: %v", what, s, err)
		return 0, false
	}
	if positive && v == 0 {
		d.bad(n, "%s %s: want a duration above 0", what, s)
		return 0, false
	}
	return v, true
}

// parseDuration parses a Go duration of at least 0 and at most
// maxPlanDuration.
func parseDuration(s string) (time.Duration, error) {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		return 0, fmt.Errorf("not a duration: want one such as 30s, 1m30s or 500ms")
	case v < 0:
		return 0, fmt.Errorf("negative: want a duration of at least 0")
	case v > maxPlanDuration:
		return 0, fmt.Errorf("want at most %s", maxPlanDuration)
	}
	return v, nil
}

// maxPlanDuration bounds every duration a plan writes: far from where the
// offsets added to it overflow.
const maxPlanDuration = 10 * 365 * 24 * time.Hour

// list reads a list, calling each for every item; it reports whether n
// was a list.
func (d *decoder) list(n *yaml.Node, what, example string, each func(i int, item *yaml.Node)) bool {
	if n.Kind != yaml.SequenceNode {
		d.bad(n, "%s: want a list such as %s, got %s", what, example, kindOf(n))
		return false
	}
	for i, item := range n.Content {
		each(i, resolve(item))
	}
	return true
}
