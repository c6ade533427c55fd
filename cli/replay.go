package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/session"
	"github.com/scalelab/scalelab/ui"
	"github.com/spf13/cobra"
)

func newReplayCmd(io streams) *cobra.Command {
	var headless, jsonOut bool
	var out outFlags
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
shown as unknown). The text summary ends with the recorded thresholds and
verdict. A recording that keeps its thresholds (format 1.5) is judged
again from its frames: a killed session's computed summary has that
verdict, and where it differs from the closing summary's a line on stderr
says so (a bug or a damaged file). So is a canary step of a recording
that keeps its analysis (format 1.6), with the same judge: its promotion
or rollback as the recorded events say it ended. A replay shows a session: it exits 0
even when the recorded run's verdict failed (a failed step is shown
failed). What is not a recording file (a directory, a FIFO, a device, a
socket, a file of another kind) is refused, exit 2.

The summary comes from the recorded session replayed through the live
session's pipeline (its sinks, at once): --out jsonl=FILE and csv=FILE
write the lines the live run's --out wrote (the same ticks, t_s from the
same start, the events, the judge's and the steps). The UI's player reads the frames
itself, since a stream cannot seek back or jump ahead; its closing summary
is the pipeline's.`,
		Example: `  scalelab replay recordings/20260304-101500-demo.scalelab
  scalelab replay recordings/20260304-101500-demo.scalelab --headless --json
  scalelab replay recordings/20260304-101500-demo.scalelab --headless --out jsonl=ticks.jsonl`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput("replay: want exactly one recording file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(jsonOut); err != nil {
				return err
			}
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
			if !headless && rec.Len() == 0 {
				return badInput("replay %s: the recording has no frames to show", file)
			}
			outs, closeOuts, err := out.open(io.out, jsonOut)
			defer closeOuts()
			if err != nil {
				return err
			}
			if headless {
				return replaySummary(cmd.Context(), io, file, rec, jsonOut, outs)
			}
			return replayInteractive(cmd.Context(), io, file, rec, jsonOut, outs)
		},
	}
	cmd.Flags().BoolVar(&headless, "headless", false, "no UI: print the session's summary at once")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the summary as one JSON object on stdout")
	out.register(cmd.Flags())
	return cmd
}

// replayInteractive plays the recording in the terminal UI, then prints
// its summary.
func replayInteractive(ctx context.Context, io streams, file string, rec *recordings.Recording, jsonOut bool, outs []session.Sink) error {
	out, err := terminal(io)
	if err != nil {
		return err
	}
	defer restoreTerminal(out)()
	model := ui.NewReplay(replayUI(ctx, rec, file, lipgloss.NewRenderer(out)))
	popts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithOutput(out)}
	if !term.IsTerminal(os.Stdin.Fd()) {
		popts = append(popts, tea.WithInputTTY())
	}
	if _, err := tea.NewProgram(model, popts...).Run(); err != nil &&
		!errors.Is(err, tea.ErrInterrupted) && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("replay: terminal UI: %w", err)
	}
	return replaySummary(ctx, io, file, rec, jsonOut, outs)
}

// replayUI is the replay UI's configuration of rec. With a recorded
// canary analysis (1.6) the canary is judged again from the frames first,
// as the summary after the UI is, for the panel to show as it stood at
// each position.
func replayUI(ctx context.Context, rec *recordings.Recording, file string, r *lipgloss.Renderer) ui.ReplayConfig {
	cfg := ui.ReplayConfig{Recording: rec, File: file, Renderer: r}
	if a := rec.Header.Canary; a != nil {
		c, cerr := session.RecordingCanary(a)
		if res, err := replayed(ctx, rec); cerr == nil && err == nil && res.Canary != nil {
			cfg.Canary, cfg.CanaryConfig = res.Canary, c
		}
	}
	return cfg
}

