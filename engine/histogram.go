package engine

import "github.com/HdrHistogram/hdrhistogram-go"

// Packed holds a snapshot's histograms in packed form
// (hdrhistogram.PackedHistogram: the buckets in use only), so that
// merging or copying the snapshot (MergePacked, CopyFromPacked) adds each
// histogram's buckets in use directly instead of walking its ~23,500
// dense buckets (Merge walks them up to the largest value, through the
// library's iterator). Packing a snapshot (Pack) scans each of its
// histograms once; a decoder that knows the buckets fills the packed
// form as it goes (Twin). One Packed serves any number of merges and
// copies of its snapshot: a session packs a tick once and copies it to
// every sink. The zero value is empty and ready; it keeps its memory from
// one snapshot to the next. A Packed is the form of its snapshot's
// histograms as they were when it was filled: pack again after they
// change.
type Packed struct {
	twins map[*hdrhistogram.Histogram]*hdrhistogram.PackedHistogram
	spare []*hdrhistogram.PackedHistogram
}

// Reset empties p, keeping its memory.
func (p *Packed) Reset() {
	for _, t := range p.twins {
		t.Reset()
		p.spare = append(p.spare, t)
	}
	clear(p.twins)
}

// Pack makes p hold s's histograms (those of its versions too) in packed
// form. A histogram of another geometry than NewHistogram's is left
// unpacked: merging s then walks it as Merge does.
func (p *Packed) Pack(s *Snapshot) {
	p.Reset()
	p.pack(s.Latency)
	p.pack(s.Service)
	p.pack(s.FailedLatency)
	p.pack(s.Effective)
	p.pack(s.Connect)
	for _, vs := range s.ByVersion {
		p.pack(vs.Latency)
	}
}

// pack adds h's packed twin, filled from h.
func (p *Packed) pack(h *hdrhistogram.Histogram) {
	if h == nil || !engineGeometry(h) {
		return
	}
	if _, ok := p.twins[h]; ok {
		return // a histogram shared by two of the snapshot's fields
	}
	t := p.Twin(h)
	if h.TotalCount() > 0 {
		t.MergeFrom(h)
	}
}

// Twin returns the packed histogram that stands for h in p, an empty new
// one when h has none yet, for a decoder that records every value it
// records into h into it too: h must be empty when its twin is new, of
// NewHistogram's geometry, and get the same records as the twin. A
// histogram that has no twin in p is merged by walking it.
func (p *Packed) Twin(h *hdrhistogram.Histogram) *hdrhistogram.PackedHistogram {
	if t := p.twins[h]; t != nil {
		return t
	}
	if p.twins == nil {
		p.twins = map[*hdrhistogram.Histogram]*hdrhistogram.PackedHistogram{}
	}
	var t *hdrhistogram.PackedHistogram
	if n := len(p.spare); n > 0 {
		t, p.spare = p.spare[n-1], p.spare[:n-1]
	} else {
		t = hdrhistogram.NewPacked(histLowest, histHighest, histSigFigs)
	}
	p.twins[h] = t
	return t
}

// twin is h's packed twin, nil when it has none (or p is nil).
func (p *Packed) twin(h *hdrhistogram.Histogram) *hdrhistogram.PackedHistogram {
	if p == nil || h == nil {
		return nil
	}
	return p.twins[h]
}

// engineGeometry reports a histogram of NewHistogram's geometry.
func engineGeometry(h *hdrhistogram.Histogram) bool {
	return h.LowestTrackableValue() == histLowest && h.HighestTrackableValue() == histHighest &&
		h.SignificantFigures() == histSigFigs
}

// mergeHist adds src into *dst (a new histogram when nil) exactly, from
// src's packed twin in p when it has one (of src's total: a cheap check
// that src did not change since), else through the library's Merge. A
// nil src adds nothing.
func mergeHist(dst **hdrhistogram.Histogram, src *hdrhistogram.Histogram, p *Packed) {
	if *dst == nil {
		*dst = NewHistogram()
	}
	if src == nil || src.TotalCount() == 0 {
		return
	}
	if t := p.twin(src); t != nil && t.TotalCount() == src.TotalCount() {
		t.MergeInto(*dst)
		return
	}
	(*dst).Merge(src)
}
