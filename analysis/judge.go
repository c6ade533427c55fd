package analysis

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// Never is a Status's FirstFailed when the threshold never failed.
const Never time.Duration = -1

// Status is a threshold's judgement at one evaluation.
type Status struct {
	// Threshold is the threshold judged.
	Threshold Threshold
	// Value is the measured value, in the expression's unit; NoData says
	// that nothing was measured (no request in the threshold's scope).
	Value  float64
	NoData bool
	// OK is the judgement: the value holds (and, for a windowed threshold,
	// held at every earlier evaluation); with no data, only when the
	// threshold allows it. A threshold that asked to abort (Abort) is not
	// OK from then on, though its value may hold again (the requests in
	// flight at the breach answered after it).
	OK bool
	// FirstFailed is the offset from the load's start of the first
	// evaluation at which the value did not hold; Never if none did. No
	// data is not a failure there: it fails the verdict at the end.
	FirstFailed time.Duration
	// Abort asks to stop the run: the threshold aborts on failure and
	// failed at or after DelayAbortEval. Once set it stays set.
	Abort bool
	// Text is the value for display: p(99)=183ms, rate=99.95%,
	// p(99): no data.
	Text string
}

// judged is one threshold's state.
type judged struct {
	th          Threshold
	s           *series
	gen         *genSeries // for a threshold on the generator, instead of s
	recStep     string
	firstFailed time.Duration
	abort       bool
}

// Judge judges thresholds on the ticks of a run, exactly: each
// threshold's histograms are merged from the snapshots' (never averaged
// percentiles). Feed it every tick with Observe and the steps as they
// start and end, then Evaluate at least once a second and at the end. It
// is not safe for concurrent use.
type Judge struct {
	th    []judged
	steps stepLog
}

// NewJudge returns a judge of the thresholds, or the problems of their
// options (Threshold.Validate), joined.
func NewJudge(thresholds []Threshold) (*Judge, error) {
	if err := validateAll(thresholds); err != nil {
		return nil, err
	}
	j := &Judge{steps: stepLog{}}
	for _, t := range thresholds {
		jt := judged{th: t, recStep: t.RecoverStep(), firstFailed: Never}
		if t.Metric.Name == MetricGenerator {
			jt.gen = &genSeries{window: t.Window}
		} else {
			jt.s = newSeries(t.Metric, t.Window)
		}
		j.th = append(j.th, jt)
	}
	return j, nil
}

// Observe takes one tick: t is the offset of its end from the load's
// start, and s is only read during the call. Ticks come in order; tell
// the judge of a step before the ticks that end after its start.
func (j *Judge) Observe(t time.Duration, s *engine.Snapshot) {
	d := s.Elapsed()
	for i := range j.th {
		th := &j.th[i]
		if th.gen != nil {
			continue
		}
		if !j.steps.judged(th.th.Metric, th.recStep, th.th.Recover, t, d) {
			continue
		}
		c, h := take(th.th.Metric, s)
		th.s.add(t, c, h)
	}
}

// StepStarted tells the judge that the named step started at the offset
// at from the load's start.
func (j *Judge) StepStarted(name string, at time.Duration) { j.steps.started(name, at) }

// StepEnded tells the judge that the named step ended at at.
func (j *Judge) StepEnded(name string, at time.Duration) { j.steps.ended(name, at) }

// Evaluate judges every threshold at now (the offset from the load's
// start of the latest tick's end, or of the run's end), in the order
// given to NewJudge.
func (j *Judge) Evaluate(now time.Duration) []Status {
	out := make([]Status, len(j.th))
	for i := range j.th {
		out[i] = j.th[i].evaluate(now)
	}
	return out
}

func (th *judged) evaluate(now time.Duration) Status {
	t := th.th
	var v float64
	var ok bool
	var text string
	if th.gen != nil {
		v, ok, text = th.gen.measure(now)
	} else {
		v, ok = th.s.measure(now, t.Agg)
		text = formatValue(t.Metric.Name, t.Agg, v, ok)
	}
	st := Status{Threshold: t, Value: v, NoData: !ok}
	holds := ok && t.Op.Holds(v, t.Value)
	if ok && !holds {
		if th.firstFailed == Never {
			th.firstFailed = now
		}
		if t.AbortOnFail && now >= t.DelayAbortEval {
			th.abort = true
		}
	}
	switch {
	case th.abort:
		st.OK = false // it stopped the run
	case !ok:
		st.OK = t.AllowNoData && (t.Window <= 0 || th.gen != nil || th.firstFailed == Never)
	case t.Window > 0 && th.gen == nil:
		st.OK = holds && th.firstFailed == Never
	default:
		st.OK = holds
	}
	st.FirstFailed, st.Abort = th.firstFailed, th.abort
	st.Text = text
	return st
}

// formatValue writes a measured value as the threshold panel and the
// summary show it: p(99)=183ms, rate=99.95%, rate=512.3/s, count=12.
func formatValue(n MetricName, agg Aggregation, v float64, ok bool) string {
	name := agg.String()
	if !ok {
		return name + ": no data"
	}
	switch {
	case n.trend():
		return name + "=" + formatMillis(v)
	case agg.Kind == AggCount:
		return name + "=" + strconv.FormatFloat(v, 'f', 0, 64)
	case agg.Kind == AggRate && n.fraction():
		return name + "=" + strconv.FormatFloat(math.Round(v*100*1000)/1000, 'f', -1, 64) + "%"
	}
	return name + "=" + strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + "/s"
}

// formatMillis writes milliseconds with three significant digits: 0.183ms,
// 18.3ms, 183ms, 1.83s, 18.3s.
func formatMillis(ms float64) string {
	unit := "ms"
	if ms >= 1000 {
		ms, unit = ms/1000, "s"
	}
	digits := 2
	switch {
	case ms >= 100:
		digits = 0
	case ms >= 10:
		digits = 1
	case ms < 1 && ms > 0:
		digits = 3
	}
	text := strconv.FormatFloat(ms, 'f', digits, 64)
	if strings.Contains(text, ".") {
		text = strings.TrimRight(strings.TrimRight(text, "0"), ".")
	}
	return text + unit
}

// String is the status as a line of the summary: ✓ latency p(99)<200 p(99)=183ms.
func (s Status) String() string {
	mark := "✓"
	if !s.OK {
		mark = "✗"
	}
	return fmt.Sprintf("%s %s %s", mark, s.Threshold, s.Text)
}
