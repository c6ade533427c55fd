package main

import (
	"context"
	"fmt"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/fleet"
	"github.com/spf13/cobra"
)

// runDemoUI is scalelab demo with the terminal UI: the fleet starts, the
// UI opens on it with the cluster actions available, scripted steps (if
// any) run as in the headless demo, and q quits with the summary (and the
// steps) on the normal screen.
func runDemoUI(cmd *cobra.Command, io streams, lf *loadFlags, df *demoFlags, fl *fleet.Fleet,
	steps []experiments.Step, opts []engine.Option) error {
	if _, err := terminal(io); err != nil {
		return err
	}
	sig := newInterrupt(cmd.Context(), io.err)
	defer sig.stop()
	ctx := sig.ctx
	recEvents, stopRecEvents := preSubscribe(fl) // before Start, as the UI's
	defer stopRecEvents()
	subCtx, unsubscribe := context.WithCancel(ctx)
	defer unsubscribe()
	events := fl.Subscribe(subCtx) // before Start: the UI shows the first replicas start
	defer stopFleet(fl, df.drain)
	fmt.Fprintf(io.err, "scalelab demo: starting %d replicas of %s…\n", df.replicas, df.version)
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := fl.Start(startCtx)
	cancel()
	if err != nil {
		return fmt.Errorf("demo: start the fleet: %w", err)
	}
	target, err := lf.target(fl.URL())
	if err != nil {
		return err
	}
	rec, err := lf.rec.start(cmd, io.err, lf.demoRecordInfo(cmd, fl))
	if err != nil {
		return err
	}
	defer rec.close()
	sig.record(rec)
	rec.watch(recEvents, stopRecEvents)
	return runInteractiveSteps(ctx, io, session{
		command:     "demo",
		target:      target,
		model:       lf.model(cmd.Flags()),
		opts:        opts,
		window:      lf.window(),
		cluster:     fl,
		events:      events,
		stopCluster: fl.Stop,
		rec:         rec,
		sig:         sig,
	}, steps, lf.jsonOut)
}
