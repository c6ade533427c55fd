package engine

import "github.com/HdrHistogram/hdrhistogram-go"

// CopyFrom makes s an exact copy of o, reusing s's histograms, status map
// and version entries: a consumer that is handed a copy of each tick
// allocates nothing once its copy has the shape of the ticks. s shares
// nothing with o afterwards.
func (s *Snapshot) CopyFrom(o *Snapshot) { s.CopyFromPacked(o, nil) }

// CopyFromPacked is CopyFrom with o's histograms taken from p, which
// holds them in packed form (see MergePacked): the same copy, at the cost
// of clearing s's histograms and adding the buckets in use. p may be nil.
func (s *Snapshot) CopyFromPacked(o *Snapshot, p *Packed) {
	s.emptyFor(o, true)
	s.MergePacked(o, p)
}

// CopyCounts makes s a copy of o without its histograms: the window,
// the gauges, the counters and each version's counts, every histogram
// nil (each version's Latency too). It reuses s's status map and version
// entries; s shares nothing with o afterwards.
func (s *Snapshot) CopyCounts(o *Snapshot) {
	s.emptyFor(o, false)
	s.Start, s.End = o.Start, o.End
	s.InFlight, s.TargetRate, s.Concurrency = o.InFlight, o.TargetRate, o.Concurrency
	s.MergeCounts(o)
}

// emptyFor empties s for a copy of o, keeping what it can reuse: its
// status map, the entries of the versions o has (the others deleted; no
// map when o has no split) and, with hist, its histograms, emptied;
// without hist every histogram is nil.
func (s *Snapshot) emptyFor(o *Snapshot, hist bool) {
	c := Snapshot{Status: s.Status}
	clear(c.Status)
	if hist {
		c.Latency, c.Service, c.FailedLatency = resetHist(s.Latency), resetHist(s.Service), resetHist(s.FailedLatency)
		c.Effective, c.Connect = resetHist(s.Effective), resetHist(s.Connect)
	}
	if len(o.ByVersion) > 0 {
		c.ByVersion = s.ByVersion
		for name, vs := range c.ByVersion {
			if _, ok := o.ByVersion[name]; !ok {
				delete(c.ByVersion, name)
				continue
			}
			lat := vs.Latency
			*vs = VersionStats{}
			if hist {
				vs.Latency = resetHist(lat)
			}
		}
	}
	*s = c
}

// resetHist empties h for reuse (nil stays nil: Merge allocates it).
func resetHist(h *hdrhistogram.Histogram) *hdrhistogram.Histogram {
	if h != nil {
		h.Reset()
	}
	return h
}

// Clone returns an exact copy of s that shares nothing with it.
func (s *Snapshot) Clone() *Snapshot {
	c := NewSnapshot()
	c.CopyFrom(s)
	return c
}
