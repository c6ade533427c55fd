package session

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
)

// origin is what a stream's t_s counts from: the session's opening, just
// before the load starts (the cluster's events of its start come before
// it, at negative times).
type origin struct{ t time.Time }

// open sets the origin from the session's opening (now when unset).
func (o *origin) open(i Info) {
	o.t = i.Start
	if o.t.IsZero() {
		o.t = time.Now()
	}
}

func (o *origin) seconds(t time.Time) float64 {
	return math.Round(t.Sub(o.t).Seconds()*1000) / 1000
}

// JSONL is the --out jsonl= sink: one JSON object a line, flushed as it
// goes, for people who plot with their own tools. A tick's line
// ("type":"tick") counts the requests that ended in it, by status and
// error class, with its rate, latency percentiles, split by version and
// the generator's figures; an event's ("type":"event") says what happened;
// a step's ("type":"step") is its result as it started and ended, and its
// final measurement ("state":"final") when the load ended. t_s counts
// seconds from the load's start (the session's opening: the cluster's
// events of its start are at negative times).
func JSONL(w io.Writer) Sink {
	return &jsonlSink{w: bufio.NewWriter(w)}
}

type jsonlSink struct {
	w   *bufio.Writer
	at  origin
	err error
}

// TickLine is a tick's line of the JSONL stream.
type TickLine struct {
	Type string `json:"type"` // "tick"
	// TS is the tick's end in seconds from the load's start, Seconds its
	// length.
	TS      float64 `json:"t_s"`
	Seconds float64 `json:"seconds"`
	// Requests ended in the tick (a status or a transport error), Failed
	// of them failed (transport errors and 5xx answers).
	Requests uint64            `json:"requests"`
	Failed   uint64            `json:"failed"`
	Status   map[string]uint64 `json:"status"`
	Errors   map[string]uint64 `json:"errors"`
	// RPS is Requests over the tick's length.
	RPS float64 `json:"rps"`
	// LatencyMs is the tick's latency percentiles (every request, timed
	// as the summary's latency_ms).
	LatencyMs engine.Percentiles `json:"latency_ms"`
	// ByVersion splits Requests by the version that answered.
	ByVersion map[string]VersionLine `json:"by_version,omitempty"`
	Generator GeneratorLine          `json:"generator"`
}

// VersionLine is a version's share of a tick.
type VersionLine struct {
	Requests uint64 `json:"requests"`
	Failed   uint64 `json:"failed"`
	Errors   uint64 `json:"errors"`
}

// GeneratorLine is the load generator's figures in a tick.
type GeneratorLine struct {
	// InFlight is the requests outstanding at the tick's end; TargetRate
	// the open loop's scheduled rate (0 in closed loop), Concurrency the
	// closed loop's connections (0 in open loop).
	InFlight    int64   `json:"inflight"`
	TargetRate  float64 `json:"target_rate"`
	Concurrency int     `json:"concurrency"`
	// Dropped and Late count the open loop's sends never made and made
	// over 1 ms late; LagMaxMs is the largest lag.
	Dropped  uint64  `json:"dropped"`
	Late     uint64  `json:"late"`
	LagMaxMs float64 `json:"lag_max_ms"`
	// CPU is the process's CPU use as a share of Procs processors (null
	// when not measured).
	CPU   *float64 `json:"cpu"`
	Procs int      `json:"procs"`
}

// EventLine is an event's line of the JSONL stream.
type EventLine struct {
	Type    string  `json:"type"` // "event"
	TS      float64 `json:"t_s"`
	Source  Source  `json:"source"`
	Kind    string  `json:"kind,omitempty"`
	Message string  `json:"message"`
	Replica string  `json:"replica,omitempty"`
	Version string  `json:"version,omitempty"`
}

// StepLine is a step's line of the JSONL stream.
type StepLine struct {
	Type string  `json:"type"` // "step"
	TS   float64 `json:"t_s"`
	// State is "started", "completed", "failed", "cut", "effect-ended", or
	// "final" for its measurement over the run.
	State string `json:"state"`
	experiments.Result
}

