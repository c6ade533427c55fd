package cli

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/session"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// recordDirEnv names the environment variable that sets the folder of the
// default recordings ("recordings" in the working folder when unset).
const recordDirEnv = "SCALELAB_RECORDINGS"

// recordFlags choose where a session is recorded.
type recordFlags struct {
	path string
	off  bool
}

func (f *recordFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.path, "record", "", "record the session to this file (default recordings/<start time>-<command>.scalelab; $"+recordDirEnv+" moves the folder)")
	fs.BoolVar(&f.off, "no-record", false, "do not record the session")
}

// recordInfo is what a command tells about its session for the header.
type recordInfo struct {
	target, model string
	closed        bool
	window        time.Duration
	// cluster is the attached cluster's kind ("fleet", "kubernetes"), ""
	// when none.
	cluster string
	// load is the load as data; steps the scripted steps' specs in time
	// order.
	load  *recordings.Load
	steps []string
	// start is the session's opening (session.Info.Start): the header's
	// start, from which a replay's streams count as the live ones did.
	start time.Time
	// plan is the plan's name (--plan), "" without one: Config["plan-name"];
	// planDef the plan as data (nil without one).
	plan    string
	planDef *recordings.Plan
	// thresholds are the thresholds the run is judged on, as data;
	// canary its canary step's analysis (nil without one).
	thresholds []recordings.Threshold
	canary     *recordings.CanaryAnalysis
	// steady is the plan's steady state (nil without one).
	steady *recordings.SteadyState
	// search is the plan's capacity search (nil without one).
	search *recordings.Search
}

// recorder records one session. A nil *recorder records nothing: every
// method does nothing on it.
type recorder struct {
	w       *recordings.Writer
	command string
	errOut  io.Writer

	warnTo atomic.Pointer[func(string)] // where warnings go while a UI runs
	// mu orders the writes with a quit at once: once ended, nothing more
	// is written (the interruption is the last event).
	mu         sync.Mutex
	ended      bool
	closed     sync.Once
	summarized atomic.Bool
}

// check finds bad recording flags before a session starts anything: both
// flags, or a --record file that exists or cannot be created.
func (f *recordFlags) check() error {
	switch {
	case f.off && f.path != "":
		return badInput("--record and --no-record: choose one")
	case f.off || f.path == "":
		return nil
	}
	if _, err := os.Lstat(f.path); err == nil {
		return badInput("--record %s: the file exists; choose another", f.path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return badInput("--record %q: %v", f.path, errors.Unwrap(err))
	}
	if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
		return badInput("--record %s: %v", f.path, errors.Unwrap(err))
	}
	return nil
}

// start opens the session's recording, unless --no-record. An
// explicit --record path that cannot be created is bad input; the default
// one failing is a warning, and the session goes on unrecorded.
func (f *recordFlags) start(cmd *cobra.Command, errOut io.Writer, info recordInfo) (*recorder, error) {
	name := cmd.Name()
	if err := f.check(); err != nil || f.off {
		return nil, err
	}
	h := recordings.Header{
		Scalelab: buildVersion(),
		Start:    cmp.Or(info.start, time.Now()),
		Command:  name,
		Args:     recordings.RedactArgs(commandLine(cmd)),
		Config:   flagConfig(cmd.Flags()),
		Target:   recordings.RedactURL(info.target),
		Model:    info.model,
		Closed:   info.closed,
		Window:   info.window,
		Tick:     session.Interval,
		Cluster:  info.cluster,
		Load:     info.load,
		Steps:    info.steps,
		// Thresholds and Plan let a replay judge the run again.
		Thresholds: info.thresholds,
		Plan:       info.planDef,
		Canary:     info.canary,
		// The steady state lets a replay judge it again (1.8).
		SteadyState: info.steady,
		// The search lets a replay judge its steps again (1.9).
		Search: info.search,
	}
	if info.plan != "" {
		h.Config["plan-name"] = info.plan
	}
	r := &recorder{command: name, errOut: errOut}
	opts := []recordings.Option{recordings.OnWarning(r.warn)}
	var err error
	if f.path != "" {
		r.w, err = recordings.Create(f.path, h, opts...)
		if err != nil {
			if errors.Is(err, fs.ErrExist) {
				return nil, badInput("--record %s: the file exists; choose another", f.path)
			}
			return nil, badInput("--record %s: %v", f.path, errors.Unwrap(err))
		}
	} else {
		dir := os.Getenv(recordDirEnv)
		if dir == "" {
			dir = "recordings"
		}
		r.w, err = recordings.CreateIn(dir, name, h, opts...)
		if err != nil {
			fmt.Fprintf(errOut, "scalelab %s: not recorded: %v\n", name, err)
			return nil, nil
		}
	}
	fmt.Fprintf(errOut, "scalelab %s: recording to %s\n", name, r.w.Path())
	return r, nil
}

