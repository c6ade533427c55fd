package fleet

import (
	"errors"
	"fmt"
	"github.com/scalelab/scalelab/internal/loopback"
	"net"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// Defaults for a Fleet's options.
const (
	DefaultReplicas         = 3
	DefaultVersion          = "v1"
	DefaultMaxSurge         = 1
	DefaultMaxUnavailable   = 0
	DefaultMaxReplicas      = 32
	DefaultReplaceDelay     = time.Second
	DefaultLivenessInterval = time.Second
	DefaultLivenessFailures = 3
	DefaultRetainStopped    = 10 * time.Second
)

// A process replica's CPU quota (ReplicaCPU), in cores: 0 (none) or
// MinReplicaCPU..MaxReplicaCPU.
const (
	MinReplicaCPU = 0.01
	MaxReplicaCPU = 1024
)

// config holds a Fleet's settings; Options fill it.
type config struct {
	replicas         int
	version          string
	maxSurge         int
	maxUnavailable   int
	maxReplicas      int
	listen           string
	replicaOpts      []ReplicaOption
	balancerOpts     []BalancerOption
	replaceDelay     time.Duration
	livenessInterval time.Duration
	livenessFailures int
	retainStopped    time.Duration
	badErrorRate     float64
	badLatency       cluster.LatencyRange
	badVersions      []string
	process          []string // the command of process replicas, nil for in-process ones
	replicaCPU       float64  // each process replica's CPU quota in cores, 0 for none
}

func defaultConfig() config {
	return config{
		replicas:         DefaultReplicas,
		version:          DefaultVersion,
		maxSurge:         DefaultMaxSurge,
		maxUnavailable:   DefaultMaxUnavailable,
		maxReplicas:      DefaultMaxReplicas,
		listen:           "127.0.0.1:0",
		replaceDelay:     DefaultReplaceDelay,
		livenessInterval: DefaultLivenessInterval,
		livenessFailures: DefaultLivenessFailures,
		retainStopped:    DefaultRetainStopped,
		badErrorRate:     0.3,
		badLatency:       cluster.LatencyRange{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond},
	}
}

// Option configures a Fleet.
type Option func(*config)

// ProcessReplicas runs each replica as a process of its own, so it has
// its own CPU, memory and (with ReplicaCPU) CPU quota: command is the
// executable and arguments of a program that calls RunChild (`scalelab
// target --fleet-child`: os.Executable() and those two arguments).
func ProcessReplicas(command ...string) Option {
	return func(c *config) { c.process = append([]string{}, command...) }
}

// ReplicaCPU gives each process replica a CPU quota of cores, through a
// CPU cgroup of its own the fleet creates (cgroup v1 or v2) and removes
// at Stop. Where the machine does not allow it the replicas run without a
// quota, and the state's UsageNotes say why.
func ReplicaCPU(cores float64) Option { return func(c *config) { c.replicaCPU = cores } }

// Replicas sets the number of replicas the fleet starts with (default 3).
func Replicas(n int) Option { return func(c *config) { c.replicas = n } }

// InitialVersion sets the version the fleet starts with (default "v1").
func InitialVersion(v string) Option { return func(c *config) { c.version = v } }

// MaxSurge sets how many replicas a rolling upgrade may run above the
// desired number (default 1), as in a Kubernetes Deployment.
func MaxSurge(n int) Option { return func(c *config) { c.maxSurge = n } }

// MaxUnavailable sets how many replicas below the desired number may be
// unavailable during a rolling upgrade (default 0).
func MaxUnavailable(n int) Option { return func(c *config) { c.maxUnavailable = n } }

// MaxReplicas bounds Scale (default 32: every replica shares this machine).
func MaxReplicas(n int) Option { return func(c *config) { c.maxReplicas = n } }

// Listen sets the balancer's address (default 127.0.0.1:0, a free port):
// a loopback address, IPv4 or IPv6 ([::1]:0); the replicas listen on the
// same loopback host.
func Listen(addr string) Option { return func(c *config) { c.listen = addr } }

// ReplicaDefaults sets options applied to every replica the fleet starts
// (latency, drain, startup delay, ...); the fleet sets name and version.
func ReplicaDefaults(opts ...ReplicaOption) Option {
	return func(c *config) { c.replicaOpts = append(c.replicaOpts, opts...) }
}

// BalancerOptions sets options of the fleet's balancer (check interval and
// timeout, upstream timeout).
func BalancerOptions(opts ...BalancerOption) Option {
	return func(c *config) { c.balancerOpts = append(c.balancerOpts, opts...) }
}

// ReplaceDelay sets how long the fleet waits before replacing a replica
// that died (default 1s).
func ReplaceDelay(d time.Duration) Option { return func(c *config) { c.replaceDelay = d } }

// Liveness sets how often each replica's /healthz is checked (the check
// waits as long, and at least 1s) and after how many failures in a row the
// replica is killed and replaced (default every 1s, 3 failures).
func Liveness(interval time.Duration, failures int) Option {
	return func(c *config) { c.livenessInterval, c.livenessFailures = interval, failures }
}

// RetainStopped sets how long replicas that left stay listed in State
// (default 10s).
func RetainStopped(d time.Duration) Option { return func(c *config) { c.retainStopped = d } }

// BadVersion sets what replicas of a bad version (the bad-version fault) do
// wrong: their error rate and the latency they add (default 30% and
// 50ms..200ms).
func BadVersion(errorRate float64, latency cluster.LatencyRange) Option {
	return func(c *config) { c.badErrorRate, c.badLatency = errorRate, latency }
}

// BadVersions declares versions bad builds: every replica of each, however
// it comes to run (the initial version, an upgrade, a canary, a scale),
// misbehaves as a bad-version fault's replicas do (BadVersion's error rate
// and latency). Repeatable.
func BadVersions(versions ...string) Option {
	return func(c *config) { c.badVersions = append(c.badVersions, versions...) }
}

// validate returns every problem with the configuration at once.
func (c *config) validate() error {
	var errs []error
	if c.maxReplicas < 1 {
		errs = append(errs, fmt.Errorf("max replicas %d: at least 1", c.maxReplicas))
	}
	if c.replicas < 0 || c.replicas > c.maxReplicas {
		errs = append(errs, fmt.Errorf("replicas %d: want 0..%d", c.replicas, c.maxReplicas))
	}
	if c.version == "" {
		errs = append(errs, errors.New("version: must not be empty"))
	}
	if _, err := loopbackHost(c.listen); err != nil {
		errs = append(errs, err)
	}
	if c.maxSurge < 0 || c.maxUnavailable < 0 {
		errs = append(errs, fmt.Errorf("max surge %d, max unavailable %d: must not be negative", c.maxSurge, c.maxUnavailable))
	} else if c.maxSurge == 0 && c.maxUnavailable == 0 {
		errs = append(errs, errors.New("max surge and max unavailable are both 0: a rollout could never progress"))
	}
	if c.replaceDelay < 0 {
		errs = append(errs, fmt.Errorf("replace delay %s: must not be negative", c.replaceDelay))
	}
	if c.livenessInterval < 10*time.Millisecond || c.livenessFailures < 1 {
		errs = append(errs, fmt.Errorf("liveness every %s, %d failures: want at least 10ms and 1", c.livenessInterval, c.livenessFailures))
	}
	if c.badErrorRate < 0 || c.badErrorRate > 1 {
		errs = append(errs, fmt.Errorf("bad version error rate %g: want 0..1", c.badErrorRate))
	}
	if err := c.badLatency.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("bad version: %w", err))
	}
	for _, v := range c.badVersions {
		if err := cluster.CheckVersion(v); err != nil {
			errs = append(errs, fmt.Errorf("bad version: %w", err))
		}
	}
	if c.replicaCPU < 0 || c.replicaCPU > MaxReplicaCPU || (c.replicaCPU > 0 && c.replicaCPU < MinReplicaCPU) {
		errs = append(errs, fmt.Errorf("replica cpu %g: want %g..%g cores", c.replicaCPU, MinReplicaCPU, float64(MaxReplicaCPU)))
	} else if c.replicaCPU > 0 && len(c.process) == 0 {
		errs = append(errs, fmt.Errorf("replica cpu %g: a CPU quota needs process replicas", c.replicaCPU))
	}
	if c.process != nil && (len(c.process) == 0 || c.process[0] == "") {
		errs = append(errs, errors.New("process replicas: no command"))
	}
	rc := defaultReplicaConfig()
	for _, o := range c.replicaOpts {
		o(&rc)
	}
	if err := rc.validate(); err != nil {
		errs = append(errs, fmt.Errorf("replicas: %w", err))
	}
	bc := defaultBalancerConfig()
	for _, o := range c.balancerOpts {
		o(&bc)
	}
	if err := bc.validate(); err != nil {
		errs = append(errs, fmt.Errorf("balancer: %w", err))
	}
	return errors.Join(errs...)
}

// loopbackHost returns the host of addr, a loopback host:port the fleet
// may listen on (localhost stands for 127.0.0.1), or an error saying why
// not: the fleet's replicas and balancer serve only this machine.
func loopbackHost(addr string) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("listen %q: want a loopback HOST:PORT such as 127.0.0.1:0 or [::1]:0", addr)
	}
	if err := CheckAddr(addr); err != nil {
		return "", err
	}
	if host == "localhost" {
		return "127.0.0.1", nil
	}
	if !loopback.Host(host) {
		return "", fmt.Errorf("listen %q: not a loopback address; the fleet serves only this machine (127.0.0.1:0 or [::1]:0)", addr)
	}
	return host, nil
}
