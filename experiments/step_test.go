package experiments

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

func TestParseStep(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		spec string
		want Step
	}{
		{"10s:scale=5", Step{At: 10 * time.Second, Action: "scale", Replicas: 5}},
		{"0s:scale=0", Step{Action: "scale"}},
		{"20s:upgrade=v2", Step{At: 20 * time.Second, Action: "upgrade", Version: "v2"}},
		{"1m30s:rollback", Step{At: 90 * time.Second, Action: "rollback"}},
		{"40s:kill=1", Step{At: 40 * time.Second, Action: "kill", Fault: cluster.Fault{Kind: cluster.FaultKill, Count: 1}}},
		{"40s:kill=replica-2", Step{At: 40 * time.Second, Action: "kill", Fault: cluster.Fault{Kind: cluster.FaultKill, Replica: "replica-2"}}},
		{"5s:hang=2", Step{At: 5 * time.Second, Action: "hang", Fault: cluster.Fault{Kind: cluster.FaultHang, Count: 2}}},
		{"5s:latency=200ms", Step{At: 5 * time.Second, Action: "latency",
			Fault: cluster.Fault{Kind: cluster.FaultLatency, Count: 1, Latency: cluster.LatencyRange{Min: 200 * ms, Max: 200 * ms}}}},
		{"5s:latency=replica-1:5ms..50ms", Step{At: 5 * time.Second, Action: "latency",
			Fault: cluster.Fault{Kind: cluster.FaultLatency, Replica: "replica-1", Latency: cluster.LatencyRange{Min: 5 * ms, Max: 50 * ms}}}},
		{"5s:errors=2:30%", Step{At: 5 * time.Second, Action: "errors", Fault: cluster.Fault{Kind: cluster.FaultErrors, Count: 2, ErrorRate: 0.3}}},
		{"5s:errors=0.5", Step{At: 5 * time.Second, Action: "errors", Fault: cluster.Fault{Kind: cluster.FaultErrors, Count: 1, ErrorRate: 0.5}}},
		{"40s:kill=25%", Step{At: 40 * time.Second, Action: "kill", Fault: cluster.Fault{Kind: cluster.FaultKill, Percent: 25}}},
		{"40s:kill=2:force", Step{At: 40 * time.Second, Action: "kill", Fault: cluster.Fault{Kind: cluster.FaultKill, Count: 2, Force: true}}},
		{"40s:kill=demo-7d9f-x2:force", Step{At: 40 * time.Second, Action: "kill", Fault: cluster.Fault{Kind: cluster.FaultKill, Replica: "demo-7d9f-x2", Force: true}}},
		{"20s:upgrade=registry.local/target:v2", Step{At: 20 * time.Second, Action: "upgrade", Version: "registry.local/target:v2"}},
		{"30s:restart", Step{At: 30 * time.Second, Action: "restart"}},
		{"31s:pause", Step{At: 31 * time.Second, Action: "pause"}},
		{"32s:resume", Step{At: 32 * time.Second, Action: "resume"}},
		{"10s:canary=v2", Step{At: 10 * time.Second, Action: "canary", Version: "v2", Replicas: 1}},
		{"10s:canary=v2:25%", Step{At: 10 * time.Second, Action: "canary", Version: "v2", Percent: 25}},
		{"10s:canary=v2:2", Step{At: 10 * time.Second, Action: "canary", Version: "v2", Replicas: 2}},
		{"40s:promote", Step{At: 40 * time.Second, Action: "promote"}},
		{"25s:bad-version=v3", Step{At: 25 * time.Second, Action: "bad-version", Fault: cluster.Fault{Kind: cluster.FaultBadVersion, Version: "v3"}}},
	} {
		got, err := ParseStep(tc.spec)
		tc.want.Spec = tc.spec
		if err != nil || got != tc.want {
			t.Errorf("ParseStep(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
}

func TestParseStepErrorsAreOneClearLine(t *testing.T) {
	for spec, want := range map[string]string{
		"scale=5":                  "want AT:ACTION",
		"soon:scale=5":             `"soon" is not a time`,
		"-5s:scale=5":              `is not a time`,
		"10s:scale":                "scale needs an argument: scale=N",
		"10s:scale=five":           `"five" is not a replica count`,
		"10s:scale=-1":             "is not a replica count",
		"10s:upgrade=":             "upgrade needs an argument",
		"10s:rollback=v1":          "rollback takes no argument",
		"10s:kill=0":               "0 replicas: want at least 1",
		"10s:kill":                 "kill needs an argument",
		"10s:latency=fast":         `latency "fast": want a duration`,
		"10s:latency=1:-5s":        "must not be negative",
		"10s:errors=150%":          `rate "150%"`,
		"10s:explode=1":            `unknown action "explode"`,
		"10s:bad-version=":         "bad-version needs an argument",
		"10s:restart=now":          "restart takes no argument",
		"10s:pause=1":              "pause takes no argument",
		"10s:canary":               "canary needs an argument: canary=VERSION[:SHARE]",
		"10s:canary=v2:0%":         "is not a share of the replicas",
		"10s:canary=v2:100%":       "is not a share of the replicas",
		"10s:canary=v2:0":          "is neither a share (25%) nor a replica count",
		"10s:canary=v2:x":          "is neither a share",
		"10s:canary=:1":            "empty",
		"10s:promote=v2":           "promote takes no argument",
		"10s:kill=150%":            "is not a share of the replicas",
		"10s:kill=0%":              "is not a share of the replicas",
		"10s:kill=:force":          "is neither a replica count nor a replica name",
		"10s:upgrade=v\x01":        "want one printable word",
		"10s:bad-version=v\x1b[2J": "want one printable word",
	} {
		_, err := ParseStep(spec)
		if err == nil {
			t.Errorf("ParseStep(%q): no error", spec)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, want) || strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "step "+strconv.Quote(spec)) {
			t.Errorf("ParseStep(%q) error %q: want one line naming the step and containing %q", spec, msg, want)
		}
	}
}

func TestParseStepsSortsAndReportsEveryError(t *testing.T) {
	steps, err := ParseSteps([]string{"30s:rollback", "10s:scale=5", "10s:kill=1", "20s:upgrade=v2"})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range steps {
		order = append(order, s.Spec)
	}
	if got := strings.Join(order, " "); got != "10s:scale=5 10s:kill=1 20s:upgrade=v2 30s:rollback" {
		t.Fatalf("order %s", got)
	}
	_, err = ParseSteps([]string{"x", "10s:scale=5", "y"})
	if err == nil || !strings.Contains(err.Error(), `"x"`) || !strings.Contains(err.Error(), `"y"`) {
		t.Fatalf("want both bad steps named, got %v", err)
	}
}

// TestSupportedNamesTheStepTheClusterLacks checks that restart, pause,
// resume and canary are refused before the run on a cluster without them
// and accepted on one that has them.
func TestSupportedNamesTheStepTheClusterLacks(t *testing.T) {
	steps, err := ParseSteps([]string{"1s:scale=2", "2s:pause", "3s:resume"})
	if err != nil {
		t.Fatal(err)
	}
	err = Supported(steps, plainCluster{})
	if err == nil || !strings.Contains(err.Error(), `step "2s:pause": pause is not available on this cluster`) {
		t.Fatalf("Supported on a plain cluster = %v", err)
	}
	if err := Supported(steps, pausable{}); err != nil {
		t.Fatalf("Supported on a pausable cluster = %v", err)
	}
	canary, err := ParseSteps([]string{"1s:canary=v2", "2s:promote"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Supported(canary, plainCluster{}); err == nil || !strings.Contains(err.Error(), `step "1s:canary=v2": canary is not available on this cluster`) {
		t.Fatalf("a canary on a plain cluster = %v", err)
	}
	if err := Supported(canary, newFleet(t)); err != nil {
		t.Fatalf("a canary on the fleet = %v", err)
	}
	if err := Supported(steps[:1], plainCluster{}); err != nil {
		t.Fatalf("scale alone: %v", err)
	}
	faults, err := ParseSteps([]string{"1s:kill=1", "2s:hang=1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Supported(faults, plainCluster{}); err != nil {
		t.Fatalf("faults on a cluster without limits: %v", err)
	}
	err = Supported(faults, pausable{})
	if err == nil || !strings.Contains(err.Error(), `step "2s:hang=1": hang is not available on this cluster`) {
		t.Fatalf("hang on a cluster that only kills: %v", err)
	}
}

// plainCluster is a cluster.Cluster without the optional interfaces; only
// its type matters to Supported.
type plainCluster struct{ cluster.Cluster }

// pausable adds RolloutPauser.
type pausable struct{ plainCluster }

func (pausable) PauseRollout(context.Context) error  { return nil }
func (pausable) ResumeRollout(context.Context) error { return nil }

// FaultKinds limits pausable to kills, as a Kubernetes Deployment.
func (pausable) FaultKinds() []cluster.FaultKind { return []cluster.FaultKind{cluster.FaultKill} }

func TestParseHeal(t *testing.T) {
	for spec, want := range map[string]cluster.Fault{
		"5s:heal":           {Kind: cluster.FaultHeal},
		"5s:heal=replica-2": {Kind: cluster.FaultHeal, Replica: "replica-2"},
	} {
		got, err := ParseStep(spec)
		if err != nil || got.Action != "heal" || got.Fault != want {
			t.Errorf("ParseStep(%q) = %+v, %v; want a heal of %+v", spec, got, err, want)
		}
	}
	for _, spec := range []string{"5s:heal=", "5s:heal=a b", "5s:heal=x:y"} {
		if _, err := ParseStep(spec); err == nil || !strings.Contains(err.Error(), "heal=NAME") {
			t.Errorf("ParseStep(%q): %v, want an error showing heal=NAME", spec, err)
		}
	}
	steps, err := ParseSteps([]string{"5s:heal"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Supported(steps, pausable{}); err == nil || !strings.Contains(err.Error(), "heal is not available") {
		t.Errorf("heal on a cluster that only kills: %v", err)
	}
}

// TestCanaryReplicas checks a canary step's replicas of a fleet's: a
// share rounded up, at least 1; a count as given.
func TestCanaryReplicas(t *testing.T) {
	for _, c := range []struct {
		spec    string
		desired int
		want    int
	}{
		{"1s:canary=v2", 4, 1}, {"1s:canary=v2:25%", 4, 1}, {"1s:canary=v2:25%", 5, 2}, {"1s:canary=v2:10%", 3, 1},
		{"1s:canary=v2:50%", 10, 5}, {"1s:canary=v2:30%", 10, 3}, {"1s:canary=v2:1%", 200, 2}, {"1s:canary=v2:3", 10, 3},
	} {
		s, err := ParseStep(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.CanaryReplicas(c.desired); got != c.want {
			t.Errorf("%s of %d replicas: %d, want %d", c.spec, c.desired, got, c.want)
		}
	}
}
