package cli

import (
	"fmt"

	"github.com/scalelab/scalelab/session"
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
			model := f.model(cmd.Flags())
			return runSpec{cmd: cmd, io: io, lf: &f, command: "load", target: target, opts: opts, model: model,
				opened: func(session.Info) { fmt.Fprintf(io.err, "scalelab load %s: %s\n", f.shown(target.URL), model) },
			}.headless()
		},
	}
	f.register(cmd.Flags())
	return cmd
}
