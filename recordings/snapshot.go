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
