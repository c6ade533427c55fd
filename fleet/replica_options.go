package fleet

import (
	"errors"
	"fmt"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// DefaultDrain is how long a stopping replica keeps serving after it
// failed its readiness check.
const DefaultDrain = 2 * time.Second

// MaxReplicaDelay bounds a replica's startup delay, CPU work per request
// and drain: a bound its stop and its callers can wait for.
const MaxReplicaDelay = time.Hour

// replicaConfig holds a Replica's settings; ReplicaOptions fill it.
type replicaConfig struct {
	name         string
	version      string
	latency      cluster.LatencyRange
	errorRate    float64
	startupDelay time.Duration
	cpuWork      time.Duration
	drain        time.Duration
	noDrain      bool
	process      bool // the process's own metrics on /metrics
}

func defaultReplicaConfig() replicaConfig {
	return replicaConfig{name: "replica", version: "v1", drain: DefaultDrain}
}

// ReplicaOption configures a Replica.
type ReplicaOption func(*replicaConfig)

// ProcessMetrics adds the process's standard metrics (CPU seconds,
// resident memory, file descriptors: process_cpu_seconds_total...) to
// /metrics: for a replica that is a process of its own (`scalelab
// target`), never for the fleet's in-process replicas, whose process is
// the generator's.
func ProcessMetrics() ReplicaOption { return func(c *replicaConfig) { c.process = true } }

// Name sets the replica's name, answered by GET / (default "replica").
func Name(n string) ReplicaOption { return func(c *replicaConfig) { c.name = n } }

// Version sets the version answered by GET / (default "v1").
func Version(v string) ReplicaOption { return func(c *replicaConfig) { c.version = v } }

// Latency sets the time each answer takes, fixed or drawn from a range.
func Latency(l cluster.LatencyRange) ReplicaOption {
	return func(c *replicaConfig) { c.latency = l }
}

// ErrorRate sets the share (0..1) of requests answered with a 500.
func ErrorRate(r float64) ReplicaOption { return func(c *replicaConfig) { c.errorRate = r } }

// StartupDelay sets the time from start until the replica is ready.
func StartupDelay(d time.Duration) ReplicaOption {
	return func(c *replicaConfig) { c.startupDelay = d }
}

// CPUWork sets the CPU time each request burns.
func CPUWork(d time.Duration) ReplicaOption { return func(c *replicaConfig) { c.cpuWork = d } }

// Drain sets the drain period: how long a stopping replica keeps serving
// after it failed readiness, before it closes its connections politely.
func Drain(d time.Duration) ReplicaOption { return func(c *replicaConfig) { c.drain = d } }

// NoDrain makes Stop close every connection at once, like a process that
// exits on SIGTERM without draining. It exists for demonstrations and
// tests: it loses the requests in flight.
func NoDrain() ReplicaOption { return func(c *replicaConfig) { c.noDrain = true } }

// validate returns every problem with the configuration at once.
func (c *replicaConfig) validate() error {
	var errs []error
	if err := cluster.CheckReplicaName(c.name); err != nil {
		errs = append(errs, err)
	}
	if err := cluster.CheckVersion(c.version); err != nil {
		errs = append(errs, err)
	}
	if err := c.latency.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.errorRate < 0 || c.errorRate > 1 || c.errorRate != c.errorRate {
		errs = append(errs, fmt.Errorf("error rate %g: want 0..1", c.errorRate))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"startup delay", c.startupDelay}, {"cpu work", c.cpuWork}, {"drain", c.drain}} {
		if d.v < 0 || d.v > MaxReplicaDelay {
			errs = append(errs, fmt.Errorf("%s %s: want 0..%s", d.name, d.v, MaxReplicaDelay))
		}
	}
	return errors.Join(errs...)
}