// commandLine rebuilds the command line from the flags given and the
// arguments (the same for a real process and an in-process test).
func commandLine(cmd *cobra.Command) []string {
	args := strings.Fields(cmd.CommandPath())
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				args = append(args, "--"+fl.Name, v)
			}
			return
		}
		args = append(args, "--"+fl.Name+"="+fl.Value.String())
	})
	return append(args, cmd.Flags().Args()...)
}

// flagConfig is every flag's value, redacted; repeated values are joined
// with "; ".
func flagConfig(fs *pflag.FlagSet) map[string]string {
	out := map[string]string{}
	fs.VisitAll(func(fl *pflag.Flag) {
		if fl.Name == "help" {
			return
		}
		vals := []string{fl.Value.String()}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			vals = sv.GetSlice()
		}
		for i, v := range vals {
			vals[i] = recordings.RedactFlag(fl.Name, v)
		}
		out[fl.Name] = strings.Join(vals, "; ")
	})
	return out
}

// path is the recording's file, "" when not recording.
func (r *recorder) path() string {
	if r == nil {
		return ""
	}
	return r.w.Path()
}

// operator records an operator's action or note: its kind, text and
// title (the marks a replay shows follow from the kind).
func (r *recorder) operator(e session.Event) {
	if r == nil {
		return
	}
	r.event(recordings.Event{Time: e.Time, Source: recordings.FromOperator, Kind: e.Kind, Message: e.Message, Label: e.Title})
}

// step records a scripted step's start or end, or the end of its fault's
// effect; replay measures the steps from the last of these.
func (r *recorder) step(e session.Event) {
	if r == nil || e.Step == nil {
		return
	}
	data, _ := json.Marshal(*e.Step)
	r.event(recordings.Event{Time: e.Time, Source: recordings.FromStep, Kind: e.Kind, Message: e.Message, Data: data})
}

// rollback records a plan's rollback action starting or ending, with its
// result, so that a replay lists it and a killed session's computed
// summary has it.
func (r *recorder) rollback(e session.Event) {
	if r == nil {
		return
	}
	var data json.RawMessage
	if e.Rollback != nil {
		data, _ = json.Marshal(*e.Rollback)
	}
	r.event(recordings.Event{Time: e.Time, Source: recordings.FromRollback, Kind: e.Kind, Message: e.Message, Label: e.Title, Data: data})
}

// judge records a threshold's change of state or the abort, with the
// threshold's status as the summary keeps it.
func (r *recorder) judge(e session.Event) {
	if r == nil {
		return
	}
	var data json.RawMessage
	if e.Threshold != nil {
		data, _ = json.Marshal(report.NewThresholdResult(*e.Threshold))
	}
	r.event(recordings.Event{Time: e.Time, Source: recordings.FromJudge, Kind: e.Kind, Message: e.Message, Label: e.Title, Data: data})
}

// canary records the canary judge's event: an interval judged, the
// decision, or the end of the action taken on it (a replay judges the
// first two again from the frames, and takes the last as recorded).
func (r *recorder) canary(e session.Event) {
	if r == nil {
		return
	}
	r.event(recordings.Event{Time: e.Time, Source: recordings.FromCanary, Kind: e.Kind, Message: e.Message, Label: e.Title})
}

// generator records the generator probes' event as it is, its title the
// label and a second's reading its Data.
func (r *recorder) generator(e session.Event) {
	if r == nil {
		return
	}
	var data json.RawMessage
	if e.Generator != nil {
		data, _ = json.Marshal(*e.Generator)
	}
	r.event(recordings.Event{Time: e.Time, Source: recordings.FromGenerator, Kind: e.Kind, Message: e.Message, Label: e.Title, Data: data})
}

