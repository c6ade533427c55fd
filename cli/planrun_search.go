package cli

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/session"
	"github.com/spf13/pflag"
)

// applyPlanSearch sets the load flags of a plan's capacity search: the
// rate is its from and the window holds every step (session.SearchWindow)
// unless --duration gives one. A search sets the rate: --rate,
// --concurrency and --stages are refused with it, and so is a hold too
// short to judge. Nothing without a search.
func applyPlanSearch(fs *pflag.FlagSet, p *experiments.Plan) error {
	s := p.Search
	if s == nil {
		return nil
	}
	for _, name := range []string{"rate", "concurrency", "stages"} {
		if fs.Changed(name) {
			return planProblem(p, s.Line, "search: --%s: the capacity search sets the rate (from %g, then each step's); drop --%s", name, s.From, name)
		}
	}
	if s.Hold < session.MinSearchHold {
		return planProblem(p, s.Line, "search.hold %s: at least %s (a step is judged after its warm-up, over two ticks or more)", s.Hold, session.MinSearchHold)
	}
	if err := fs.Set("rate", strconv.FormatFloat(s.From, 'g', -1, 64)); err != nil {
		return badInput("--plan %s: %v", p.File, err)
	}
	if err := setUnlessGiven(fs, "duration", session.SearchWindow(*s).String()); err != nil {
		return badInput("--plan %s: %v", p.File, err)
	}
	return nil
}

// planSearch is the sink that runs the plan's capacity search (nil
// without one): inProcess says that the target runs in this process (the
// demo's fleet), progress (nil: none) gets a line a step.
func planSearch(p *experiments.Plan, inProcess bool, progress io.Writer) (*session.SearchSink, error) {
	if p.Search == nil {
		return nil, nil
	}
	until, err := parsePlanThresholds(p, p.Search.Until)
	if err != nil {
		return nil, err
	}
	var opts []session.SearchOption
	if inProcess {
		opts = append(opts, session.TargetInProcess())
	}
	if progress != nil {
		opts = append(opts, session.OnSearchStep(func(st session.SearchStep) { searchLine(progress, st) }))
	}
	sink, err := session.NewSearch(*p.Search, until, opts...)
	if err != nil {
		return nil, planProblem(p, p.Search.Line, "%v", err)
	}
	return sink, nil
}

// searchLine prints a judged step on the headless stderr.
func searchLine(w io.Writer, st session.SearchStep) {
	r := report.NewSearchStep(searchStep(st))
	p99 := "-"
	if r.P99Ms != nil {
		p99 = strconv.FormatFloat(*r.P99Ms, 'f', -1, 64) + "ms"
	}
	outcome := "held"
	switch f, failing := st.Failing(); {
	case st.Generator != "":
		outcome = "generator-bound: " + st.Generator
	case failing:
		outcome = "failed: " + f.String()
	}
	fmt.Fprintf(w, "%6.1fs  search  %s: achieved %s, p99 %s, availability %.3f%%, dropped %d, mean lag %s, CPU %.0f%%: %s\n",
		st.End.Seconds(), report.Rate(st.Rate), report.Rate(st.Achieved), p99, st.Availability*100, st.Dropped,
		st.MeanLag.Round(10*time.Microsecond), st.CPU*100, outcome)
}

// searchStep is a session's step as the report takes it.
func searchStep(st session.SearchStep) report.SearchStep {
	return report.SearchStep{Rate: st.Rate, Achieved: st.Achieved, Start: st.Start, End: st.End, Judged: st.Judged,
		Requests: st.Requests, Failed: st.Failed, Dropped: st.Dropped, Late: st.Late, MeanLag: st.MeanLag,
		P50: st.P50, P99: st.P99, NoLatency: st.NoLatency, Availability: st.Availability,
		CPU: st.CPU, CPUKnown: st.CPUKnown, Statuses: st.Statuses, Held: st.Held, Generator: st.Generator}
}

// searchResult is the search's result as the summary keeps it, nil
// without one.
func searchResult(res *session.SearchResult) *report.SearchResult {
	if res == nil {
		return nil
	}
	r := *res
	steps := make([]report.SearchStepResult, len(r.Steps))
	for i, st := range r.Steps {
		steps[i] = report.NewSearchStep(searchStep(st))
	}
	return report.NewSearchResult(r.HighestHeld, r.Found, r.StoppedBy, steps)
}

// recordedSearch is the plan's search as the recording keeps it, nil
// without one.
func (r runSpec) recordedSearch() *recordings.Search {
	if r.search == nil {
		return nil
	}
	return r.search.Recorded()
}

// progressOut is where a search's progress goes: stderr when headless,
// nowhere under the UI (which owns the terminal).
func progressOut(headless bool, errOut io.Writer) io.Writer {
	if headless {
		return errOut
	}
	return nil
}
