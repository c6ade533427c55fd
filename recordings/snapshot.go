package recordings

import (
	"time"

	"github.com/scalelab/scalelab/engine"
)

// AppendSnapshot appends s encoded as a frame of a recording is (its
// times relative to origin, its histograms' buckets in the engine's
// geometry), without CPU or cluster state: the unit of a stream of
// snapshots between processes (an agent's frames), exact and mergeable
// as the engine's.
func AppendSnapshot(dst []byte, s *engine.Snapshot, origin time.Time) []byte {
	return appendFrame(dst, &Frame{Snapshot: s}, origin)
}

// DecodeSnapshot decodes a snapshot AppendSnapshot encoded relative to
// origin (the decoder's clock may differ from the encoder's: the times
// are offsets from origin), or says why it cannot.
func DecodeSnapshot(b []byte, origin time.Time) (*engine.Snapshot, error) {
	f, err := decodeFrame(b, newLayout(origin, engineGeometry()), true)
	if err != nil {
		return nil, err
	}
	return f.Snapshot, nil
}

// SnapshotMerger adds snapshots AppendSnapshot encoded relative to one
// origin into running ones, decoding and adding in one pass: each costs
// the buckets it holds, not its histograms' size (a controller adds up
// hundreds of agents' ticks a second). Not safe for concurrent use.
type SnapshotMerger struct {
	lay    *layout
	counts Frame // the counters' scratch
	hists  Frame // the histograms' pass's scratch (its histograms are the accumulator's)
}

// NewSnapshotMerger returns the merger of snapshots encoded relative to
// origin.
func NewSnapshotMerger(origin time.Time) *SnapshotMerger {
	lay := newLayout(origin, engineGeometry())
	lay.bucketValues()
	return &SnapshotMerger{lay: lay}
}

// Start is when the window of the snapshot encoded in b starts.
func (m *SnapshotMerger) Start(b []byte) (time.Time, error) {
	start, _, err := frameTimes(b, m.lay.origin)
	return start, err
}

// Merge adds the snapshot encoded in b into acc, as acc.Merge would add
// it decoded: counters summed, gauges and window as Merge keeps them,
// histograms bucket by bucket (acc's own, made where it has none). A
// snapshot whose counters do not decode adds nothing; one with a damaged
// histogram may have added its counters and the histograms before it:
// the caller then takes the stream as cut.
func (m *SnapshotMerger) Merge(acc *engine.Snapshot, b []byte) error {
	if err := decodeFrameInto(b, m.lay, false, &m.counts, nil); err != nil {
		return err
	}
	acc.Merge(m.counts.Snapshot) // no histograms: the counters, gauges and window
	sc := frameScratch{lay: m.lay, add: acc}
	err := decodeFrameWith(b, &sc, true, &m.hists, nil)
	// The scratch must not keep acc's histograms: its next decode would
	// take them for spares.
	s := m.hists.Snapshot
	s.Latency, s.Service, s.FailedLatency, s.Effective, s.Connect = nil, nil, nil, nil, nil
	for _, vs := range s.ByVersion {
		vs.Latency = nil
	}
	return err
}

// Counts is the counters, gauges and window of the snapshot Merge added
// last (its histograms left out), valid until the next Merge: what one
// agent's tick held, for its own totals.
func (m *SnapshotMerger) Counts() *engine.Snapshot { return m.counts.Snapshot }
