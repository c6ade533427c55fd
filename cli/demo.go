package cli

import (
	"fmt"
	"github.com/scalelab/scalelab/internal/loopback"
	"os"
	"strconv"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/session"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// demoRate is the demo's open-loop rate when no load model is given: well
// within what a 2-core machine sends through the fleet.
const demoRate = 500

// demoFlags are the fleet and step settings of `scalelab demo`.
type demoFlags struct {
	replicas       int
	version        string
	maxSurge       int
	maxUnavailable int
	drain          time.Duration
	noDrain        bool
	startupDelay   time.Duration
	latency        string
	listen         string
	steps          []string
	badVersions    []string
	headless       bool
	// agents send the load from other machines (--agents-at), to the
	// fleet's balancer.
	agents agentsFlags
	// plan is --plan's file; cpuWork is --cpu-work.
	plan    string
	cpuWork time.Duration
	// replicaProcess runs each replica as a process of its own,
	// replicaCPU (which implies it) with that CPU quota in cores.
	replicaProcess bool
	replicaCPU     float64
}

func (f *demoFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&f.replicas, "replicas", fleet.DefaultReplicas, "replicas the fleet starts with")
	fs.StringVar(&f.version, "replica-version", fleet.DefaultVersion, "version the fleet starts with")
	fs.IntVar(&f.maxSurge, "max-surge", fleet.DefaultMaxSurge, "rolling upgrade: replicas above the desired number")
	fs.IntVar(&f.maxUnavailable, "max-unavailable", fleet.DefaultMaxUnavailable, "rolling upgrade: replicas below the desired number that may be unavailable")
	fs.DurationVar(&f.drain, "drain", fleet.DefaultDrain, "how long a stopping replica keeps serving after failing readiness")
	fs.BoolVar(&f.noDrain, "no-drain", false, "replicas stop at once, dropping requests in flight (shows why the drain matters)")
	fs.DurationVar(&f.startupDelay, "startup-delay", time.Second, "time a new replica takes to become ready")
	fs.StringVar(&f.latency, "latency", "2ms..10ms", "time each replica's answer takes: fixed (20ms) or a uniform range")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:0", "the fleet's load balancer address, loopback only: 127.0.0.1:PORT or [::1]:PORT (port 0 picks one); the replicas listen on the same host")
	fs.StringArrayVar(&f.steps, "step", nil, "scripted step "+experiments.Syntax+" (repeatable)")
	fs.StringArrayVar(&f.badVersions, "bad-version", nil, "a bad build: every replica of this version answers 30% 500s, slower, however it rolls out (upgrade, canary, scale); repeatable")
	fs.BoolVar(&f.headless, "headless", false, "no UI: a live line a second and the events on stderr, the summary at the end")
	fs.StringVar(&f.plan, "plan", "", planUsage)
	fs.BoolVar(&f.replicaProcess, "replica-process", false, "run each replica as a `scalelab target` process of its own: its own CPU, memory and run delay in the replicas panel")
	fs.Float64Var(&f.replicaCPU, "replica-cpu", 0, "each replica's CPU quota in cores (0.5), through a cgroup per replica (v1 or v2); implies --replica-process")
	fs.DurationVar(&f.cpuWork, "cpu-work", 0, "CPU time each request burns in a replica (with --replica-cpu: what throttling slows)")
}

// fleetOptions builds the fleet's options, or a bad-input error.
func (f *demoFlags) fleetOptions() ([]fleet.Option, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	lat, err := cluster.ParseLatency(f.latency)
	if err != nil {
		return nil, badInput("--latency: %v", err)
	}
	ropts := []fleet.ReplicaOption{fleet.Drain(f.drain), fleet.StartupDelay(f.startupDelay), fleet.Latency(lat), fleet.CPUWork(f.cpuWork)}
	if f.noDrain {
		ropts = append(ropts, fleet.NoDrain())
	}
	opts := []fleet.Option{
		fleet.Replicas(f.replicas), fleet.InitialVersion(f.version),
		fleet.MaxSurge(f.maxSurge), fleet.MaxUnavailable(f.maxUnavailable),
		fleet.Listen(f.listen), fleet.ReplicaDefaults(ropts...), fleet.BadVersions(f.badVersions...),
	}
	if f.replicaProcess || f.replicaCPU > 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("--replica-process: cannot find scalelab's own executable: %w", err)
		}
		opts = append(opts, fleet.ProcessReplicas(exe, "target", "--fleet-child"), fleet.ReplicaCPU(f.replicaCPU))
	}
	return opts, nil
}

