package cli

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/ui"
	"github.com/spf13/cobra"
)

func newReplayCmd(io streams) *cobra.Command {
	var headless, jsonOut bool
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Replay a recorded session in the terminal UI, or print its summary",
		Long: `Replay a session that scalelab demo, load or run recorded (by default in
recordings/ of the folder it ran in): the same terminal UI, fed from the
file instead of the engine and the cluster. It plays at once; q quits and
prints the session's summary.

Keys: space or p plays and pauses, > and < change the speed (1×, 2×, 4×,
10×), ← and → seek 10 s back and forward, [ and ] jump to the previous and
next event marker, home and end to the start and the end; 1, 2, 3 and m
toggle the charts as in the live UI. The load, cluster and note keys are
unavailable: a recording cannot be changed.

--headless prints the session's summary without the UI and without waiting
(--json: the JSON the live session printed, steps included for the demo). A
recording without its closing summary (the session was killed) gets one
computed from its frames, with a warning. A damaged recording replays what
is readable and says what is not (a damaged header too: what it lost is
shown as unknown). A replay shows a session, it does not judge it: it exits
0 even when the recorded run's verdict failed (a failed step is shown
failed). What is not a recording file (a directory, a FIFO, a device, a
socket, a file of another kind) is refused, exit 2.`,
		Example: `  scalelab replay recordings/20260304-101500-demo.scalelab
  scalelab replay recordings/20260304-101500-demo.scalelab --headless --json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput("replay: want exactly one recording file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			file := args[0]
			rec, err := recordings.Open(file)
			if err != nil {
				return badInput("replay: %v", err)
			}
			defer rec.Close()
			markLost(rec)
			if rec.Len() == 0 && rec.Summary == nil {
				why := ""
				if len(rec.Problems) > 0 {
					why = " (" + rec.Problems[0] + ")"
				}
				return badInput("replay %s: no frames and no closing summary to show%s", file, why)
			}
			if headless {
				return replaySummary(io, file, rec, jsonOut)
			}
			return replayInteractive(io, file, rec, jsonOut)
		},
	}
	cmd.Flags().BoolVar(&headless, "headless", false, "no UI: print the session's summary at once")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the summary as one JSON object on stdout")
	return cmd
}

// replayInteractive plays the recording in the terminal UI, then prints
// its summary.
func replayInteractive(io streams, file string, rec *recordings.Recording, jsonOut bool) error {
	if rec.Len() == 0 {
		return badInput("replay %s: the recording has no frames to show", file)
	}
	out, err := terminal(io)
	if err != nil {
		return err
	}
	defer restoreTerminal(out)()
	model := ui.NewReplay(ui.ReplayConfig{Recording: rec, File: file, Renderer: lipgloss.NewRenderer(out)})
	popts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithOutput(out)}
	if !term.IsTerminal(os.Stdin.Fd()) {
		popts = append(popts, tea.WithInputTTY())
	}
	if _, err := tea.NewProgram(model, popts...).Run(); err != nil &&
		!errors.Is(err, tea.ErrInterrupted) && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("replay: terminal UI: %w", err)
	}
	return replaySummary(io, file, rec, jsonOut)
}

// replaySummary prints the session's summary: the one it printed, or one
// computed from its frames when it was killed before printing it, and what
// of the file could not be read, on stderr.
func replaySummary(io streams, file string, rec *recordings.Recording, jsonOut bool) error {
	if rec.HeaderDamage != "" {
		fmt.Fprintf(io.err, "scalelab replay: %s: %s\n", file, rec.HeaderDamage)
	}
	for _, p := range rec.Problems {
		fmt.Fprintf(io.err, "scalelab replay: %s: %s\n", file, p)
	}
	js := []byte(rec.Summary)
	if js == nil {
		v, err := computedSummary(rec)
		if err != nil {
			fmt.Fprintf(io.err, "scalelab replay: %s: %v\n", file, err)
		}
		if js, err = json.Marshal(v); err != nil {
			return err
		}
		fmt.Fprintf(io.err, "scalelab replay: %s has no closing summary (the session was killed): summary computed from its %d frames\n",
			file, rec.Len())
	}
	if jsonOut {
		return json.NewEncoder(io.out).Encode(json.RawMessage(js))
	}
	var d report.WithSteps
	if err := json.Unmarshal(js, &d); err != nil {
		return fmt.Errorf("replay %s: summary: %w", file, err)
	}
	d.WriteText(io.out)
	report.WriteSteps(io.out, d.Steps, true)
	return nil
}

// unknown stands for what a damaged header lost.
const unknown = "unknown"

// markLost shows what a damaged header lost, and the closing summary does
// not tell, as unknown: the command, the target, the load model.
func markLost(rec *recordings.Recording) {
	if rec.HeaderDamage == "" {
		return
	}
	h := &rec.Header
	h.Command, h.Target, h.Model = cmp.Or(h.Command, unknown), cmp.Or(h.Target, unknown), cmp.Or(h.Model, unknown)
}

// computedSummary summarizes the frames as the live session would have:
// the report of the frames merged over their window (cut to the session's
// window), and, when a cluster was attached (the demo's fleet, run --k8s),
// the steps as last recorded.
func computedSummary(rec *recordings.Recording) (any, error) {
	h := rec.Header
	total, err := rec.Total()
	window := total.Elapsed()
	if h.Window > 0 && window > h.Window {
		window = h.Window
	}
	rep := report.New(h.Command, h.Target, h.Model, &engine.Result{Total: total, Window: window})
	track := report.NewModelTrack(h.Model, h.Closed)
	for i := range rec.Len() {
		if f, ferr := rec.Frame(i, recordings.Counters); ferr == nil {
			track.Observe(f.Snapshot)
		}
	}
	track.Apply(&rep)
	if h.Cluster == "" {
		return rep, err
	}
	return report.WithSteps{Summary: rep, Steps: recordedSteps(rec)}, err
}

// recordedSteps are the session's steps as their last recorded update left
// them, measured from the recording's frames as the live runner measured
// them from the same snapshots (experiments.Measure); a step still
// running, a fault still in effect, or a step not reached when the
// recording ended is marked so and measured up to that end.
func recordedSteps(rec *recordings.Recording) []experiments.Result {
	ticks, end := recordedTicks(rec)
	last := map[string]experiments.Result{}
	for _, e := range rec.Events {
		var r experiments.Result
		if e.Source != recordings.FromStep || json.Unmarshal(e.Data, &r) != nil {
			continue
		}
		last[r.Spec] = r
	}
	for spec, r := range last {
		last[spec] = r.CutAt(end, "the recording ended").Measured(ticks)
	}
	if rec.HeaderDamage != "" {
		// The steps' specs were lost with the settings: those the events
		// tell, in time order.
		steps := make([]experiments.Result, 0, len(last))
		for _, r := range last {
			steps = append(steps, r)
		}
		sort.Slice(steps, func(i, j int) bool {
			return steps[i].StartS < steps[j].StartS || steps[i].StartS == steps[j].StartS && steps[i].Spec < steps[j].Spec
		})
		return steps
	}
	specs := rec.Header.Steps // 1.4: as data
	if v := rec.Header.Config["step"]; specs == nil && v != "" {
		specs = strings.Split(v, "; ") // older files: the --step flags' text
	}
	parsed, err := experiments.ParseSteps(specs) // in time order, as the runner had them
	if err != nil {
		parsed = nil
	}
	steps := []experiments.Result{}
	for _, s := range parsed {
		r, ok := last[s.Spec]
		if !ok {
			r = experiments.Result{Spec: s.Spec, Action: s.Action, StartS: s.At.Seconds(),
				Error: "not reached: the recording ended before " + s.At.String(), Cut: true}
		}
		steps = append(steps, r)
	}
	return steps
}

// recordedTicks are the counts of the recording's frames, and the end of
// the last one (the recording's end).
func recordedTicks(rec *recordings.Recording) ([]experiments.Tick, time.Time) {
	ticks := make([]experiments.Tick, 0, rec.Len())
	var end time.Time
	for i := range rec.Len() {
		f, err := rec.Frame(i, recordings.Counters)
		if err != nil {
			continue // the damage is among rec.Problems
		}
		t := experiments.TickOf(f.Snapshot)
		ticks = append(ticks, t)
		if t.End.After(end) {
			end = t.End
		}
	}
	return ticks, end
}
