package canary

import (
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestSpecConfig(t *testing.T) {
	def := DefaultConfig()
	if err := def.Validate(); err != nil {
		t.Fatalf("the defaults are invalid: %v", err)
	}
	for _, tc := range []struct {
		name string
		spec Spec
		want Config
		errs []string // each a line of the error, in order
	}{
		{name: "empty: the defaults", want: def},
		{name: "every key", spec: Spec{Interval: "5s", Count: ptr(8), MinSamples: ptr(int64(50)), MaxIncrease: "1%",
			MaxRatio: ptr(1.5), DeadBand: "2ms", Alpha: ptr(0.01), FailureLimit: ptr(1), InconclusiveLimit: ptr(2),
			OnInconclusive: "promote"},
			want: Config{Interval: 5 * time.Second, Count: 8, MinSamples: 50, MaxIncrease: 0.01, MaxRatio: 1.5,
				DeadBand: 2 * time.Millisecond, Alpha: 0.01, FailureLimit: 1, InconclusiveLimit: 2, OnInconclusive: "promote"}},
		{name: "unreadable values", spec: Spec{Interval: "ten", MaxIncrease: "0.5", DeadBand: "1", MinSamples: ptr(int64(0))},
			errs: []string{`interval "ten": not a duration (as 10s)`, `dead_band "1": not a duration (as 1ms)`,
				`max_increase "0.5": write a percentage, as 0.5%`, "min_samples 0: at least 1"}},
		{name: "out of range, every one", spec: Spec{Interval: "-1s", Count: ptr(0), MaxIncrease: "100%", MaxRatio: ptr(0.9),
			DeadBand: "-1ms", Alpha: ptr(1.0), FailureLimit: ptr(-1), InconclusiveLimit: ptr(-2), OnInconclusive: "ask"},
			errs: []string{"interval -1s: must be positive", "count 0: at least 1", "max_increase 100%: want 0% to below 100%",
				"max_ratio 0.9: at least 1", "dead_band -1ms: must not be negative", "alpha 1: want between 0 and 1",
				"failure_limit -1: must not be negative", "inconclusive_limit -2: must not be negative",
				`on_inconclusive "ask": want promote or rollback`}},
		{name: "a bad percentage", spec: Spec{MaxIncrease: "x%"}, errs: []string{`max_increase "x%": not a percentage (as 0.5%)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.spec.Config()
			if len(tc.errs) > 0 {
				if err == nil {
					t.Fatalf("no error, want %q", tc.errs)
				}
				if lines := strings.Split(err.Error(), "\n"); strings.Join(lines, "|") != strings.Join(tc.errs, "|") {
					t.Fatalf("errors:\n%s\nwant:\n%s", err, strings.Join(tc.errs, "\n"))
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("%+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestParsePercent(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{{"0.5%", 0.005, true}, {" 2 %", 0.02, true}, {"0%", 0, true}, {"0.5", 0, false}, {"%", 0, false}, {"NaN%", 0, false}} {
		got, err := ParsePercent(tc.in)
		if (err == nil) != tc.ok || (tc.ok && !near(got, tc.want, 1e-15)) {
			t.Errorf("ParsePercent(%q) = %g, %v; want %g (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
