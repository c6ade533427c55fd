package agent

import (
	"math"
	"slices"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/recordings"
)

// Merged is one tick of the run: every agent's snapshot of that tick
// added up (engine.Snapshot.Merge: counters summed, histograms bucket by
// bucket), and the agents that had not delivered it when it went out
// (still running, but late or cut off).
type Merged struct {
	Index    int
	Snapshot *engine.Snapshot
	Missing  []int
}

// DefaultLag is how many ticks past a tick the newest agent may be
// before that tick goes out without the agents still missing from it.
const DefaultLag = 4

// Merger adds the agents' ticks up, as they come encoded from their
// streams (recordings.AppendSnapshot relative to the run's start): each
// is decoded straight into its tick (recordings.SnapshotMerger), at the
// cost of the buckets it holds. An agent's snapshot belongs to tick k
// when its start is k intervals after the run's start (rounded), on the
// run's clock: the agents encode their times relative to it. A tick
// goes out once every agent still running delivered it (or a later
// one), or once an agent is lag ticks past it; a snapshot that comes
// after its tick went out is added to the next one, so that the ticks
// always add up to everything the agents sent. Not safe for concurrent
// use.
type Merger struct {
	start    time.Time
	interval time.Duration
	lag      int

	dec     *recordings.SnapshotMerger
	pending map[int]*pendingTick
	next    int
	newest  []int    // by agent: the newest tick delivered, -1 before one
	done    []bool   // by agent: ended or lost
	dropped []bool   // by agent: lost (Drop)
	last    []gauges // by agent: its gauges in the latest tick out that had it
	late    *engine.Snapshot
}

// pendingTick is a tick being added up.
type pendingTick struct {
	snap *engine.Snapshot
	from []bool // by agent: delivered
	// gauges are by agent its latest snapshot's in the tick: an agent
	// that made two snapshots of one tick counts once in its gauges.
	gauges []gauges
}

// gauges are a snapshot's gauges (engine.Snapshot.Merge sums them
// over snapshots that overlap) and its end.
type gauges struct {
	end         time.Time
	inFlight    int64
	concurrency int
	targetRate  float64
}

// keep records agent a's gauges from s, the later snapshot's winning.
func (t *pendingTick) keep(a int, s *engine.Snapshot) {
	if g := &t.gauges[a]; g.end.IsZero() || !s.End.Before(g.end) {
		*g = gauges{end: s.End, inFlight: s.InFlight, concurrency: s.Concurrency, targetRate: s.TargetRate}
	}
}

// setGauges makes the tick's gauges the sum of each agent's latest in
// it; an agent not in it counts with its gauges of before (last): late,
// it still sends (and has in flight) what it did; ended, its model
// stands as the engine's does after its window, with none in flight.
// A dropped (lost) agent counts for nothing: its share is the others'.
func (m *Merger) setGauges(t *pendingTick) {
	var g gauges
	for a := range t.gauges {
		own := t.gauges[a]
		switch {
		case !own.end.IsZero():
			m.last[a] = own
		case m.dropped[a]:
			continue
		case m.done[a]:
			own = m.last[a]
			own.inFlight = 0
		default:
			own = m.last[a]
		}
		g.inFlight += own.inFlight
		g.concurrency += own.concurrency
		g.targetRate += own.targetRate
	}
	t.snap.InFlight, t.snap.Concurrency, t.snap.TargetRate = g.inFlight, g.concurrency, g.targetRate
}

// NewMerger returns the merger of agents agents' ticks of interval from
// start, lag ticks of patience (0: DefaultLag).
func NewMerger(agents int, start time.Time, interval time.Duration, lag int) *Merger {
	if lag <= 0 {
		lag = DefaultLag
	}
	m := &Merger{start: start, interval: interval, lag: lag, dec: recordings.NewSnapshotMerger(start), pending: map[int]*pendingTick{},
		newest: make([]int, agents), done: make([]bool, agents), dropped: make([]bool, agents), last: make([]gauges, agents)}
	for i := range m.newest {
		m.newest[i] = -1
	}
	return m
}

