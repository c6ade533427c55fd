package analysis

import (
	"math"
	"slices"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/scalelab/scalelab/engine"
)

// VersionWindow is how many complete columns the split by version covers
// (five seconds at the default step): long enough to be steady, short
// enough to follow traffic moving from one version to the next.
const VersionWindow = 5

// Version is what one version of the service answered over the last
// VersionWindow complete columns.
type Version struct {
	// Name is the version's name as the engine counted it.
	Name string
	// Requests and Failed count its requests and those that failed (5xx
	// or an error).
	Requests, Failed uint64
	// Share is its fraction of the window's requests that had a version.
	Share float64
	// RPS and FailedRate are per second.
	RPS, FailedRate float64
	// P99 is its latency's 99th percentile in milliseconds, NaN without
	// requests.
	P99 float64
}

// versionColumn is one complete column's split by version.
type versionColumn struct {
	seconds float64
	split   map[string]*engine.VersionStats
}

// Versions is the split by version over the last VersionWindow complete
// columns, in version order (engine.CompareVersionNames: OtherVersion
// last): the versions that answered in it, none when no request had a
// version.
func (h *History) Versions() []Version { return h.versions }

// pushVersions takes a complete column's split (nil for a column without
// snapshots) and computes the window's.
func (h *History) pushVersions(seconds float64, split map[string]*engine.VersionStats) {
	h.vcols = append(h.vcols, versionColumn{seconds: seconds, split: split})
	if over := len(h.vcols) - VersionWindow; over > 0 {
		h.vcols = append(h.vcols[:0], h.vcols[over:]...)
	}
	h.versions = versionWindow(h.vcols, h.scratch())
}

// scratch returns the histograms versionWindow merges into, emptied: kept
// from one column to the next (one per version seen) instead of
// allocating a histogram per version every second.
func (h *History) scratch() map[string]*hdrhistogram.Histogram {
	if h.vhists == nil || len(h.vhists) > 2*engine.MaxVersions {
		h.vhists = map[string]*hdrhistogram.Histogram{}
	}
	for _, hist := range h.vhists {
		hist.Reset()
	}
	return h.vhists
}

// versionWindow sums the columns' splits, their histograms merged into
// hists (by version, empty ones; missing ones are added) for the
// percentiles.
func versionWindow(cols []versionColumn, hists map[string]*hdrhistogram.Histogram) []Version {
	var seconds float64
	acc := map[string]*Version{}
	var total uint64
	for _, c := range cols {
		seconds += c.seconds
		for name, vs := range c.split {
			v := acc[name]
			if v == nil {
				v = &Version{Name: name}
				acc[name] = v
				if hists[name] == nil {
					hists[name] = engine.NewHistogram()
				}
			}
			v.Requests += vs.Requests
			v.Failed += vs.Failed
			total += vs.Requests
			if vs.Latency != nil {
				hists[name].Merge(vs.Latency)
			}
		}
	}
	out := make([]Version, 0, len(acc))
	for name, v := range acc {
		if v.Requests == 0 {
			continue
		}
		v.Share = float64(v.Requests) / float64(total)
		if seconds > 0 {
			v.RPS, v.FailedRate = float64(v.Requests)/seconds, float64(v.Failed)/seconds
		}
		v.P99 = math.NaN()
		if hists[name].TotalCount() > 0 {
			v.P99 = engine.PercentilesOf(hists[name]).P99
		}
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b Version) int { return engine.CompareVersionNames(a.Name, b.Name) })
	return out
}
