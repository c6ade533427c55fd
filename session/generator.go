package session

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/probes"
)

// FromGenerator is the generator probes' events (GeneratorSink): the
// generator started setting the pace (GeneratorSaturated), and stopped
// (GeneratorRecovered).
const FromGenerator Source = "generator"

// The kinds of the generator probes' events: each second's reading
// (GeneratorSampled, its Event.Generator), and the changes of the
// judgement.
const (
	GeneratorSampled   = "generator-sampled"
	GeneratorSaturated = "generator-saturated"
	GeneratorRecovered = "generator-recovered"
)

// GeneratorReading is one second of the generator's probes as judged:
// the sample, the sends of its ticks and the judgement, with its place
// in the load (End, from the first tick's start, and Span). A recording
// keeps it as the data of a GeneratorSampled event, and a replay's
// GeneratorSink follows those as the live one judged them.
type GeneratorReading struct {
	End    time.Duration          `json:"end_ns"`
	Span   time.Duration          `json:"span_ns"`
	Sample probes.GeneratorSample `json:"sample"`
	// Sent, Late and Dropped are the ticks' sends: all, those late by
	// over a millisecond, and those dropped.
	Sent    uint64 `json:"sent"`
	Late    uint64 `json:"late"`
	Dropped uint64 `json:"dropped"`
	// Saturated, Reasons and Findings are the judgement
	// (probes.Saturation).
	Saturated bool             `json:"saturated"`
	Reasons   []string         `json:"reasons"`
	Findings  []probes.Finding `json:"findings,omitempty"`
}

// Clone is a deep copy of r.
func (r GeneratorReading) Clone() GeneratorReading {
	r.Reasons, r.Findings = slices.Clone(r.Reasons), slices.Clone(r.Findings)
	return r
}

// Saturation is the reading's judgement.
func (r GeneratorReading) Saturation() probes.Saturation {
	return probes.Saturation{Saturated: r.Saturated, Reasons: slices.Clone(r.Reasons), Findings: slices.Clone(r.Findings)}
}

// GeneratorSampleEvery is how often the generator probes are sampled.
const GeneratorSampleEvery = time.Second

// GeneratorBoundShare is the share of the sampled seconds at or above
// which a run is generator-bound: a second or two of a loaded machine
// does not make a minute's run worthless, a tenth of it does.
const GeneratorBoundShare = 0.1

// lateShare is the share of an interval's sends that may be late (over
// 1 ms behind schedule) before lateness counts as saturation: a few late
// sends on a busy machine are the scheduler's noise, and as latency is
// timed from the intended send, a late send is counted in what it costs,
// not hidden; a tenth of a second's sends late is a generator that cannot
// keep its schedule.
const lateShare = 0.1

// minLate is the fewest late sends in a second that count as saturation.
const minLate = 10

// runDelayPerCore is the run delay (the threads' wait for a CPU, summed
// over them) per second and per core the process may use at or above
// which it is saturated, unless the thresholds set one: 100 ms, a tenth
// of each core's time.
const runDelayPerCore = 100 * time.Millisecond

// GeneratorResult is the run's judgement on its own generator: Saturated
// (the run is generator-bound) when at least GeneratorBoundShare of the
// sampled seconds were, with each reason's kind, how many seconds it
// held and its worst reading ("cpu 1.96 of 2 cores (12 of 60 s)").
type GeneratorResult struct {
	Saturated bool     `json:"saturated"`
	Reasons   []string `json:"reasons"`
	// SaturatedS and SampledS are the seconds judged saturated and the
	// seconds sampled.
	SaturatedS float64 `json:"saturated_s"`
	SampledS   float64 `json:"sampled_s"`
	// Cgroup is the cgroup version the process runs under (1 or 2, 0 when
	// unknown), Quota its CPU quota in cores (0: none).
	Cgroup int     `json:"cgroup,omitempty"`
	Quota  float64 `json:"quota_cores,omitempty"`
}

// GeneratorSink samples the generator's probes once a second of the
// load's ticks (probes.Generator: CPU against its cores or quota,
// throttling, run delay, the engine's late and dropped sends), judges
// each second (probes.Judge), says when the generator starts and stops
// setting the pace (FromGenerator events), and judges the run at its end
// (Result.Generator). Its Last is the latest sample and judgement, for
// the UI's saturation panel. Each second's reading goes out as a
// GeneratorSampled event, for the recording; a replay's sink
// (NewGeneratorReplay), and one whose load runs elsewhere (agents,
// session.Remote), follows the readings it is given instead of probing.
type GeneratorSink struct {
	th     probes.Thresholds
	opts   probes.Options
	replay bool

	mu      sync.Mutex
	g       *probes.Generator
	control Control
	start   time.Time // the session's
	from    time.Time // the interval being sampled began
	sent    uint64    // the interval's sends, late and dropped
	late    uint64
	dropped uint64
	cur     probes.Saturation
	last    probes.GeneratorSample
	sampled time.Duration
	busy    time.Duration
	kinds   map[string]*reasonCount    // by probes.Finding kind
	seconds []analysis.GeneratorSecond // every second judged, from the load's start
	origin  time.Time                  // the load's start: the first tick's start
}

