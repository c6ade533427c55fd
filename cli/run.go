package cli

import (
	"fmt"
	"strconv"

	"github.com/scalelab/scalelab/experiments"
	"github.com/spf13/pflag"

	"github.com/scalelab/scalelab/session"
	"github.com/spf13/cobra"
)

func newRunCmd(io streams) *cobra.Command {
	var (
		f        loadFlags
		kf       k8sFlags
		af       agentsFlags
		headless bool
		planFile string
	)
	cmd := &cobra.Command{
		Use:   "run [URL]",
		Short: "Send HTTP load to URL and watch it live in the terminal UI",
		Long: `Send HTTP load to URL and watch throughput, latency percentiles and
errors live in the terminal UI; change the rate with the arrow keys, pause,
add notes. q or Ctrl-C quits and prints the summary.

--k8s deployment/NAME attaches a Kubernetes Deployment (the kubeconfig is
found as kubectl finds it; --context, -n): its pods, rollout and events
show live, and the keys or --step scale it, roll it out, roll it back,
pause it and delete pods, within the safety limits (--read-only, --dry-run,
--max-kill, --min-replicas; destructive actions ask first unless --yes).
With --k8s the URL is optional: without one, or with only a path, scalelab
balances the load itself across the ready endpoints of the Service that
selects the Deployment's pods (--service), following them as they change;
that needs pod IPs to be reachable (in-cluster). --agents N sends the load
from N scalelab agents run in the cluster as an Indexed Job (reached
through the API server's pod proxy; the Job is deleted at the end unless
--keep-agents): to the URL given, or http://SERVICE.NAMESPACE/PATH.

Without a cluster attached, the cluster actions are unavailable: scalelab
demo runs a local fleet with them. --headless behaves like scalelab load (a
live line a second on stderr), with the cluster's events and the steps.`,
		Example: `  scalelab run http://127.0.0.1:8080/ --rate 500
  scalelab run http://127.0.0.1:8080/ --concurrency 16 --duration 1m
  scalelab run http://127.0.0.1:8080/ --rate 500 --duration 30s --headless --json
  scalelab run --k8s deployment/demo -n shop --rate 2000
  scalelab run --k8s deployment/demo http://demo.example.internal/ --step 10s:upgrade=v2 --yes
  scalelab run --k8s deployment/demo --read-only --headless --duration 1m --json
  scalelab run --k8s deployment/demo --agents 3 --rate 3000 --duration 1m --headless`,
		Args: func(cmd *cobra.Command, args []string) error {
			if (cmd.Flags().Changed("k8s") || cmd.Flags().Changed("plan")) && len(args) <= 1 {
				return nil
			}
			return oneURL("run")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var plan *experiments.Plan
			if cmd.Flags().Changed("plan") {
				p, where, err := runPlan(cmd.Flags(), io, &f, planFile, args)
				if err != nil {
					return err
				}
				plan, args = p, where
			}
			if err := af.checkK8s(cmd.Flags(), &f, cmd.Flags().Changed("k8s"), kf.readOnly); err != nil {
				return err
			}
			if af.set() && cmd.Flags().Changed("k8s") {
				return badInput("--agents-at: not with --k8s (agents send to a URL)")
			}
			if cmd.Flags().Changed("k8s") { // --k8s "" too: k8sRun says what is wrong
				return k8sRun{cmd: cmd, io: io, lf: &f, kf: &kf, af: &af, headless: headless, where: firstArg(args), plan: plan}.run()
			}
			if err := kf.orphans(cmd.Flags()); err != nil {
				return err
			}
			target, opts, err := f.parse(cmd.Flags(), args[0])
			if err != nil {
				return err
			}
			spec := runSpec{cmd: cmd, io: io, lf: &f, command: "run", target: target, opts: opts, model: f.model(cmd.Flags())}
			if err := af.apply(cmd.Flags(), &f, &spec); err != nil {
				return err
			}
			model := spec.model
			spec.opened = func(session.Info) { fmt.Fprintf(io.err, "scalelab run %s: %s\n", f.shown(target.URL), model) }
			if plan != nil {
				steps, err := experiments.ParseSteps(kf.steps)
				if err != nil {
					return usageError{err}
				}
				if spec.steps, err = planSteps(plan, steps, f.window(), f.concurrency > 0, nil); err != nil {
					return err
				}
				if err := spec.applyPlan(plan, nil); err != nil {
					return err
				}
				if spec.search, err = planSearch(plan, false, progressOut(headless, io.err)); err != nil {
					return err
				}
				fmt.Fprintf(io.err, "scalelab run: plan %s (%s): %s, %s\n", spec.plan, plan.File, count(len(spec.steps), "step"), count(len(spec.thresholds), "threshold"))
			}
			run := spec.interactive
			if headless {
				run = spec.headless
			}
			if err := run(); err != nil {
				return err
			}
			return af.failed()
		},
	}
	f.register(cmd.Flags())
	kf.register(cmd.Flags())
	af.register(cmd.Flags())
	af.registerK8s(cmd.Flags())
	cmd.Flags().StringVar(&planFile, "plan", "", planUsage)
	cmd.Flags().BoolVar(&headless, "headless", false, "no UI: a live line a second on stderr and the summary, as scalelab load")
	return cmd
}

// firstArg is args[0], or "" when there is none.
func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// runPlan reads the plan of scalelab run --plan and sets what the command
// line does not give from it: the load flags, the scrapes, the target (a URL argument,
// or --k8s and its namespace, context and service). It returns the plan
// and the arguments, the plan's URL added when there was none. A plan on
// a local fleet needs scalelab demo, unless the command line gives a
// target.
func runPlan(fs *pflag.FlagSet, io streams, lf *loadFlags, file string, args []string) (*experiments.Plan, []string, error) {
	p, err := openPlan(io.err, file)
	if err != nil {
		return nil, nil, err
	}
	given := len(args) > 0 || fs.Changed("k8s")
	switch t := p.Target; {
	case given:
	case t.URL != "":
		args = []string{withPath(t.URL, p.Load.Path)}
	case t.K8s != nil:
		for _, f := range []struct{ name, v string }{{"k8s", "deployment/" + t.K8s.Deployment}, {"namespace", t.K8s.Namespace},
			{"context", t.K8s.Context}, {"service", t.K8s.Service}} {
			if f.v != "" && f.v != "deployment/" {
				if err := setUnlessGiven(fs, f.name, f.v); err != nil {
					return nil, nil, badInput("--plan %s: %v", file, err)
				}
			}
		}
		if p.Load.Path != "" {
			args = []string{p.Load.Path}
		}
	case t.Fleet != nil:
		return nil, nil, planProblem(p, t.Line, "target: a local fleet; run this plan with scalelab demo --plan %s, or give run a URL or --k8s", file)
	default:
		return nil, nil, badInput("run --plan %s: the plan has no target: give a URL or --k8s deployment/NAME", file)
	}
	if err := applyPlanLoad(fs, lf, p.Load); err != nil {
		return nil, nil, badInput("--plan %s: %v", file, err)
	}
	if err := applyPlanScrape(fs, p); err != nil {
		return nil, nil, err
	}
	if err := applyPlanSearch(fs, p); err != nil {
		return nil, nil, err
	}
	if p.Agents > 1 {
		if err := setUnlessGiven(fs, "agents", strconv.Itoa(p.Agents)); err != nil {
			return nil, nil, badInput("--plan %s: %v", file, err)
		}
	}
	return p, args, nil
}
