package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/fleet"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envPrefix prefixes the environment variables that set `target` flags:
// --error-rate is SCALELAB_ERROR_RATE.
const envPrefix = "SCALELAB_"

// targetFlags are the demo service's settings.
type targetFlags struct {
	fleetChild   bool // --fleet-child: a process replica of the local fleet
	listen       string
	version      string
	name         string
	latency      string
	errorRate    string
	startupDelay time.Duration
	cpuWork      time.Duration
	drain        time.Duration
	noDrain      bool
	// fromEnv maps the flags set from the environment to how they were
	// set (SCALELAB_ERROR_RATE="abc"), for the errors to name.
	fromEnv map[string]string
}

func (f *targetFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to listen on (0.0.0.0:8080 in a container)")
	fs.StringVar(&f.version, "version", "v1", "version answered by GET /")
	fs.StringVar(&f.name, "name", "", "replica name answered by GET / (default: the host name)")
	fs.StringVar(&f.latency, "latency", "0", "time each answer takes: fixed (20ms) or a uniform range (5ms..50ms)")
	fs.StringVar(&f.errorRate, "error-rate", "0", "share of requests answered with a 500: 0.05 or 5%")
	fs.DurationVar(&f.startupDelay, "startup-delay", 0, "time from start until /readyz answers 200")
	fs.DurationVar(&f.cpuWork, "cpu-work", 0, "CPU time each request burns")
	fs.DurationVar(&f.drain, "drain", fleet.DefaultDrain, "on SIGTERM: fail readiness, keep serving this long, then close connections politely")
	fs.BoolVar(&f.noDrain, "no-drain", false, "on SIGTERM: exit at once, dropping requests in flight (for demonstrations)")
}

// envDefaults sets each flag not given on the command line from its
// environment variable (SCALELAB_ERROR_RATE for --error-rate), if set and
// not empty, and returns how each flag so set was set
// (SCALELAB_ERROR_RATE="5%"), by flag name.
func envDefaults(fs *pflag.FlagSet) (map[string]string, error) {
	var err error
	from := map[string]string{}
	fs.VisitAll(func(fl *pflag.Flag) {
		if err != nil || fl.Changed || fl.Name == "help" {
			return
		}
		key := envPrefix + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		if v := os.Getenv(key); v != "" {
			from[fl.Name] = fmt.Sprintf("%s=%q", key, v)
			if serr := fs.Set(fl.Name, v); serr != nil {
				err = badInput("%s: %v", from[fl.Name], serr)
			}
		}
	})
	return from, err
}

// bad is a bad-input error about flag, named as it was set: --flag, or its
// environment variable.
func (f *targetFlags) bad(flag string, err error) error {
	if e, ok := f.fromEnv[flag]; ok {
		return badInput("%s: %v", e, err)
	}
	return badInput("--%s: %v", flag, err)
}

// options turns the flags into replica options, or a bad-input error
// naming the flag (or its environment variable).
func (f *targetFlags) options() ([]fleet.ReplicaOption, error) {
	if err := fleet.CheckAddr(f.listen); err != nil {
		return nil, f.bad("listen", err)
	}
	if err := cluster.CheckVersion(f.version); err != nil {
		return nil, f.bad("version", err)
	}
	if f.name != "" {
		if err := cluster.CheckReplicaName(f.name); err != nil {
			return nil, f.bad("name", err)
		}
	}
	lat, err := cluster.ParseLatency(f.latency)
	if err != nil {
		return nil, f.bad("latency", err)
	}
	rate, err := cluster.ParseRate(f.errorRate)
	if err != nil {
		return nil, f.bad("error-rate", err)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"startup-delay", f.startupDelay}, {"cpu-work", f.cpuWork}, {"drain", f.drain}} {
		if d.v < 0 || d.v > fleet.MaxReplicaDelay {
			return nil, f.bad(d.flag, fmt.Errorf("%s: want 0..%s", d.v, fleet.MaxReplicaDelay))
		}
	}
	name := f.name
	if name == "" {
		if name, err = os.Hostname(); err != nil || cluster.CheckReplicaName(name) != nil {
			name = "target"
		}
	}
	opts := []fleet.ReplicaOption{
		fleet.Name(name), fleet.Version(f.version), fleet.Latency(lat), fleet.ErrorRate(rate),
		fleet.StartupDelay(f.startupDelay), fleet.CPUWork(f.cpuWork), fleet.Drain(f.drain),
		fleet.ProcessMetrics(), // its own process: its CPU and memory are the target's
	}
	if f.noDrain {
		opts = append(opts, fleet.NoDrain())
	}
	return opts, nil
}

