package cluster

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// FaultKind says what a fault does.
type FaultKind string

// The fault kinds.
const (
	// FaultKill kills replicas abruptly: connections reset, no drain.
	FaultKill FaultKind = "kill"
	// FaultHang makes replicas accept connections and never answer.
	FaultHang FaultKind = "hang"
	// FaultLatency adds latency to every answer.
	FaultLatency FaultKind = "latency"
	// FaultErrors makes a share of answers 500s.
	FaultErrors FaultKind = "errors"
	// FaultBadVersion rolls out a version whose replicas fail or slow down.
	FaultBadVersion FaultKind = "bad-version"
	// FaultHeal clears the hang, latency and errors faults of the named
	// replica, or of every replica when Replica is empty, so an operator
	// can end a fault and watch the recovery. (A bad version is a rollout:
	// a rollback ends it.)
	FaultHeal FaultKind = "heal"
)

// FaultKinds lists the fault kinds.
func FaultKinds() []FaultKind {
	return []FaultKind{FaultKill, FaultHang, FaultLatency, FaultErrors, FaultBadVersion, FaultHeal}
}

// Fault is a fault to inject.
type Fault struct {
	// Kind says what the fault does.
	Kind FaultKind `json:"kind"`
	// Replica names the target replica; when empty, Count replicas chosen
	// at random are targeted. Bad versions target no replica.
	Replica string `json:"replica,omitempty"`
	Count   int    `json:"count,omitempty"`
	// Percent, when above 0, targets that share (0..100] of the live
	// replicas instead of Count (rounded up, at least 1).
	Percent float64 `json:"percent,omitempty"`
	// Force makes a kill immediate: on Kubernetes, a pod deletion with
	// grace period 0 (the local fleet's kill is always abrupt).
	Force bool `json:"force,omitempty"`
	// Latency is the latency a FaultLatency adds (zero removes it).
	Latency LatencyRange `json:"latency,omitzero"`
	// ErrorRate is the share (0..1) of 500s a FaultErrors sets.
	ErrorRate float64 `json:"error_rate,omitempty"`
	// Version is the bad version a FaultBadVersion rolls out.
	Version string `json:"version,omitempty"`
}

// Validate returns what is wrong with f, or nil.
func (f Fault) Validate() error {
	switch f.Kind {
	case FaultKill, FaultHang, FaultLatency, FaultErrors:
	case FaultBadVersion:
		if err := CheckVersion(f.Version); err != nil {
			return fmt.Errorf("bad-version: %w", err)
		}
		return nil
	case FaultHeal:
		return nil
	default:
		return fmt.Errorf("fault %q: unknown kind (want kill, hang, latency, errors, bad-version or heal)", string(f.Kind))
	}
	if f.Percent < 0 || f.Percent > 100 {
		return fmt.Errorf("%s: %g%% of the replicas: want 0..100", f.Kind, f.Percent)
	}
	if f.Replica == "" && f.Count < 1 && f.Percent == 0 {
		return fmt.Errorf("%s: target %d replicas: want at least 1, or a replica name", f.Kind, f.Count)
	}
	if f.Kind == FaultErrors && (f.ErrorRate < 0 || f.ErrorRate > 1) {
		return fmt.Errorf("errors: rate %g: want 0..1", f.ErrorRate)
	}
	if f.Kind == FaultLatency {
		return f.Latency.Validate()
	}
	return nil
}

// Target describes the replicas f targets ("replica-2", "1 random replica").
func (f Fault) Target() string {
	switch {
	case f.Kind == FaultBadVersion:
		return "version " + f.Version
	case f.Kind == FaultHeal && f.Replica == "":
		return "every replica"
	case f.Replica != "":
		return f.Replica
	case f.Percent > 0:
		return strconv.FormatFloat(f.Percent, 'g', 4, 64) + "% of the replicas"
	case f.Count == 1:
		return "1 random replica"
	default:
		return fmt.Sprintf("%d random replicas", f.Count)
	}
}

