package cluster

import (
	"strings"
	"testing"
	"time"
)

func TestParseLatency(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want LatencyRange
		err  string
	}{
		{in: "20ms", want: LatencyRange{20 * time.Millisecond, 20 * time.Millisecond}},
		{in: "5ms..50ms", want: LatencyRange{5 * time.Millisecond, 50 * time.Millisecond}},
		{in: "0", want: LatencyRange{}},
		{in: "50ms..5ms", err: "end is below its start"},
		{in: "-1ms", err: "negative"},
		{in: "fast", err: "want a duration"},
		{in: "5ms..", err: "want a duration"},
	} {
		got, err := ParseLatency(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLatency(%q): error %v, want one containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseLatency(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if back, _ := ParseLatency(got.String()); back != got {
			t.Errorf("ParseLatency(%q).String() = %q does not parse back", tc.in, got.String())
		}
	}
}

func TestLatencyDrawStaysInRange(t *testing.T) {
	l := LatencyRange{Min: 5 * time.Millisecond, Max: 6 * time.Millisecond}
	for range 1000 {
		if d := l.Draw(); d < l.Min || d > l.Max {
			t.Fatalf("Draw() = %s outside %s", d, l)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]float64{"0.3": 0.3, "30%": 0.3, "0": 0, "100%": 1, "1": 1} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %g, %v; want %g", in, got, err, want)
		}
	}
	for _, in := range []string{"1.5", "-0.1", "150%", "NaN", "lots", ""} {
		if _, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q): no error", in)
		}
	}
}

func TestFaultValidateAndString(t *testing.T) {
	ok := []Fault{
		{Kind: FaultKill, Count: 1},
		{Kind: FaultHang, Replica: "replica-2"},
		{Kind: FaultLatency, Count: 2, Latency: LatencyRange{Min: time.Millisecond, Max: 2 * time.Millisecond}},
		{Kind: FaultErrors, Count: 1, ErrorRate: 0.5},
		{Kind: FaultBadVersion, Version: "v3"},
	}
	for _, f := range ok {
		if err := f.Validate(); err != nil {
			t.Errorf("%+v: %v", f, err)
		}
	}
	bad := []Fault{
		{Kind: "explode", Count: 1},
		{Kind: FaultKill},
		{Kind: FaultErrors, Count: 1, ErrorRate: 2},
		{Kind: FaultBadVersion},
	}
	for _, f := range bad {
		if err := f.Validate(); err == nil {
			t.Errorf("%+v: no error", f)
		}
	}
	if got := (Fault{Kind: FaultKill, Count: 2}).String(); got != "kill on 2 random replicas" {
		t.Errorf("String() = %q", got)
	}
	if got := (Fault{Kind: FaultErrors, Replica: "replica-1", ErrorRate: 0.3}).String(); got != "errors 30% on replica-1" {
		t.Errorf("String() = %q", got)
	}
}

func TestFaultTargetsPercentRoundsUp(t *testing.T) {
	for _, c := range []struct {
		f    Fault
		live int
		want int
	}{
		{Fault{Kind: FaultKill, Count: 2}, 8, 2},
		{Fault{Kind: FaultKill, Replica: "p"}, 8, 1},
		{Fault{Kind: FaultKill, Percent: 50}, 8, 4},
		{Fault{Kind: FaultKill, Percent: 50}, 3, 2},
		{Fault{Kind: FaultKill, Percent: 10}, 3, 1},
		{Fault{Kind: FaultKill, Percent: 100}, 5, 5},
		{Fault{Kind: FaultKill, Percent: 60}, 2, 1}, // rounds up to 2, but never all below 100%
		{Fault{Kind: FaultKill, Percent: 99}, 4, 3},
		{Fault{Kind: FaultKill, Percent: 25}, 4, 1},
	} {
		if got, err := c.f.Targets(c.live); err != nil || got != c.want {
			t.Errorf("%v.Targets(%d) = %d, %v; want %d", c.f, c.live, got, err, c.want)
		}
	}
	for _, c := range []struct {
		f    Fault
		live int
	}{
		{Fault{Kind: FaultKill, Percent: 25}, 1}, // at least one, never all: impossible
		{Fault{Kind: FaultKill, Percent: 25}, 0},
		{Fault{Kind: FaultHang, Count: 3}, 2},
		{Fault{Kind: FaultLatency, Count: 1}, 0},
	} {
		if got, err := c.f.Targets(c.live); err == nil {
			t.Errorf("%v.Targets(%d) = %d, want an error", c.f, c.live, got)
		}
	}
	if err := (Fault{Kind: FaultKill, Percent: 150}).Validate(); err == nil {
		t.Error("150% validated")
	}
	if s := (Fault{Kind: FaultKill, Percent: 50, Force: true}).String(); s != "force kill on 50% of the replicas" {
		t.Errorf("String = %q", s)
	}
}
