package experiments

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/cluster"
)

// badValues are the kinds of bad input every step argument is fed: NaN,
// Inf, huge, zero, negative, empty, control characters, unicode. Keep it
// growing.
var badValues = map[string][]string{
	"NaN":      {"NaN", "nan", "-NaN"},
	"Inf":      {"Inf", "+Inf", "-Inf", "infinity"},
	"huge":     {"1e308", "1e309", "99999999999999999999", "9223372036854775808", strings.Repeat("9", 400), strings.Repeat("x", 1000)},
	"negative": {"-1", "-0.5", "-1e308"},
	"empty":    {"", " "},
	"control":  {"\x00", "\x01", "\x1b[2J", "a\tb", "a\nb", "\x7f", "a\rb"},
	"unicode":  {"é", "５", "\u200b", "\ufeff", "\xff", "replica‐1"},
}

// TestBadStepArgumentsAreRefusedBeforeTheRun feeds each argument of each
// step every bad value (and the zero that is bad there) and checks that
// ParseStep or Check (on a fleet of 3 replicas of v1) refuses it with one
// line naming the step; where a value is a good one for an argument it is
// listed in good.
func TestBadStepArgumentsAreRefusedBeforeTheRun(t *testing.T) {
	fl := newFleet(t)
	for _, arg := range []struct {
		format string // the step with %s for the argument
		zero   bool   // 0 is bad here
		good   []string
	}{
		{format: "%s:scale=2", good: []string{}},
		{format: "1s:scale=%s", good: []string{}},
		{format: "1s:upgrade=%s", good: []string{"NaN", "nan", "-NaN", "Inf", "+Inf", "-Inf", "infinity", "1e308", "1e309", "99999999999999999999",
			"9223372036854775808", strings.Repeat("9", 400), "-1", "-0.5", "-1e308"}},
		{format: "1s:bad-version=%s", good: []string{"NaN", "nan", "-NaN", "Inf", "+Inf", "-Inf", "infinity", "1e308", "1e309",
			"99999999999999999999", "9223372036854775808", strings.Repeat("9", 400), "-1", "-0.5", "-1e308"}},
		{format: "1s:kill=%s", zero: true},
		{format: "1s:kill=%s%%", zero: true},
		{format: "1s:kill=%s:force", zero: true},
		{format: "1s:hang=%s", zero: true},
		{format: "1s:latency=%s", good: []string{}},
		{format: "1s:latency=%s:10ms", zero: true},
		{format: "1s:errors=%s", good: []string{}},
		{format: "1s:errors=%s:30%%", zero: true},
		{format: "1s:heal=%s", zero: true},
		{format: "1s:rollback=%s", zero: true},
	} {
		good := map[string]bool{}
		for _, v := range arg.good {
			good[v] = true
		}
		var values []string
		for _, kind := range []string{"NaN", "Inf", "huge", "zero", "negative", "empty", "control", "unicode"} {
			if kind == "zero" {
				if arg.zero {
					values = append(values, "0")
				}
				continue
			}
			values = append(values, badValues[kind]...)
		}
		for _, v := range values {
			spec := fmt.Sprintf(arg.format, v)
			if good[v] {
				continue
			}
			err := refused(spec, fl)
			if err == nil {
				t.Errorf("%q: accepted", spec)
				continue
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, strconv.Quote(spec)) {
				t.Errorf("%q: %q: want one line naming the step", spec, msg)
			}
		}
	}
}

// refused is the error ParseStep or Check gives spec on c.
func refused(spec string, c cluster.Cluster) error {
	s, err := ParseStep(spec)
	if err != nil {
		return err
	}
	return Check([]Step{s}, c)
}