// check finds bad fleet flags before the fleet starts, each named with
// its range and reason.
func (f *demoFlags) check() error {
	max := fleet.DefaultMaxReplicas
	switch {
	case f.replicas < 1 || f.replicas > max:
		return badInput("--replicas %d: want 1..%d (the fleet's cap)", f.replicas, max)
	case f.maxSurge < 0 || f.maxSurge > max:
		return badInput("--max-surge %d: want 0..%d replicas (the fleet's cap)", f.maxSurge, max)
	case f.maxUnavailable < 0 || f.maxUnavailable > max:
		return badInput("--max-unavailable %d: want 0..%d replicas (the fleet's cap)", f.maxUnavailable, max)
	case f.maxSurge == 0 && f.maxUnavailable == 0:
		return badInput("--max-surge 0 and --max-unavailable 0: a rolling upgrade could never progress; give one of them 1 or more")
	}
	if err := cluster.CheckVersion(f.version); err != nil {
		return badInput("--replica-version: %v", err)
	}
	for _, v := range f.badVersions {
		if err := cluster.CheckVersion(v); err != nil {
			return badInput("--bad-version: %v", err)
		}
	}
	if _, err := cluster.ParseLatency(f.latency); err != nil {
		return badInput("--latency: %v", err)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"drain", f.drain}, {"startup-delay", f.startupDelay}, {"cpu-work", f.cpuWork}} {
		if d.v < 0 || d.v > fleet.MaxReplicaDelay {
			return badInput("--%s %s: want 0..%s", d.flag, d.v, fleet.MaxReplicaDelay)
		}
	}
	if f.replicaCPU < 0 || f.replicaCPU > fleet.MaxReplicaCPU || (f.replicaCPU > 0 && f.replicaCPU < fleet.MinReplicaCPU) || f.replicaCPU != f.replicaCPU {
		return badInput("--replica-cpu %g: want %g..%g cores (0 for no quota)", f.replicaCPU, fleet.MinReplicaCPU, float64(fleet.MaxReplicaCPU))
	}
	return checkLoopback(f.listen)
}

// checkLoopback checks --listen: a HOST:PORT on loopback (the fleet
// serves only this machine).
func checkLoopback(addr string) error {
	if err := fleet.CheckAddr(addr); err != nil {
		return badInput("--listen: %v", err)
	}
	if ok, _ := loopback.Addr(addr); !ok {
		return badInput("--listen %q: not a loopback address; the fleet serves only this machine (127.0.0.1:0 or [::1]:0)", addr)
	}
	return nil
}

func newDemoCmd(io streams) *cobra.Command {
	lf := loadFlags{defaultRate: demoRate}
	var df demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a local fleet of demo replicas under load, and scale, upgrade and break it",
		Long: `Start a local fleet (replicas of the demo service behind a load balancer,
all on loopback), send load to it, and run scripted steps against it while
availability is measured: scale, rolling upgrade, rollback and faults.

The demo opens the terminal UI on the fleet: charts, replicas, events, and
keys to change the load, scale, upgrade, roll back and inject faults; q
quits with the summary. --headless runs without it: a live line a second
and the fleet's events on stderr, the summary at the end (--json: one JSON
object on stdout, with a steps array). It takes the load flags of scalelab
load; without a load model it sends ` + strconv.Itoa(demoRate) + ` requests a second.

Steps fire at their time from the start of the load; each runs until its
action completed and is measured while it ran, a lasting fault (hang,
latency, errors, bad-version) until its effect ended (healed, replaced,
its replicas gone, rolled back) or the run ended. Before any load, each
step is judged against the fleet as the steps before it leave it, and
refused (exit 2) when it cannot succeed: a replica name the fleet never
gives (its replicas are replica-1, replica-2, …), more replicas than it
has then, a scale beyond ` + strconv.Itoa(fleet.DefaultMaxReplicas) + `, a rollback with no earlier version. Two
steps at the same time are refused too (which would act first is not
defined): give them different times, 10s and 10.1s run in that order.
  --step 10s:scale=5           scale to 5 replicas
  --step 20s:upgrade=v2        rolling upgrade to v2 (--max-surge, --max-unavailable)
  --step 40s:kill=1            kill 1 random replica (kill=replica-2: that one; kill=25%: a share)
  --step 40s:hang=1            a replica accepts and never answers
  --step 40s:latency=1:200ms   add latency to 1 random replica (or NAME:, or 5ms..50ms)
  --step 40s:errors=1:30%      1 random replica answers 30% 500s
  --step 45s:bad-version=v3    roll out a version whose replicas fail or slow down
  --step 20s:canary=v2:25%     a canary: v2 on a quarter of the replicas (rounded up), held
  --step 40s:promote           the held canary's rollout completes (rollback: all back on v1)
  --step 20s:pause             pause the rollout in progress (resume: it goes on)
  --bad-version v3             every replica of v3 fails or slows down, however it rolls out
  --step 50s:heal              clear the hang, latency and errors faults (heal=replica-2: of that one)
  --step 50s:rollback          roll back to the previous version`,
		Example: `  scalelab demo --duration 30s --step 5s:scale=5 --step 12s:upgrade=v2 --step 22s:kill=1
  scalelab demo --replicas 4 --rate 1000 --duration 20s --step 5s:upgrade=v2 --json
  scalelab demo --no-drain --duration 15s --step 5s:upgrade=v2`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 0 {
				return badInput("demo: takes no arguments (the fleet is the target), got %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd, io, &lf, &df)
		},
	}
	lf.register(cmd.Flags())
	df.register(cmd.Flags())
	df.agents.register(cmd.Flags())
	return cmd
}