// reasonCount is a reason's kind over the run: how long it held and its
// worst reading.
type reasonCount struct {
	held   time.Duration
	worst  string  // the reason of the worst reading
	figure float64 // its figure
	order  int
}

// NewGenerator returns the generator probes' sink, judging with th (zero
// fields: probes.DefaultThresholds) and reading as opts says.
func NewGenerator(th probes.Thresholds, opts probes.Options) *GeneratorSink {
	return &GeneratorSink{th: th, opts: opts, kinds: map[string]*reasonCount{}}
}

// NewGeneratorReplay returns the sink of a replay: it probes nothing and
// follows the recorded GeneratorSampled events it is given, so that its
// Seconds, BoundBetween, Last and Result are the live run's.
func NewGeneratorReplay() *GeneratorSink {
	return &GeneratorSink{replay: true, kinds: map[string]*reasonCount{}}
}

// Open starts the probes.
func (s *GeneratorSink) Open(i Info) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.control = i.Control
	s.start = i.Start
	// A load on other machines (agents) is not this process's to probe:
	// the sink then follows the readings the agents' probes give, as a
	// replay's follows the recorded ones.
	if isRemote(i.Engine) {
		s.replay = true
	}
	if !s.replay {
		s.g = probes.NewGenerator(s.opts)
	}
	return nil
}

// at is t as the recording keeps a frame's end: the session's start
// (wall clock) plus the monotonic time since, so that a replay hands out
// the event with the frame it followed, not after a later one as the
// wall clock's drift from the monotonic one may put it.
func (s *GeneratorSink) at(t time.Time) time.Time {
	if s.start.IsZero() {
		return t
	}
	return s.start.Round(0).Add(t.Sub(s.start))
}

// CountsOnly marks the sink as reading no histograms (see CountsOnly).
func (s *GeneratorSink) CountsOnly() {}

// Tick adds the tick's sends and, once a second of ticks passed, samples
// and judges it.
func (s *GeneratorSink) Tick(t Tick) {
	snap := t.Snapshot
	if snap == nil {
		return
	}
	s.mu.Lock()
	if s.origin.IsZero() {
		s.origin = snap.Start
	}
	if s.g == nil {
		s.mu.Unlock()
		return
	}
	if s.from.IsZero() {
		s.from = snap.Start
	}
	s.sent += snap.Requests + snap.Dropped
	s.late += snap.Late
	s.dropped += snap.Dropped
	if snap.End.Sub(s.from) < GeneratorSampleEvery {
		s.mu.Unlock()
		return
	}
	span := snap.End.Sub(s.from)
	smp := s.g.Sample(snap.End)
	th := s.th
	th.Late = max(th.Late, uint64(float64(s.sent)*lateShare), minLate)
	if th.RunDelay == 0 {
		// Summed over the threads: a tenth of each core's second waiting.
		th.RunDelay = time.Duration(float64(runDelayPerCore) * max(1, smp.CPU.Limit))
	}
	j := probes.Judge(smp, probes.Sends{Late: s.late, Dropped: s.dropped}, th)
	r := GeneratorReading{End: snap.End.Sub(s.origin), Span: span, Sample: smp, Sent: s.sent, Late: s.late,
		Dropped: s.dropped, Saturated: j.Saturated, Reasons: j.Reasons, Findings: j.Findings}
	was := s.cur.Saturated
	s.addLocked(r)
	s.from, s.sent, s.late, s.dropped = snap.End, 0, 0, 0
	control, at := s.control, s.at(snap.End)
	s.mu.Unlock()
	shown := r.Clone()
	control.Emit(Event{Time: at, Source: FromGenerator, Kind: GeneratorSampled, Message: readingMessage(r), Generator: &shown})
	switch {
	case j.Saturated && !was:
		control.Emit(Event{Time: at, Source: FromGenerator, Kind: GeneratorSaturated, Title: "generator-bound",
			Message: "the generator sets the pace: " + strings.Join(j.Reasons, ", ")})
	case !j.Saturated && was:
		control.Emit(Event{Time: at, Source: FromGenerator, Kind: GeneratorRecovered, Title: "generator keeps up",
			Message: "the generator keeps up again"})
	}
}