// scrape records a scrape's reading: FromScrape, its Data the reading.
func (r *recorder) scrape(e session.Event) {
	if r == nil || e.Scrape == nil {
		return
	}
	data, _ := json.Marshal(*e.Scrape)
	r.event(recordings.Event{Time: e.Time, Source: recordings.FromScrape, Kind: e.Kind, Message: e.Message, Data: data})
}

// warn reports a recording problem: to the UI while one runs, else on
// stderr.
func (r *recorder) warn(err error) {
	if to := r.warnTo.Load(); to != nil {
		(*to)(err.Error())
		return
	}
	fmt.Fprintf(r.errOut, "scalelab %s: %v\n", r.command, err)
}

// warnVia sends warnings to f (nil: back to stderr).
func (r *recorder) warnVia(f func(string)) {
	if r == nil {
		return
	}
	if f == nil {
		r.warnTo.Store(nil)
		return
	}
	r.warnTo.Store(&f)
}

// finish writes the summary the session printed (summary, with its target
// redacted) and closes the recording, saying where it is on stderr.
func (r *recorder) finish(summary any) {
	if r == nil {
		return
	}
	js, err := json.Marshal(report.Redacted(summary))
	if err == nil {
		err = r.w.Summary(js)
		r.summarized.Store(err == nil)
	}
	if err != nil {
		fmt.Fprintf(r.errOut, "scalelab %s: recording's summary: %v\n", r.command, err)
	}
	r.close()
}

// interrupted closes the recording of a session that a second signal (how)
// quit at once: an operator event says so, then the last block is written.
// It has no closing summary: the session printed none (replay computes one
// from the frames). Safe to call while the session still records.
func (r *recorder) interrupted(how string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.ended = true
	r.w.Event(recordings.Event{Time: time.Now(), Source: recordings.FromOperator, Kind: "interrupted",
		Message: "quit at once (" + how + " again): requests in flight not awaited, no summary"})
	r.mu.Unlock()
	r.close()
}

// close closes the recording (a session that failed has no summary). It is
// idempotent and safe to call from two goroutines (the second waits).
func (r *recorder) close() {
	if r == nil {
		return
	}
	r.closed.Do(func() {
		r.warnVia(nil)
		if err := r.w.Close(); err != nil {
			fmt.Fprintf(r.errOut, "scalelab %s: recording %s is incomplete (%v): it replays up to what was written\n",
				r.command, r.w.Path(), rootCause(err))
			return
		}
		if r.w.Frames() == 0 && !r.summarized.Load() {
			_ = os.Remove(r.w.Path()) // the session never started: nothing to replay
			return
		}
		fmt.Fprintf(r.errOut, "scalelab %s: recorded to %s (%s, %d frames); replay it: scalelab replay %s\n",
			r.command, r.w.Path(), size(r.w.Bytes()), r.w.Frames(), r.w.Path())
	})
}

// size formats a byte count.
func size(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 10<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// rootCause is the innermost error of err's chain.
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// event records e, unless a quit at once ended the recording.
func (r *recorder) event(e recordings.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ended {
		r.w.Event(e)
	}
}

// frame records f, unless a quit at once ended the recording.
func (r *recorder) frame(f recordings.Frame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ended {
		r.w.Frame(f)
	}
}

// recordedPlan is the plan p as a recording keeps it, with the steps that
// ran (its own and the --step flags' added), nil without a plan.
func recordedPlan(p *experiments.Plan, steps []experiments.PlanStep) *recordings.Plan {
	if p == nil {
		return nil
	}
	out := &recordings.Plan{Name: p.Name, Description: p.Description, File: p.File, Steps: make([]recordings.PlanStep, 0, len(steps))}
	for _, s := range steps {
		ps := recordings.PlanStep{Name: s.Name, Spec: s.Step.Spec}
		switch t := s.Trigger; t.Kind {
		case experiments.TriggerAfter:
			ps.Trigger, ps.After, ps.DelayS = recordings.TriggerAfter, t.After, t.Delay.Seconds()
		case experiments.TriggerWhen:
			ps.Trigger, ps.When = recordings.TriggerWhen, t.When
		default:
			ps.Trigger, ps.AtS = recordings.TriggerAt, t.At.Seconds()
		}
		out.Steps = append(out.Steps, ps)
	}
	return out
}