// runDemo checks the flags, starts the fleet, runs the load and the steps,
// stops the fleet and prints the summary.
func runDemo(cmd *cobra.Command, io streams, lf *loadFlags, df *demoFlags) error {
	fs := cmd.Flags()
	var plan *experiments.Plan
	if df.plan != "" {
		p, err := openPlan(io.err, df.plan)
		if err != nil {
			return err
		}
		switch p.Target.Kind() {
		case "", "fleet":
		default:
			return planProblem(p, p.Target.Line, "target: a %s; scalelab demo runs a local fleet: run this plan with scalelab run --plan %s", p.Target.Kind(), p.File)
		}
		if p.Target.Fleet != nil {
			if err := applyPlanFleet(fs, df, p.Target.Fleet); err != nil {
				return badInput("--plan %s: %v", p.File, err)
			}
		}
		if err := applyPlanLoad(fs, lf, p.Load); err != nil {
			return badInput("--plan %s: %v", p.File, err)
		}
		if err := applyPlanScrape(fs, p); err != nil {
			return err
		}
		if err := applyPlanSearch(fs, p); err != nil {
			return err
		}
		plan = p
	}
	if !fs.Changed("rate") && !fs.Changed("concurrency") && lf.stages == "" {
		// Set, so that the recording's settings say the rate sent.
		if err := fs.Set("rate", strconv.Itoa(lf.rateDefault())); err != nil {
			return err
		}
	}
	opts, err := lf.options(fs)
	if err != nil {
		return err
	}
	steps, err := experiments.ParseSteps(df.steps)
	if err != nil {
		return usageError{err}
	}
	if err := lf.rec.check(); err != nil {
		return err
	}
	if err := checkStepsInWindow(steps, lf.window()); err != nil {
		return err
	}
	fopts, err := df.fleetOptions()
	if err != nil {
		return err
	}
	fl, err := fleet.New(fopts...)
	if err != nil {
		return usageError{err}
	}
	spec := runSpec{cmd: cmd, io: io, lf: lf, command: "demo", opts: opts, model: lf.model(fs),
		cluster: fl, kind: "fleet", stopTimeout: df.drain + 3*time.Second}
	if err := df.agents.apply(fs, lf, &spec); err != nil {
		return err
	}
	model := spec.model
	path := ""
	if plan != nil {
		if spec.steps, err = planSteps(plan, steps, lf.window(), lf.concurrency > 0, fl); err != nil {
			return err
		}
		if err := spec.applyPlan(plan, fl); err != nil {
			return err
		}
		if spec.search, err = planSearch(plan, true, progressOut(df.headless, io.err)); err != nil {
			return err
		}
		path = plan.Load.Path
	} else {
		if err := experiments.Check(steps, fl); err != nil {
			return usageError{err}
		}
		spec.steps = experiments.AtSteps(steps)
	}
	spec.resolve = func() (engine.Target, []engine.Option, error) {
		t, err := lf.target(withPath(fl.URL(), path))
		return t, nil, err
	}
	spec.opened = func(i session.Info) {
		fmt.Fprintf(io.err, "scalelab demo: %d replicas of %s behind %s; %s\n", df.replicas, df.version, i.Target.URL, model)
	}
	if spec.plan != "" {
		fmt.Fprintf(io.err, "scalelab demo: plan %s (%s): %s, %s\n", spec.plan, plan.File, count(len(spec.steps), "step"), count(len(spec.thresholds), "threshold"))
	}
	if !df.headless {
		if _, err := terminal(io); err != nil {
			return err
		}
	}
	fmt.Fprintf(io.err, "scalelab demo: starting %d replicas of %s…\n", df.replicas, df.version)
	run := spec.interactive
	if df.headless {
		run = spec.headless
	}
	if err := run(); err != nil {
		return err
	}
	return df.agents.failed()
}

// checkStepsInWindow refuses a step at or after the end of a window w (0:
// no end): it would never run.
func checkStepsInWindow(steps []experiments.Step, w time.Duration) error {
	for _, s := range steps {
		if w > 0 && s.At >= w {
			return badInput("step %q: at %s, not before the end of the run (%s)", s.Spec, s.At, w)
		}
	}
	return nil
}
