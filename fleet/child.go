package fleet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// A process replica (ProcessReplicas) is the demo service in a process of
// its own, `scalelab target --fleet-child`, talking with the fleet over
// its standard streams, one JSON object a line: the fleet writes the
// replica's configuration first, then commands (faults, stop); the child
// writes its status every childStatusEvery. Its listener is the fleet's,
// passed as file descriptor 3, so its address is known before it starts
// and nothing races for the port. The end of its standard input (the
// fleet gone, whatever the way) ends it.

// childStatusEvery is how often a process replica reports its status.
const childStatusEvery = 100 * time.Millisecond

// childConfig is a replica's configuration as the fleet sends it.
type childConfig struct {
	Name         string               `json:"name"`
	Version      string               `json:"version"`
	Latency      cluster.LatencyRange `json:"latency"`
	ErrorRate    float64              `json:"error_rate"`
	StartupDelay time.Duration        `json:"startup_delay"`
	CPUWork      time.Duration        `json:"cpu_work"`
	Drain        time.Duration        `json:"drain"`
	NoDrain      bool                 `json:"no_drain"`
}

func (c replicaConfig) child() childConfig {
	return childConfig{Name: c.name, Version: c.version, Latency: c.latency, ErrorRate: c.errorRate,
		StartupDelay: c.startupDelay, CPUWork: c.cpuWork, Drain: c.drain, NoDrain: c.noDrain}
}

func (c childConfig) options() []ReplicaOption {
	opts := []ReplicaOption{Name(c.Name), Version(c.Version), Latency(c.Latency), ErrorRate(c.ErrorRate),
		StartupDelay(c.StartupDelay), CPUWork(c.CPUWork), Drain(c.Drain), ProcessMetrics()}
	if c.NoDrain {
		opts = append(opts, NoDrain())
	}
	return opts
}

// childCommand is a command of the fleet to a process replica.
type childCommand struct {
	Op        string               `json:"op"` // hang, heal, latency, error-rate, stop
	Latency   cluster.LatencyRange `json:"latency,omitzero"`
	ErrorRate float64              `json:"error_rate,omitempty"`
}

// childStatus is what a process replica reports.
type childStatus struct {
	Ready    bool          `json:"ready"`
	Stats    ReplicaStats  `json:"stats"`
	Busy     time.Duration `json:"busy"`
	InFlight int           `json:"in_flight"`
	Exited   bool          `json:"exited,omitempty"`
}

// RunChild is a process replica's side (`scalelab target --fleet-child`):
// it reads its configuration from in, serves on ln, obeys the commands
// that follow and reports its status on out until it is stopped (it
// drains, reports a last status and returns), ctx ends, or in ends (the
// fleet is gone: it exits at once).
func RunChild(ctx context.Context, in io.Reader, out io.Writer, ln net.Listener) error {
	sc := bufio.NewScanner(in)
	if !sc.Scan() {
		return fmt.Errorf("fleet child: no configuration on standard input")
	}
	var cfg childConfig
	if err := json.Unmarshal(sc.Bytes(), &cfg); err != nil {
		return fmt.Errorf("fleet child: configuration: %w", err)
	}
	r, err := NewReplica(cfg.options()...)
	if err != nil {
		return err
	}
	if err := r.Serve(ln); err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	report := func(exited bool) {
		busy, inflight := r.Busy()
		_ = enc.Encode(childStatus{Ready: r.Ready(), Stats: r.Stats(), Busy: busy, InFlight: inflight, Exited: exited})
	}
	cmds := make(chan childCommand)
	go func() {
		defer close(cmds)
		for sc.Scan() {
			var c childCommand
			if json.Unmarshal(sc.Bytes(), &c) == nil {
				cmds <- c
			}
		}
	}()
	tick := time.NewTicker(childStatusEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			r.Kill()
			return ctx.Err()
		case <-tick.C:
			report(false)
		case c, ok := <-cmds:
			if !ok {
				r.Kill()
				return nil
			}
			switch c.Op {
			case "hang":
				r.Hang()
			case "heal":
				r.Heal()
			case "latency":
				r.AddLatency(c.Latency)
			case "error-rate":
				r.SetErrorRate(c.ErrorRate)
			case "stop":
				stopped := make(chan error, 1)
				go func() { stopped <- r.Stop(ctx) }()
				for done := false; !done; {
					select {
					case err = <-stopped:
						done = true
					case <-tick.C:
						report(false)
					}
				}
				report(true)
				return err
			}
		}
	}
}