// replaySummary replays the recording through the session's sinks (the
// --out streams) and prints its summary: the one it printed, or one
// computed from its frames when it was killed before printing it, and
// what of the file could not be read, on stderr.
func replaySummary(ctx context.Context, io streams, file string, rec *recordings.Recording, jsonOut bool, outs []session.Sink) error {
	if rec.HeaderDamage != "" {
		fmt.Fprintf(io.err, "scalelab replay: %s: %s\n", file, rec.HeaderDamage)
	}
	for _, p := range rec.Problems {
		fmt.Fprintf(io.err, "scalelab replay: %s: %s\n", file, p)
	}
	res, err := replayed(ctx, rec, outs...)
	if err != nil {
		return fmt.Errorf("replay %s: %w", file, err)
	}
	if res.Partial != "" {
		fmt.Fprintf(io.err, "scalelab replay: %s: %s\n", file, res.Partial)
	}
	if rec.Summary != nil && rec.Header.Thresholds != nil {
		for _, d := range rejudged(rec.Summary, res, rec.Header) {
			fmt.Fprintf(io.err, "scalelab replay: %s: %s\n", file, d)
		}
	}
	js, err := json.Marshal(res.Summary)
	if err != nil {
		return err
	}
	if rec.Summary == nil {
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
	if d.Plan != "" {
		fmt.Fprintf(io.out, "plan: %s\n", d.Plan)
	}
	d.WriteText(io.out)
	report.WriteSteps(io.out, d.Steps, true)
	d.WriteVerdict(io.out, d.Steps) // the thresholds and the verdict line, when the run had them
	return nil
}

// replayed replays rec through the load model's track and sinks: its
// Summary is the recording's closing summary, or, for a session killed
// before it, the one the live session would have printed, computed from
// the frames (the report of the frames merged over their window, the load
// model's changes, and the steps as recorded when a cluster was attached:
// the demo's fleet, run --k8s).
func replayed(ctx context.Context, rec *recordings.Recording, sinks ...session.Sink) (*session.Result, error) {
	h := rec.Header
	model := &modelSink{model: h.Model}
	scrapes := session.NewScrape(nil) // follows the recorded scrapes
	return session.Replay(ctx, session.ReplayConfig{
		Recording: rec,
		Sinks:     append([]session.Sink{model, scrapes}, sinks...),
		Summarize: func(res *session.Result) any {
			rep := report.New(h.Command, h.Target, h.Model, res.Load)
			model.track.Apply(&rep)
			rep.Scrape = scrapeResults(scrapes.Endpoints())
			// From the recorded readings (1.7), nil before.
			rep.Generator = generatorResult(res.Generator)
			if h.Thresholds == nil { // before 1.5: not judged again
				if h.Cluster == "" {
					return rep
				}
				return report.NewWithSteps(rep, res.Steps)
			}
			rep.Judged(res.Verdict, res.Thresholds, abortResult(res.Aborted))
			rep.Canary = canaryResult(res.Canary)           // judged again (1.6), nil before
			rep.SteadyState = steadyResult(res.SteadyState) // judged again (1.8), nil before
			rep.Search = searchResult(res.Search)           // judged again (1.9), nil before
			rep.Rollbacks = rollbackResults(res.Rollbacks)  // as recorded (1.9), none before
			rep.Plan = h.Config["plan-name"]
			if h.Cluster == "" && len(h.Steps) == 0 {
				return rep
			}
			return report.NewWithSteps(rep, res.Steps)
		},
	})
}

// abortResult is the abort as the summary keeps it, nil when none.
func abortResult(a *session.Abort) *report.AbortResult {
	if a == nil {
		return nil
	}
	return report.NewAbortResult(a.Threshold, a.Status, a.At)
}

// rejudged says where the verdict and the thresholds judged again from
// a recording's frames (res) differ from its closing summary's (recorded):
// a bug or a damaged file; nothing when they agree. The canary is
// compared when it was judged again (h keeps its analysis: 1.6), and so
// is the capacity search (1.9).
func rejudged(recorded json.RawMessage, res *session.Result, h recordings.Header) []string {
	canary := h.Canary != nil
	var was struct {
		Verdict    string                   `json:"verdict"`
		Thresholds []report.ThresholdResult `json:"thresholds"`
		Canary     json.RawMessage          `json:"canary"`
		Search     json.RawMessage          `json:"search"`
	}
	if err := json.Unmarshal(recorded, &was); err != nil {
		return []string{"its closing summary cannot be read to check its verdict: " + err.Error()}
	}
	var now report.Summary
	now.Judged(res.Verdict, res.Thresholds, abortResult(res.Aborted))
	var out []string
	// The generator probes' seconds are not recorded: a threshold on the
	// generator, and a canary with generator-bound intervals, cannot be
	// judged again, nor the verdict they made.
	probed := bytes.Contains(was.Canary, []byte(`"metric":"generator"`))
	for _, t := range was.Thresholds {
		probed = probed || t.Metric == "generator"
	}
	if was.Verdict != string(now.Verdict) && !probed {
		line := now.VerdictLine(res.Steps)
		if verdict, detail, ok := strings.Cut(line, " "); ok {
			line = strings.ToLower(verdict) + " " + detail
		} else {
			line = cmp.Or(strings.ToLower(line), "none")
		}
		out = append(out, fmt.Sprintf("the recording's verdict was %s, judged again from its frames: %s", cmp.Or(was.Verdict, "none"), line))
	}
	if canary && !probed && (res.Canary != nil || was.Canary != nil) {
		if w, g, same := sameJSON(was.Canary, canaryResult(res.Canary)); !same {
			out = append(out, fmt.Sprintf("canary: the recording's summary has %s, judged again from its frames: %s", w, g))
		}
	}
	if h.Search != nil {
		if w, g, same := sameJSON(was.Search, searchResult(res.Search)); !same {
			out = append(out, fmt.Sprintf("search: the recording's summary has %s, judged again from its frames: %s", w, g))
		}
	}
	if len(was.Thresholds) != len(now.Thresholds) {
		return append(out, fmt.Sprintf("the recording's summary has %d thresholds, its header %d", len(was.Thresholds), len(now.Thresholds)))
	}
	for i, t := range now.Thresholds {
		if t.Metric == "generator" {
			continue
		}
		w, _ := json.Marshal(was.Thresholds[i])
		g, _ := json.Marshal(t)
		if !bytes.Equal(w, g) {
			out = append(out, fmt.Sprintf("threshold %s %s: the recording's summary has %s, judged again from its frames: %s",
				t.Metric+t.Filter, t.Source, w, g))
		}
	}
	return out
}

// sameJSON compacts what a recording's summary has (was: null when
// absent) and marshals what was judged again (now), and says whether
// they are the same bytes.
func sameJSON(was json.RawMessage, now any) (w, g []byte, same bool) {
	g, _ = json.Marshal(now)
	buf := bytes.NewBufferString("null")
	if was != nil {
		buf.Reset()
		_ = json.Compact(buf, was)
	}
	return buf.Bytes(), g, bytes.Equal(buf.Bytes(), g)
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
