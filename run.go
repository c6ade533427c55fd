package main

import (
	"encoding/json"
	"fmt"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/report"
	"github.com/spf13/cobra"
)

func newRunCmd(io streams) *cobra.Command {
	var (
		f        loadFlags
		kf       k8sFlags
		headless bool
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
that needs pod IPs to be reachable (in-cluster).

Without a cluster attached, the cluster actions are unavailable: scalelab
demo runs a local fleet with them. --headless behaves like scalelab load (a
live line a second on stderr), with the cluster's events and the steps.`,
		Example: `  scalelab run http://127.0.0.1:8080/ --rate 500
  scalelab run http://127.0.0.1:8080/ --concurrency 16 --duration 1m
  scalelab run http://127.0.0.1:8080/ --rate 500 --duration 30s --headless --json
  scalelab run --k8s deployment/demo -n shop --rate 2000
  scalelab run --k8s deployment/demo http://demo.example.internal/ --step 10s:upgrade=v2 --yes
  scalelab run --k8s deployment/demo --read-only --headless --duration 1m --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("k8s") && len(args) <= 1 {
				return nil
			}
			return oneURL("run")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("k8s") { // --k8s "" too: k8sRun says what is wrong
				return k8sRun{cmd: cmd, io: io, lf: &f, kf: &kf, headless: headless, where: firstArg(args)}.run()
			}
			if err := kf.orphans(cmd.Flags()); err != nil {
				return err
			}
			target, opts, err := f.parse(cmd.Flags(), args[0])
			if err != nil {
				return err
			}
			model := f.model(cmd.Flags())
			if headless {
				return runHeadless(cmd, io, target, model, &f, opts)
			}
			if _, err := terminal(io); err != nil {
				return err
			}
			sig := newInterrupt(cmd.Context(), io.err)
			defer sig.stop()
			rec, err := f.rec.start(cmd, io.err, f.recordInfo(target.URL, model))
			if err != nil {
				return err
			}
			defer rec.close()
			sig.record(rec)
			rep, err := runInteractive(sig.ctx, io, session{
				command: "run",
				target:  target,
				model:   model,
				opts:    opts,
				window:  f.window(),
				rec:     rec,
				sig:     sig,
				// the URL shown in the UI and the summary: redacted unless set
				showSecrets: f.showSecrets,
			})
			if err != nil {
				return err
			}
			rec.finish(rep)
			return printReport(io, rep, f.jsonOut)
		},
	}
	f.register(cmd.Flags())
	kf.register(cmd.Flags())
	cmd.Flags().BoolVar(&headless, "headless", false, "no UI: a live line a second on stderr and the summary, as scalelab load")
	return cmd
}

// runHeadless is scalelab load's behaviour: a live line per second on
// stderr, the summary at the end.
func runHeadless(cmd *cobra.Command, io streams, target engine.Target, model string, f *loadFlags, opts []engine.Option) error {
	sig := newInterrupt(cmd.Context(), io.err)
	defer sig.stop()
	var rec *recorder // set before the run
	opts = append(opts, headlessTick(&rec, report.NewLiveLine(io.err))...)
	eng, err := engine.New(target, opts...)
	if err != nil {
		return usageError{err}
	}
	if rec, err = f.rec.start(cmd, io.err, f.recordInfo(target.URL, model)); err != nil {
		return err
	}
	defer rec.close()
	sig.record(rec)
	fmt.Fprintf(io.err, "scalelab %s %s: %s\n", cmd.Name(), f.shown(target.URL), model)
	res, err := eng.Run(sig.ctx)
	if err != nil {
		return err
	}
	rep := report.New("run", f.shown(target.URL), model, res)
	rec.finish(rep)
	return printReport(io, rep, f.jsonOut)
}

// printReport prints the summary as text or as one JSON object on stdout.
func printReport(io streams, rep report.Summary, jsonOut bool) error {
	if jsonOut {
		return json.NewEncoder(io.out).Encode(rep)
	}
	rep.WriteText(io.out)
	return nil
}

// firstArg is args[0], or "" when there is none.
func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