// Effect describes what f does to a replica, for state and events
// ("hang", "latency 5ms..50ms", "errors 30%").
func (f Fault) Effect() string {
	switch f.Kind {
	case FaultLatency:
		return "latency " + f.Latency.String()
	case FaultErrors:
		return "errors " + strconv.FormatFloat(f.ErrorRate*100, 'g', 4, 64) + "%"
	default:
		return string(f.Kind)
	}
}

// String describes the fault in one line ("kill 1 random replica").
func (f Fault) String() string {
	if f.Force {
		return "force " + f.Effect() + " on " + f.Target()
	}
	return f.Effect() + " on " + f.Target()
}

// Targets returns how many of live replicas f targets: 1 for a named
// replica, Count, or Percent of live rounded up, at least 1 and, below
// 100%, never all of them. It fails when live cannot satisfy f (more
// replicas asked than live, none live, or a share below 100% of a single
// replica), so that a fault that would do nothing or more than asked is
// refused rather than reported done.
func (f Fault) Targets(live int) (int, error) {
	switch {
	case f.Replica != "":
		return 1, nil
	case live < 1:
		return 0, fmt.Errorf("%s: no live replica", f.Target())
	case f.Percent >= 100:
		return live, nil
	case f.Percent > 0:
		if live == 1 {
			return 0, fmt.Errorf("%s: 1 live replica, and a share below 100%% never takes all of them (ask 100%% or 1)", f.Target())
		}
		n := max(1, int(math.Ceil(f.Percent*float64(live)/100-1e-9)))
		return min(n, live-1), nil
	case f.Count > live:
		return 0, fmt.Errorf("%s: %d asked, %d live", f.Target(), f.Count, live)
	default:
		return f.Count, nil
	}
}

// LatencyRange is a latency: fixed when Min equals Max, else drawn
// uniformly from Min..Max for each request.
type LatencyRange struct {
	Min time.Duration `json:"min"`
	Max time.Duration `json:"max"`
}

// ParseLatency parses "20ms" (fixed) or "5ms..50ms" (uniform).
func ParseLatency(s string) (LatencyRange, error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), "..")
	min, err := time.ParseDuration(strings.TrimSpace(lo))
	if err != nil {
		return LatencyRange{}, fmt.Errorf("latency %q: want a duration such as 20ms or a range such as 5ms..50ms", s)
	}
	max := min
	if isRange {
		if max, err = time.ParseDuration(strings.TrimSpace(hi)); err != nil {
			return LatencyRange{}, fmt.Errorf("latency %q: want a duration such as 20ms or a range such as 5ms..50ms", s)
		}
	}
	l := LatencyRange{Min: min, Max: max}
	return l, l.Validate()
}

// Validate returns what is wrong with l, or nil.
func (l LatencyRange) Validate() error {
	switch {
	case l.Min < 0 || l.Max < 0:
		return fmt.Errorf("latency %s: must not be negative", l)
	case l.Max < l.Min:
		return fmt.Errorf("latency %s: the range's end is below its start", l)
	case l.Max > time.Hour:
		return fmt.Errorf("latency %s: at most 1h", l)
	}
	return nil
}

// IsZero reports no latency.
func (l LatencyRange) IsZero() bool { return l.Min == 0 && l.Max == 0 }

// Draw returns one latency from the range.
func (l LatencyRange) Draw() time.Duration {
	if l.Max <= l.Min {
		return l.Min
	}
	return l.Min + rand.N(l.Max-l.Min+1)
}

// String formats l as ParseLatency reads it.
func (l LatencyRange) String() string {
	if l.Min == l.Max {
		return l.Min.String()
	}
	return l.Min.String() + ".." + l.Max.String()
}

// ParseRate parses a share as a fraction (0.3) or a percentage (30%).
func ParseRate(s string) (float64, error) {
	t := strings.TrimSpace(s)
	scale := 1.0
	if p, ok := strings.CutSuffix(t, "%"); ok {
		t, scale = p, 100
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || v/scale < 0 || v/scale > 1 {
		return 0, fmt.Errorf("rate %q: want a fraction 0..1 such as 0.3 or a percentage such as 30%%", s)
	}
	return v / scale, nil
}
