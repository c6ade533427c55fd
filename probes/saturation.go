package probes

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Saturation is the judgement on a sample: Saturated when the generator,
// not the target, set the pace (the run is generator-bound), with one
// short line per reason, each with its figure.
type Saturation struct {
	Saturated bool     `json:"saturated"`
	Reasons   []string `json:"reasons"`
	// Findings are the reasons as data, in the same order: what each
	// judged and its figure, for a caller that adds seconds up.
	Findings []Finding `json:"-"`
}

// Finding is one reason: Kind names what was judged (KindCPU,
// KindThrottled, KindRunDelay, KindLate, KindDropped), Figure its reading
// (cores, a share, ms per second, sends).
type Finding struct {
	Kind   string  `json:"kind"`
	Figure float64 `json:"figure"`
}

// The kinds of findings.
const (
	KindCPU       = "cpu"
	KindThrottled = "throttled"
	KindRunDelay  = "run delay"
	KindLate      = "sends late"
	KindDropped   = "sends dropped"
)

// add records a reason and its finding.
func (j *Saturation) add(kind string, figure float64, reason string) {
	j.Reasons = append(j.Reasons, reason)
	j.Findings = append(j.Findings, Finding{Kind: kind, Figure: figure})
}

// Sends is what the engine reports of its schedule over the same interval
// as the sample: sends more than 1 ms behind schedule, and sends due but
// never made.
type Sends struct {
	Late, Dropped uint64
}

// Thresholds are the limits past which the generator is saturated. A zero
// field takes its default (DefaultThresholds).
type Thresholds struct {
	// CPU is the share of the cores the process may use (ProcessCPU.Limit)
	// at or above which it is CPU-bound.
	CPU float64
	// Throttled is the share of the cgroup's periods throttled at or
	// above which it is.
	Throttled float64
	// RunDelay is the time the process's threads wait for a CPU per
	// second at or above which it is.
	RunDelay time.Duration
	// Late and Dropped are the sends in the interval at or above which it
	// is.
	Late, Dropped uint64
}

// DefaultThresholds are 90% of the cores, 10% of periods throttled, 50 ms
// of run delay per second, and any send late or dropped.
func DefaultThresholds() Thresholds {
	return Thresholds{CPU: 0.9, Throttled: 0.1, RunDelay: 50 * time.Millisecond, Late: 1, Dropped: 1}
}

// withDefaults fills t's zero fields from DefaultThresholds.
func (t Thresholds) withDefaults() Thresholds {
	d := DefaultThresholds()
	if t.CPU <= 0 {
		t.CPU = d.CPU
	}
	if t.Throttled <= 0 {
		t.Throttled = d.Throttled
	}
	if t.RunDelay <= 0 {
		t.RunDelay = d.RunDelay
	}
	if t.Late == 0 {
		t.Late = d.Late
	}
	if t.Dropped == 0 {
		t.Dropped = d.Dropped
	}
	return t
}

// Judge says whether the generator was saturated over the sample's
// interval, judging its CPU against its cores or quota, the cgroup's
// throttling, its threads' run delay, and the engine's late and dropped
// sends. Figures that were not available are not judged.
func Judge(s GeneratorSample, sends Sends, t Thresholds) Saturation {
	t = t.withDefaults()
	j := Saturation{Reasons: []string{}}
	if c := s.CPU; c.Available && c.Limit > 0 && c.Cores >= t.CPU*c.Limit {
		unit := "cores"
		if c.Limit == 1 {
			unit = "core"
		}
		if s.Cgroup.Quota > 0 && c.Limit == s.Cgroup.Quota {
			unit += " (quota)"
		}
		j.add(KindCPU, c.Cores, fmt.Sprintf("cpu %.2f of %s %s", c.Cores, trim(c.Limit), unit))
	}
	if c := s.Cgroup; c.Available && c.Periods > 0 && c.ThrottledShare >= t.Throttled {
		j.add(KindThrottled, c.ThrottledShare, fmt.Sprintf("throttled %.0f%% of periods", 100*c.ThrottledShare))
	}
	if r := s.RunQueue; r.Available && r.DelayPerSecond >= float64(t.RunDelay)/float64(time.Millisecond) {
		j.add(KindRunDelay, r.DelayPerSecond, fmt.Sprintf("run delay %.0f ms/s", r.DelayPerSecond))
	}
	if sends.Late >= t.Late {
		j.add(KindLate, float64(sends.Late), thousands(sends.Late)+" sends late")
	}
	if sends.Dropped >= t.Dropped {
		j.add(KindDropped, float64(sends.Dropped), thousands(sends.Dropped)+" sends dropped")
	}
	j.Saturated = len(j.Reasons) > 0
	return j
}

// trim writes a core count with at most two decimals and none needless:
// 2, 0.5, 1.25.
func trim(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return strings.TrimSuffix(s, ".")
}

// thousands writes n with commas between groups of three digits: 1,200.
func thousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
