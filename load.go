package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/scalelab/scalelab/engine"
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
			opts = append(opts, headlessTick(&rec, newLiveLine(io.err))...)
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
			rep := newReport("load", f.shown(target.URL), f.model(cmd.Flags()), res)
			rec.finish(rep)
			if f.jsonOut {
				enc := json.NewEncoder(io.out)
				return enc.Encode(rep)
			}
			rep.writeText(io.out)
			return nil
		},
	}
	f.register(cmd.Flags())
	return cmd
}

// report is the JSON summary of a run of load, run or demo.
type report struct {
	// Command names the command that made it ("load", "run", "demo").
	Command string `json:"command"`
	Target  string `json:"target"` // as printed: redacted unless --show-secrets
	Model   string `json:"model"`
	// ModelStart and ModelChanges say how the load model changed during
	// the run (an operator's keys), Model being the model at the end;
	// empty when it did not change.
	ModelStart   string        `json:"model_start,omitempty"`
	ModelChanges []modelChange `json:"model_changes,omitempty"`
	Start        time.Time     `json:"start"`
	engine.Summary
}

func newReport(command, url, model string, res *engine.Result) report {
	return report{
		Command: command,
		Target:  url,
		Model:   model,
		Start:   res.Total.Start.UTC().Truncate(time.Millisecond),
		Summary: engine.Summarize(res.Total, res.Window.Seconds()),
	}
}
