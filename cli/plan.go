package cli

import (
	"errors"
	"fmt"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/experiments"
	"github.com/spf13/cobra"
)

// newPlanCmd builds scalelab plan and its check subcommand.
func newPlanCmd(io streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Experiment plans: check a plan file without running it",
		Long: `An experiment plan is a YAML file: the target (a local fleet, a URL or a
Kubernetes Deployment), the load, the steps and their triggers (at: 30s,
after: STEP + 10s, when: CONDITION), the thresholds that judge the run, the
steady state, the rollbacks and a capacity search. docs/plans.md describes
every field; experiments/examples/ has plans to start from.

scalelab plan check FILE... decodes and validates each plan strictly, as a
run does before any load: unknown keys, wrong types, bad numbers, durations,
actions and headers, missing or doubled triggers, after: naming no step or
making a cycle, contradictions between sections. It prints
"FILE: ok (N steps, M thresholds)" on stdout for each good plan, and every
problem of the others on stderr, one a line, "FILE:LINE: reason".

Exit codes: 0 every plan is good; 2 a plan has a problem (or a file cannot
be read). A run of a plan exits as k6 does where it has a code: 0 every
threshold held and every step ran, 99 a threshold or a step failed, 108
aborted by a threshold, 2 bad input or a bad plan, 1 an internal failure.`,
		Example: `  scalelab plan check experiments/examples/*.yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 0 {
				return badInput("plan: unknown subcommand %q (want check)", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newPlanCheckCmd(io))
	return cmd
}

// newPlanCheckCmd builds scalelab plan check.
func newPlanCheckCmd(io streams) *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE...",
		Short: "Validate plan files without running them: FILE: ok, or FILE:LINE: reason for each problem (exit 2)",
		Long: `Decode and validate each plan file strictly, as a run does before any load.
A good plan prints "FILE: ok (N steps, M thresholds)" on stdout; a bad one
prints every problem on stderr, one a line, "FILE:LINE: reason", and the
command exits 2.`,
		Example: `  scalelab plan check experiments/examples/zero-downtime-upgrade.yaml
  scalelab plan check plans/*.yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return badInput("plan check: want at least one plan FILE")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			return checkPlans(io, args, planChecks())
		},
	}
}

// planChecks are the threshold and condition parsers a plan's expressions
// are checked with: the ones the run judges them with.
func planChecks() experiments.Checks {
	return experiments.Checks{
		Threshold: func(metric, expr string) error {
			_, err := analysis.ParseThreshold(metric, expr)
			return err
		},
		Condition: func(expr string) error {
			_, err := analysis.ParseCondition(expr)
			return err
		},
	}
}

// checkPlans checks each file, printing its verdict, and returns a
// bad-input error when any has a problem.
func checkPlans(io streams, files []string, c experiments.Checks) error {
	bad, problems := 0, 0
	for _, f := range files {
		p, err := experiments.CheckPlan(f, c)
		if err == nil {
			fmt.Fprintf(io.out, "%s: ok (%s, %s)\n", f, count(len(p.Steps), "step"), count(p.ThresholdCount(), "threshold"))
			continue
		}
		bad++
		var pe *experiments.PlanError
		if !errors.As(err, &pe) {
			problems++
			fmt.Fprintf(io.err, "%s: %v\n", f, err)
			continue
		}
		for _, pr := range pe.Problems {
			problems++
			fmt.Fprintln(io.err, pr)
		}
	}
	if bad > 0 {
		return badInput("plan check: %s in %d of %s", count(problems, "problem"), bad, count(len(files), "plan"))
	}
	return nil
}

// count is "1 step", "3 steps".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
