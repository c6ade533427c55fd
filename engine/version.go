package engine

import (
	"cmp"
	"slices"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// MaxVersions bounds the versions counted one by one, in a snapshot and in
// each of the engine's recording stripes: requests of any further version
// are counted under OtherVersion, so that a target naming a new version in
// every answer cannot grow the engine's memory.
const MaxVersions = 16

// OtherVersion is the name under which the versions beyond MaxVersions are
// counted (a version that is really called so shares its entry).
const OtherVersion = "other"

// UnknownVersion is the name under which a split counts the requests
// without a version (see Snapshot.ByVersion), so that it sums to the
// snapshot's requests. It never counts against MaxVersions, and a version
// that is really called so shares its entry.
const UnknownVersion = "unknown"

// maxVersionLen bounds a version's length in bytes; a longer one is cut.
const maxVersionLen = 64

// The stripes keep latencies as uint32 microseconds: the histograms'
// highest value must fit.
const _ = uint32(histHighest)

// VersionStats is what one version of the service answered over a
// snapshot's window.
type VersionStats struct {
	// Requests counts the requests the version answered: with Balance,
	// those sent to its endpoints; otherwise those answered with its name
	// in VersionHeader.
	Requests uint64
	// Errors counts those of them that were transport errors (no HTTP
	// answer), as Snapshot.TotalErrors does; Failed those that failed
	// (transport errors and 5xx answers), as Snapshot.Failed does:
	// Requests-Failed of them were available.
	Errors, Failed uint64
	// Latency is the histogram of their latency in microseconds, timed as
	// Snapshot.Latency and of the same geometry. It is nil in a snapshot
	// that only MergeCounts filled.
	Latency *hdrhistogram.Histogram
}

// versionCounts is what a stripe accumulates for one version between two
// ticks. Latencies are kept as values and recorded into the snapshot's
// histogram by the collector: a histogram per stripe and version would
// take 188 KB each (times two for the spare counts), 4 bytes a request
// take far less at any rate the engine reaches.
type versionCounts struct {
	errors, failed uint64
	lat            []uint32 // microseconds, clamped to the histograms' range
}

// addVersion counts one request answered by version v (not empty) with
// latency us, already clamped, that failed or not, as a transport error
// or not. It allocates only for a version new to the stripe.
func (c *counts) addVersion(v []byte, us int64, failed, transport bool) {
	if len(v) > maxVersionLen {
		v = v[:maxVersionLen]
	}
	vc := c.versions[string(v)]
	if vc == nil {
		vc = c.newVersion(string(v))
	}
	vc.lat = append(vc.lat, uint32(us))
	if failed {
		vc.failed++
	}
	if transport {
		vc.errors++
	}
}

// newVersion adds the entry of a version new to the stripe, or returns
// OtherVersion's when MaxVersions others are there (after dropping the
// entries of versions unseen since the last tick).
func (c *counts) newVersion(name string) *versionCounts {
	if c.versions == nil {
		c.versions = map[string]*versionCounts{}
	}
	if name != OtherVersion && namedVersions(c.versions) >= MaxVersions {
		for k, vc := range c.versions {
			if len(vc.lat) == 0 {
				delete(c.versions, k)
			}
		}
		if namedVersions(c.versions) >= MaxVersions {
			name = OtherVersion
			if vc := c.versions[name]; vc != nil {
				return vc
			}
		}
	}
	vc := &versionCounts{}
	c.versions[name] = vc
	return vc
}

// resetVersions empties the versions' counts for the next tick, keeping
// the entries seen in this one (and their memory) and dropping the others.
func (c *counts) resetVersions() {
	for k, vc := range c.versions {
		if len(vc.lat) == 0 {
			delete(c.versions, k)
			continue
		}
		vc.lat, vc.errors, vc.failed = vc.lat[:0], 0, 0
	}
}

// addVersionCounts adds a stripe's versions to a snapshot.
func addVersionCounts(snap *Snapshot, c *counts) {
	for name, vc := range c.versions {
		if len(vc.lat) == 0 {
			continue
		}
		vs := snap.VersionEntry(name)
		vs.Requests += uint64(len(vc.lat))
		vs.Errors += vc.errors
		vs.Failed += vc.failed
		if vs.Latency == nil {
			vs.Latency = NewHistogram()
		}
		for _, us := range vc.lat {
			_ = vs.Latency.RecordValue(int64(us))
		}
	}
}

// fillUnknown adds to a snapshot fresh from the stripes, when it has a
// split, the entry of the requests without a version: the snapshot's
// counts and latency minus its versions'.
func (s *Snapshot) fillUnknown() {
	if len(s.ByVersion) == 0 {
		return
	}
	var requests, errs, failed uint64
	lats := make([]*hdrhistogram.Histogram, 0, len(s.ByVersion))
	for _, vs := range s.ByVersion {
		requests += vs.Requests
		errs += vs.Errors
		failed += vs.Failed
		lats = append(lats, vs.Latency)
	}
	if requests >= s.Requests {
		return
	}
	u := s.VersionEntry(UnknownVersion)
	u.Requests += s.Requests - requests
	u.Errors += s.TotalErrors() - errs
	u.Failed += s.Failed() - failed
	if u.Latency == nil {
		u.Latency = subtract(s.Latency, lats...)
	} else {
		u.Latency.Merge(subtract(s.Latency, lats...))
	}
}

// namedVersions counts the entries of m other than OtherVersion's and
// UnknownVersion's.
func namedVersions[V any](m map[string]V) int {
	n := len(m)
	for _, name := range [...]string{OtherVersion, UnknownVersion} {
		if _, ok := m[name]; ok {
			n--
		}
	}
	return n
}

// VersionEntry returns s's entry for version name, adding it when missing:
// beyond MaxVersions names, the entry is OtherVersion's (UnknownVersion's
// is always its own).
func (s *Snapshot) VersionEntry(name string) *VersionStats {
	if vs := s.ByVersion[name]; vs != nil {
		return vs
	}
	if s.ByVersion == nil {
		s.ByVersion = map[string]*VersionStats{}
	}
	if name != OtherVersion && name != UnknownVersion && namedVersions(s.ByVersion) >= MaxVersions {
		name = OtherVersion
		if vs := s.ByVersion[name]; vs != nil {
			return vs
		}
	}
	vs := &VersionStats{}
	s.ByVersion[name] = vs
	return vs
}

// mergeVersions adds o's versions into s, their histograms too when hist
// is set (copied: s never shares o's). When the two hold more than
// MaxVersions names, they are taken in name order, so that which ones are
// counted under OtherVersion does not depend on map order. o's histograms
// are taken from p when it holds them (see MergePacked; p may be nil).
func (s *Snapshot) mergeVersions(o *Snapshot, hist bool, p *Packed) {
	add := func(name string, ov *VersionStats) {
		vs := s.VersionEntry(name)
		vs.Requests += ov.Requests
		vs.Errors += ov.Errors
		vs.Failed += ov.Failed
		if hist {
			mergeHist(&vs.Latency, ov.Latency, p)
		}
	}
	switch {
	case len(o.ByVersion) == 0 && (len(s.ByVersion) == 0 || o.Requests == 0):
		return
	case len(o.ByVersion) == 0:
		add(UnknownVersion, o.allUnknown(hist))
		return
	case len(s.ByVersion) == 0 && s.Requests > 0:
		all := s.allUnknown(hist)
		if all.Latency != nil {
			all.Latency = all.Latency.Clone() // s's own, which o's merge changes next
		}
		add(UnknownVersion, all)
	}
	if len(s.ByVersion)+len(o.ByVersion) <= MaxVersions {
		for name, ov := range o.ByVersion {
			add(name, ov)
		}
		return
	}
	names := make([]string, 0, len(o.ByVersion))
	for name := range o.ByVersion {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		add(name, o.ByVersion[name])
	}
}

// allUnknown is s, which has no split, as the entry of a split: every
// request without a version. Its Latency is s's (nil without hist).
func (s *Snapshot) allUnknown(hist bool) *VersionStats {
	vs := &VersionStats{Requests: s.Requests, Errors: s.TotalErrors(), Failed: s.Failed()}
	if hist {
		vs.Latency = s.Latency
	}
	return vs
}

// Versions returns the names in s.ByVersion in version order (numbers in
// names compare as numbers: v2 before v10), OtherVersion and
// UnknownVersion last.
func (s *Snapshot) Versions() []string {
	names := make([]string, 0, len(s.ByVersion))
	for name := range s.ByVersion {
		names = append(names, name)
	}
	slices.SortFunc(names, CompareVersionNames)
	return names
}

// CompareVersionNames orders the names of a split by version: as
// CompareVersions, then OtherVersion, UnknownVersion last. It returns -1,
// 0 or +1.
func CompareVersionNames(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == UnknownVersion:
		return 1
	case b == UnknownVersion:
		return -1
	case a == OtherVersion:
		return 1
	case b == OtherVersion:
		return -1
	}
	return CompareVersions(a, b)
}

// CompareVersions orders version names as people read them: runs of
// digits compare as numbers (v2 before v10, 1.9 before 1.10), the rest
// byte by byte; names equal so (v1, v01) compare byte by byte. It returns
// -1, 0 or +1.
func CompareVersions(a, b string) int {
	if c := compareNatural(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// compareNatural compares a and b with runs of digits as numbers.
func compareNatural(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

// digitRun is the length of the run of ASCII digits that starts s.
func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