// NewTickLine is the stream's line for t, its end at ts seconds.
func NewTickLine(t Tick, ts float64) TickLine {
	s := t.Snapshot
	secs := s.Elapsed().Seconds()
	l := TickLine{Type: "tick", TS: ts, Seconds: round3(secs), Requests: s.Requests, Failed: s.Failed(),
		Status: map[string]uint64{}, Errors: map[string]uint64{}, LatencyMs: engine.PercentilesOf(s.Latency),
		Generator: GeneratorLine{InFlight: s.InFlight, TargetRate: s.TargetRate, Concurrency: s.Concurrency,
			Dropped: s.Dropped, Late: s.Late, LagMaxMs: round3(float64(s.LagMax) / 1e6), Procs: t.Procs}}
	if secs > 0 {
		l.RPS = round3(float64(s.Requests) / secs)
	}
	for code, n := range s.Status {
		l.Status[strconv.Itoa(code)] = n
	}
	for _, c := range engine.ErrorClasses() {
		if n := s.ErrorCount(c); n > 0 {
			l.Errors[c.String()] = n
		}
	}
	if len(s.ByVersion) > 0 {
		l.ByVersion = map[string]VersionLine{}
		for name, v := range s.ByVersion {
			l.ByVersion[name] = VersionLine{Requests: v.Requests, Failed: v.Failed, Errors: v.Errors}
		}
	}
	if t.CPUKnown {
		cpu := round3(t.CPU)
		l.Generator.CPU = &cpu
	}
	return l
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func (j *jsonlSink) Open(i Info) error {
	j.at.open(i)
	return nil
}

func (j *jsonlSink) Tick(t Tick) {
	j.line(NewTickLine(t, j.at.seconds(t.Snapshot.End)))
}

func (j *jsonlSink) Event(e Event) {
	ts := j.at.seconds(e.Time)
	if e.Step != nil {
		j.line(StepLine{Type: "step", TS: ts, State: e.Kind, Result: *e.Step})
		return
	}
	l := EventLine{Type: "event", TS: ts, Source: e.Source, Kind: e.Kind, Message: e.Message}
	if e.Cluster != nil {
		l.Replica, l.Version = e.Cluster.Replica, e.Cluster.Version
	}
	j.line(l)
}

func (j *jsonlSink) Close(r *Result) error {
	if r != nil {
		for _, s := range r.Steps {
			j.line(StepLine{Type: "step", TS: j.at.seconds(r.End), State: "final", Result: s})
		}
	}
	return j.err
}

// line writes v and flushes; the first error is kept for Close.
func (j *jsonlSink) line(v any) {
	if j.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err == nil {
		b = append(b, '\n')
		_, err = j.w.Write(b)
	}
	if err == nil {
		err = j.w.Flush()
	}
	if err != nil {
		j.err = fmt.Errorf("--out jsonl: %w", err)
	}
}

// CSVColumns are the columns of the --out csv= stream, one row a tick.
var CSVColumns = []string{"t_s", "seconds", "requests", "failed", "errors", "rps",
	"status_2xx", "status_3xx", "status_4xx", "status_5xx",
	"p50_ms", "p90_ms", "p99_ms", "max_ms", "inflight", "target_rate", "concurrency", "dropped", "late", "cpu"}

// CSV is the --out csv= sink: a header row, then one row a tick with
// the columns CSVColumns names (a tick's figures as the JSONL stream's),
// flushed as it goes, for spreadsheets.
func CSV(w io.Writer) Sink { return &csvSink{w: csv.NewWriter(w)} }

type csvSink struct {
	w   *csv.Writer
	at  origin
	err error
}

func (c *csvSink) Open(i Info) error {
	c.at.open(i)
	c.row(CSVColumns)
	return c.err
}

func (c *csvSink) Tick(t Tick) {
	l := NewTickLine(t, c.at.seconds(t.Snapshot.End))
	class := [6]uint64{}
	for code, n := range t.Snapshot.Status {
		if i := code / 100; i >= 2 && i <= 5 {
			class[i] += n
		}
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	cpu := ""
	if l.Generator.CPU != nil {
		cpu = f(*l.Generator.CPU)
	}
	c.row([]string{f(l.TS), f(l.Seconds), u(l.Requests), u(l.Failed), u(t.Snapshot.TotalErrors()), f(l.RPS),
		u(class[2]), u(class[3]), u(class[4]), u(class[5]),
		f(l.LatencyMs.P50), f(l.LatencyMs.P90), f(l.LatencyMs.P99), f(l.LatencyMs.Max),
		strconv.FormatInt(l.Generator.InFlight, 10), f(l.Generator.TargetRate), strconv.Itoa(l.Generator.Concurrency),
		u(l.Generator.Dropped), u(l.Generator.Late), cpu})
}

func (c *csvSink) Event(Event) {}

func (c *csvSink) Close(*Result) error { return c.err }

func (c *csvSink) row(r []string) {
	if c.err != nil {
		return
	}
	_ = c.w.Write(r)
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		c.err = fmt.Errorf("--out csv: %w", err)
	}
}