// index is the tick a snapshot that starts at start belongs to.
func (m *Merger) index(start time.Time) int {
	k := math.Round(float64(start.Sub(m.start)) / float64(m.interval))
	return max(int(k), 0)
}

// Add adds agent a's snapshot encoded in frame and returns the ticks it
// completed, in order; a frame that does not decode is an error (the
// agent's stream is then to be taken as cut).
func (m *Merger) Add(a int, frame []byte) ([]Merged, error) {
	if a < 0 || a >= len(m.done) {
		return nil, nil
	}
	start, err := m.dec.Start(frame)
	if err != nil {
		return nil, err
	}
	k := m.index(start)
	var into *engine.Snapshot
	if k < m.next {
		if m.late == nil {
			m.late = engine.NewSnapshot()
		}
		into = m.late
	} else {
		t := m.pending[k]
		if t == nil {
			t = &pendingTick{snap: engine.NewSnapshot(), from: make([]bool, len(m.done)), gauges: make([]gauges, len(m.done))}
			m.pending[k] = t
		}
		t.from[a] = true
		into = t.snap
	}
	if err := m.dec.Merge(into, frame); err != nil {
		return nil, err
	}
	if t := m.pending[k]; t != nil && into == t.snap {
		t.keep(a, m.dec.Counts())
	}
	m.newest[a] = max(m.newest[a], k)
	return m.ready(), nil
}

// Counts is the counters of the snapshot Add added last (no histograms),
// valid until the next Add.
func (m *Merger) Counts() *engine.Snapshot { return m.dec.Counts() }

// End says agent a ended (its last tick delivered) or was lost, and
// returns the ticks no longer waiting for it.
func (m *Merger) End(a int) []Merged {
	if a >= 0 && a < len(m.done) {
		m.done[a] = true
	}
	return m.ready()
}

// Drop says agent a was lost: as End, and from then on the ticks'
// gauges do not count it (its share went to the others, or the run
// stops).
func (m *Merger) Drop(a int) []Merged {
	if a >= 0 && a < len(m.dropped) {
		m.dropped[a] = true
	}
	return m.End(a)
}

// Flush hands out every tick still pending, the run over.
func (m *Merger) Flush() []Merged {
	var out []Merged
	for len(m.pending) > 0 {
		for m.pending[m.next] == nil {
			m.next++
		}
		out = append(out, m.emit())
	}
	if m.late != nil {
		out = append(out, Merged{Index: m.next, Snapshot: m.late})
		m.late = nil
		m.next++
	}
	return out
}

// ready hands out the ticks from next on that are complete, passing over
// an index no agent delivered once every agent is past it.
func (m *Merger) ready() []Merged {
	var out []Merged
	for len(m.pending) > 0 && m.complete(m.next) {
		if m.pending[m.next] == nil {
			m.next++
			continue
		}
		out = append(out, m.emit())
	}
	return out
}

// complete reports whether tick k may go out: every agent delivered it,
// is past it or is done, or one is lag ticks past it.
func (m *Merger) complete(k int) bool {
	if slices.Max(m.newest) >= k+m.lag {
		return true
	}
	t := m.pending[k]
	for a := range m.done {
		if m.done[a] || m.newest[a] > k || t != nil && t.from[a] {
			continue
		}
		return false
	}
	return true
}

// emit hands out tick next, which is pending, with the late snapshots.
func (m *Merger) emit() Merged {
	k := m.next
	t := m.pending[k]
	delete(m.pending, k)
	m.next++
	if m.late != nil {
		t.snap.Merge(m.late) // its gauges are of earlier ticks: the tick's own stand
		m.late = nil
	}
	m.setGauges(t)
	var missing []int
	for a, got := range t.from {
		if !got && !m.done[a] && m.newest[a] <= k {
			missing = append(missing, a)
		}
	}
	return Merged{Index: k, Snapshot: t.snap, Missing: missing}
}