func newTargetCmd(io streams) *cobra.Command {
	var f targetFlags
	cmd := &cobra.Command{
		Use:   "target",
		Short: "Run the demo service: one replica of what the local fleet runs",
		Long: `Run the demo service that the local fleet runs for each replica (and a
Kubernetes demo Deployment runs in each pod): GET / answers its version and
name (also in the X-Scalelab-Version and X-Scalelab-Replica headers),
/healthz is liveness, /readyz readiness, /metrics Prometheus metrics (with
the process's CPU and memory: process_cpu_seconds_total, ...).

On SIGTERM or Ctrl-C it fails readiness first, keeps serving for --drain,
then closes keep-alive connections politely and exits. A second signal
exits at once.

Every flag can also be set by an environment variable: SCALELAB_ and the
flag's name in capitals with underscores (SCALELAB_VERSION=v2,
SCALELAB_ERROR_RATE=5%). A flag on the command line wins.`,
		Example: `  scalelab target --version v2 --latency 5ms..50ms
  SCALELAB_LISTEN=0.0.0.0:8080 SCALELAB_VERSION=v2 scalelab target`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 0 {
				return badInput("target: takes no arguments, got %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.fleetChild {
				return runFleetChild(cmd.Context(), io)
			}
			var err error
			if f.fromEnv, err = envDefaults(cmd.Flags()); err != nil {
				return err
			}
			opts, err := f.options()
			if err != nil {
				return err
			}
			rep, err := fleet.NewReplica(opts...)
			if err != nil {
				return usageError{err}
			}
			if err := rep.Start(f.listen); err != nil {
				return fmt.Errorf("target: %w", err)
			}
			ctx, stop := interruptible(cmd.Context(), io.err)
			defer stop()
			fmt.Fprintf(io.err, "scalelab target %s (%s) listening on %s\n", rep.Version(), rep.Name(), rep.URL())
			<-ctx.Done()
			rep.FailReadiness()
			if f.noDrain {
				fmt.Fprintln(io.err, "stopping at once (--no-drain)")
			} else {
				fmt.Fprintf(io.err, "draining for %s: readiness fails, requests are still served\n", f.drain)
			}
			stopCtx, cancel := context.WithTimeout(context.Background(), f.drain+30*time.Second)
			defer cancel()
			err = rep.Stop(stopCtx)
			st := rep.Stats()
			fmt.Fprintf(io.err, "stopped: %d requests answered, %d while draining\n", st.Served, st.ServedDraining)
			return err
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&f.fleetChild, "fleet-child", false, "serve as a process replica of the local fleet (its listener on fd 3, its configuration and commands on stdin)")
	_ = cmd.Flags().MarkHidden("fleet-child")
	return cmd
}

// runFleetChild is `scalelab target --fleet-child`: a replica of a local
// fleet run with --replica-process, serving on the listener the fleet
// passed as file descriptor 3 (fleet.RunChild).
func runFleetChild(ctx context.Context, io streams) error {
	ln, err := net.FileListener(os.NewFile(3, "fleet listener"))
	if err != nil {
		return usageError{fmt.Errorf("target --fleet-child: no listener on file descriptor 3 (it is for the fleet's --replica-process): %w", err)}
	}
	return fleet.RunChild(ctx, os.Stdin, io.out, ln)
}