// addLocked counts a judged second in; s.mu is held.
func (s *GeneratorSink) addLocked(r GeneratorReading) {
	s.sampled += r.Span
	if r.Saturated {
		s.busy += r.Span
		for i, f := range r.Findings {
			c := s.kinds[f.Kind]
			if c == nil {
				c = &reasonCount{order: len(s.kinds)}
				s.kinds[f.Kind] = c
			}
			c.held += r.Span
			if i < len(r.Reasons) && (c.worst == "" || f.Figure > c.figure) {
				c.worst, c.figure = r.Reasons[i], f.Figure
			}
		}
	}
	kinds := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		kinds[i] = f.Kind
	}
	s.seconds = append(s.seconds, analysis.GeneratorSecond{End: r.End, Span: r.Span,
		Saturated: r.Saturated, Reasons: slices.Clone(r.Reasons), Kinds: kinds})
	s.last, s.cur = r.Sample, r.Saturation()
}

// readingMessage is a second's reading in words: "cpu 1.42 of 2 cores,
// run delay 12 ms/s, 950 sends: keeps up" or its reasons.
func readingMessage(r GeneratorReading) string {
	parts := []string{}
	if c := r.Sample.CPU; c.Available {
		parts = append(parts, fmt.Sprintf("cpu %.2f of %g cores", c.Cores, c.Limit))
	}
	if q := r.Sample.RunQueue; q.Available {
		parts = append(parts, fmt.Sprintf("run delay %.0f ms/s", q.DelayPerSecond))
	}
	parts = append(parts, fmt.Sprintf("%d sends, %d late, %d dropped", r.Sent, r.Late, r.Dropped))
	verdict := "keeps up"
	if r.Saturated {
		verdict = "sets the pace: " + strings.Join(r.Reasons, ", ")
	}
	return "generator " + strings.Join(parts, ", ") + ": " + verdict
}

// Event follows the recorded seconds in a replay (the live sink judges
// its own at each second of ticks).
func (s *GeneratorSink) Event(e Event) {
	if !s.replay || e.Source != FromGenerator || e.Kind != GeneratorSampled || e.Generator == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addLocked(e.Generator.Clone())
}

// Last is the latest sample and its judgement (zero before the first
// second). Safe for concurrent use.
func (s *GeneratorSink) Last() (probes.GeneratorSample, probes.Saturation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.cur
}

// Seconds is every second judged from the n-th on (0: all), each with
// its end's offset from the load's start (the first tick's start), for
// the thresholds on the generator. Safe for concurrent use.
func (s *GeneratorSink) Seconds(n int) []analysis.GeneratorSecond {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n >= len(s.seconds) {
		return nil
	}
	return slices.Clone(s.seconds[n:])
}

// BoundBetween is the reasons of the seconds judged saturated that
// overlap from to to (each reason once, in order), nil when none did: the
// canary's intervals judged while the generator set the pace are
// inconclusive. A second judged after the call is not seen. Safe for
// concurrent use.
func (s *GeneratorSink) BoundBetween(from, to time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	// One reason a kind, the first second's, with the seconds it held.
	var kinds []string
	first, secs := map[string]string{}, map[string]int{}
	for _, sec := range s.seconds {
		end := s.origin.Add(sec.End)
		if !sec.Saturated || !end.After(from) || !end.Add(-sec.Span).Before(to) {
			continue
		}
		for i, r := range sec.Reasons {
			k := r
			if i < len(sec.Kinds) {
				k = sec.Kinds[i]
			}
			if _, ok := first[k]; !ok {
				kinds, first[k] = append(kinds, k), r
			}
			secs[k]++
		}
	}
	out := make([]string, 0, len(kinds))
	for _, k := range kinds {
		r := first[k]
		if secs[k] > 1 {
			r += fmt.Sprintf(" (%d s)", secs[k])
		}
		out = append(out, r)
	}
	return out
}

// Finish judges the run: Result.Generator.
func (s *GeneratorSink) Finish(res *Result) {
	if res == nil {
		return
	}
	res.Generator = s.Result()
}

// Result is the run's judgement so far, nil before the first second was
// sampled. Safe for concurrent use.
func (s *GeneratorSink) Result() *GeneratorResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sampled == 0 {
		return nil
	}
	r := &GeneratorResult{SaturatedS: s.busy.Seconds(), SampledS: s.sampled.Seconds(), Reasons: []string{},
		Cgroup: s.last.Cgroup.Version, Quota: s.last.Cgroup.Quota}
	r.Saturated = s.busy > 0 && float64(s.busy) >= GeneratorBoundShare*float64(s.sampled)
	kinds := make([]string, 0, len(s.kinds))
	for k := range s.kinds {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		a, b := s.kinds[kinds[i]], s.kinds[kinds[j]]
		if a.held != b.held {
			return a.held > b.held
		}
		return a.order < b.order
	})
	for _, k := range kinds {
		c := s.kinds[k]
		r.Reasons = append(r.Reasons, fmt.Sprintf("%s (%s of %s)", c.worst, seconds(c.held), seconds(s.sampled)))
	}
	return r
}

// Close ends the probes.
func (s *GeneratorSink) Close(*Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.g != nil {
		s.g.Close()
		s.g = nil
	}
	return nil
}

// seconds writes a duration in whole seconds: "12 s".
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.0f s", d.Seconds())
}
