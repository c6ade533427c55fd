package main

import (
	"encoding/json"
	"fmt"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/report"
	"github.com/spf13/cobra"
)

func newLoadCmd(io streams) *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:   "load URL",
		Short: "Send HTTP load to URL and report throughput and latency",
		Long: `Send HTTP load to URL, headless: a live line a second on stderr and a
summary at the end (--json: one JSON object on stdout).

Open loop (--rate, --stages) schedules requests at a rate whatever the target
does and times latency from each request's intended send; closed loop
(--concurrency) keeps N connections busy.`,
		Example: `  scalelab load http://127.0.0.1:8080/ --rate 1000 --duration 30s
  scalelab load http://127.0.0.1:8080/ --stages 10s:100,30s:5000,10s:0 --json
  scalelab load http://127.0.0.1:8080/ --concurrency 64 --duration 10s`,
		Args: oneURL("load"),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, opts, err := f.parse(cmd.Flags(), args[0])
			if err != nil {
				return err
			}
			sig := newInterrupt(cmd.Context(), io.err)
			defer sig.stop()
			var rec *recorder // set before the run
			opts = append(opts, headlessTick(&rec, report.NewLiveLine(io.err))...)
			eng, err := engine.New(target, opts...)
			if err != nil {
				return usageError{err}
			}
			if rec, err = f.rec.start(cmd, io.err, f.recordInfo(target.URL, f.model(cmd.Flags()))); err != nil {
				return err
			}
			defer rec.close()
			sig.record(rec)
			fmt.Fprintf(io.err, "scalelab load %s: %s\n", f.shown(target.URL), f.model(cmd.Flags()))
			res, err := eng.Run(sig.ctx)
			if err != nil {
				return err
			}
			rep := report.New("load", f.shown(target.URL), f.model(cmd.Flags()), res)
			rec.finish(rep)
			if f.jsonOut {
				enc := json.NewEncoder(io.out)
				return enc.Encode(rep)
			}
			rep.WriteText(io.out)
			return nil
		},
	}
	f.register(cmd.Flags())
	return cmd
}
