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
	lat, svc, failed, eff, conn := s.Latency, s.Service, s.FailedLatency, s.Effective, s.Connect
	status, versions := s.Status, s.ByVersion
	*s = Snapshot{}
	s.Latency, s.Service, s.FailedLatency = resetHist(lat), resetHist(svc), resetHist(failed)
	s.Effective, s.Connect = resetHist(eff), resetHist(conn)
	clear(status)
	s.Status = status
	s.ByVersion = reuseVersions(versions, o, true)
	s.MergePacked(o, p)
}

// CopyCounts makes s a copy of o without its histograms: the window,
// the gauges, the counters and each version's counts, every histogram
// nil (each version's Latency too). It reuses s's status map and version
// entries; s shares nothing with o afterwards.
func (s *Snapshot) CopyCounts(o *Snapshot) {
	status, versions := s.Status, s.ByVersion
	*s = Snapshot{Start: o.Start, End: o.End, InFlight: o.InFlight, TargetRate: o.TargetRate, Concurrency: o.Concurrency}
	clear(status)
	s.Status = status
	s.ByVersion = reuseVersions(versions, o, false)
	s.MergeCounts(o)
}

// reuseVersions is versions made ready for a copy of o's: the entries of
// o's names emptied (their Latency emptied for reuse when hist is set,
// dropped otherwise), the others deleted; nil when o has no split.
func reuseVersions(versions map[string]*VersionStats, o *Snapshot, hist bool) map[string]*VersionStats {
	if len(o.ByVersion) == 0 {
		return nil
	}
	for name, vs := range versions {
		if _, ok := o.ByVersion[name]; !ok {
			delete(versions, name)
			continue
		}
		lat := vs.Latency
		*vs = VersionStats{}
		if hist {
			vs.Latency = resetHist(lat)
		}
	}
	return versions
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
