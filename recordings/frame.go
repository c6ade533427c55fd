package recordings

import (
	"encoding/binary"
	"errors"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
)

// Frame is one engine snapshot as the UI drew it.
type Frame struct {
	// Snapshot is what the engine measured over the frame's window. A frame
	// read without histograms (Recording.Frame with Counters) has nil
	// Latency, Service and FailedLatency. A frame of a file older than
	// format 1.2 has no FailedLatency (nil) and no transport errors by
	// version (0); one older than 1.3 no transport errors by cause; one
	// older than 1.6 no retry figures (Retries, the effective counts and
	// Effective: zero and nil, as a run without retries); one older than
	// 1.7 no connection figures (ConnectionsOpened 0, Connect nil).
	Snapshot *engine.Snapshot
	// CPU is the process's CPU use over the frame, as a share of its Procs
	// processors; CPUKnown is false when it was not measured.
	CPU      float64
	CPUKnown bool
	Procs    int
	// State is the cluster's state at the frame's end, nil when no cluster
	// is attached. Frames of an unchanged state share one value: treat it
	// as read-only.
	State *cluster.State
}

// Frame flags.
const (
	frameFlagCPU      = 1 << 0 // the CPU use was measured
	frameFlagVersions = 1 << 1 // the by-version section follows the histograms (format 1.1)
	frameFlagFailed   = 1 << 2 // the failed section follows (format 1.2): failed latency, versions' errors
	frameFlagCauses   = 1 << 3 // the causes section follows the failed one (format 1.3)
	frameFlagRetries  = 1 << 4 // the retries section follows (format 1.6)
	frameFlagConnects = 1 << 5 // the connections section follows (format 1.7)
)

// versionFlagSameLatency marks a version whose latency histogram is the
// frame's own (it answered every request of the frame): not repeated.
const versionFlagSameLatency = 1 << 0

// numErrorClasses is the number of engine error classes a frame holds.
var numErrorClasses = len(engine.ErrorClasses())

// appendFrame encodes f's snapshot (not its state) relative to origin.
func appendFrame(dst []byte, f *Frame, origin time.Time) []byte {
	s := f.Snapshot
	var flags uint64
	if f.CPUKnown {
		flags |= frameFlagCPU
	}
	if len(s.ByVersion) > 0 {
		flags |= frameFlagVersions
	}
	flags |= frameFlagFailed
	if hasCauses(s) {
		flags |= frameFlagCauses
	}
	if hasRetries(s) {
		flags |= frameFlagRetries
	}
	if s.ConnectionsOpened > 0 {
		flags |= frameFlagConnects
	}
	dst = binary.AppendUvarint(dst, flags)
	dst = binary.AppendVarint(dst, int64(s.Start.Sub(origin)))
	dst = binary.AppendUvarint(dst, uint64(max(s.End.Sub(s.Start), 0)))
	dst = binary.AppendUvarint(dst, s.Requests)
	codes := make([]int, 0, len(s.Status))
	for code := range s.Status {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	dst = binary.AppendUvarint(dst, uint64(len(codes)))
	for _, c := range codes {
		dst = binary.AppendUvarint(dst, uint64(max(c, 0)))
		dst = binary.AppendUvarint(dst, s.Status[c])
	}
	dst = binary.AppendUvarint(dst, uint64(len(s.Errors)))
	for _, n := range s.Errors {
		dst = binary.AppendUvarint(dst, n)
	}
	for _, v := range []uint64{s.BytesIn, s.BytesOut, s.Dropped, s.Late,
		uint64(max(s.LagMax, 0)), uint64(max(s.LagSum, 0))} {
		dst = binary.AppendUvarint(dst, v)
	}
	dst = binary.AppendVarint(dst, s.InFlight)
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(s.TargetRate))
	dst = binary.AppendUvarint(dst, uint64(max(s.Concurrency, 0)))
	dst = binary.AppendUvarint(dst, uint64(math.Round(max(f.CPU, 0)*1e4)))
	dst = binary.AppendUvarint(dst, uint64(max(f.Procs, 0)))
	dst = appendHistogram(dst, s.Latency)
	dst = appendHistogram(dst, s.Service)
	if flags&frameFlagVersions != 0 {
		dst = appendVersions(dst, s)
	}
	dst = appendFailed(dst, s)
	if flags&frameFlagCauses != 0 {
		dst = appendCauses(dst, s)
	}
	if flags&frameFlagRetries != 0 {
		dst = appendRetries(dst, s)
	}
	if flags&frameFlagConnects != 0 {
		dst = binary.AppendUvarint(dst, s.ConnectionsOpened)
		dst = appendHistogram(dst, s.Connect)
	}
	return dst
}

// hasRetries reports whether s has any retry figure: the engine retried
// (a frame of a run without retries has none, and no retries section).
func hasRetries(s *engine.Snapshot) bool {
	return s.Retries != 0 || s.EffectiveRequests != 0 || s.EffectiveFailed != 0 || s.RetriesBudgetExhausted != 0 ||
		(s.Effective != nil && s.Effective.TotalCount() > 0)
}

// appendRetries encodes the retries section: the retries, the effective
// requests, the effective failed, the requests whose retry the budget
// refused, then the effective latency histogram.
func appendRetries(dst []byte, s *engine.Snapshot) []byte {
	dst = binary.AppendUvarint(dst, s.Retries)
	dst = binary.AppendUvarint(dst, s.EffectiveRequests)
	dst = binary.AppendUvarint(dst, s.EffectiveFailed)
	dst = binary.AppendUvarint(dst, s.RetriesBudgetExhausted)
	return appendHistogram(dst, s.Effective)
}

// decodeRetries decodes the retries section into s; with hist false its
// histogram is skipped (Effective left nil).
func decodeRetries(d *decoder, s *engine.Snapshot, sc *frameScratch, hist bool) error {
	s.Retries, s.EffectiveRequests = d.uvarint(), d.uvarint()
	s.EffectiveFailed, s.RetriesBudgetExhausted = d.uvarint(), d.uvarint()
	eff := d.bytes()
	if d.err != nil || !hist {
		return d.err
	}
	var err error
	s.Effective, err = sc.decodeAs(eff, func(a *engine.Snapshot) **hdrhistogram.Histogram { return &a.Effective })
	return err
}

// hasCauses reports whether s counts any transport error by cause.
func hasCauses(s *engine.Snapshot) bool {
	return s.Causes != [engine.NumErrorClasses][engine.NumErrorCauses]uint64{}
}

// appendCauses encodes the causes section: the number N of non-zero
// counts, then N triples of class, cause and count.
func appendCauses(dst []byte, s *engine.Snapshot) []byte {
	var n uint64
	for c := range s.Causes {
		for _, v := range s.Causes[c] {
			if v > 0 {
				n++
			}
		}
	}
	dst = binary.AppendUvarint(dst, n)
	for c := range s.Causes {
		for k, v := range s.Causes[c] {
			if v > 0 {
				dst = binary.AppendUvarint(dst, uint64(c))
				dst = binary.AppendUvarint(dst, uint64(k))
				dst = binary.AppendUvarint(dst, v)
			}
		}
	}
	return dst
}

// decodeCauses decodes the causes section into s. A class the reader does
// not know was counted as other, and so are its causes; a cause it does not
// know is unclassified; a class it does not count by cause is skipped.
func decodeCauses(d *decoder, s *engine.Snapshot) error {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return errCorrupt
	}
	for range n {
		class, cause, v := d.uvarint(), d.uvarint(), d.uvarint()
		if class >= uint64(engine.NumErrorClasses) {
			class = uint64(engine.ErrOther)
		}
		if cause >= uint64(engine.NumErrorCauses) {
			cause = uint64(engine.CauseUnclassified)
		}
		if engine.ErrorClass(class).Detailed() {
			s.Causes[class][cause] += v
		}
	}
	return d.err
}

// appendFailed encodes the failed section: the failed requests' latency
// histogram, then each version's transport errors, in the order of
// appendVersions.
func appendFailed(dst []byte, s *engine.Snapshot) []byte {
	dst = appendHistogram(dst, s.FailedLatency)
	if len(s.ByVersion) == 0 {
		return dst
	}
	for _, name := range s.Versions() {
		dst = binary.AppendUvarint(dst, s.ByVersion[name].Errors)
	}
	return dst
}

// appendVersions encodes s.ByVersion in version order: the count, then
// per version its name, requests, failures, flags and latency histogram.
func appendVersions(dst []byte, s *engine.Snapshot) []byte {
	names := s.Versions()
	dst = binary.AppendUvarint(dst, uint64(len(names)))
	for _, name := range names {
		vs := s.ByVersion[name]
		dst = binary.AppendUvarint(dst, uint64(len(name)))
		dst = append(dst, name...)
		dst = binary.AppendUvarint(dst, vs.Requests)
		dst = binary.AppendUvarint(dst, vs.Failed)
		if vs.Requests == s.Requests && sameHistogram(vs.Latency, s.Latency) {
			dst = binary.AppendUvarint(dst, versionFlagSameLatency)
			continue
		}
		dst = binary.AppendUvarint(dst, 0)
		dst = appendHistogram(dst, vs.Latency)
	}
	return dst
}

// sameHistogram reports whether a and b hold the same values (an empty
// histogram and nil are the same).
func sameHistogram(a, b *hdrhistogram.Histogram) bool {
	if a == nil || b == nil {
		return (a == nil || a.TotalCount() == 0) && (b == nil || b.TotalCount() == 0)
	}
	return a.Equals(b)
}

// appendHistogram encodes a histogram's non-empty buckets, length-prefixed
// so that a reader can skip it: count, then (index delta, count) pairs.
func appendHistogram(dst []byte, h *hdrhistogram.Histogram) []byte {
	var body []byte
	if h != nil && h.TotalCount() > 0 {
		counts := h.Export().Counts
		n := 0
		for _, c := range counts {
			if c > 0 {
				n++
			}
		}
		body = binary.AppendUvarint(body, uint64(n))
		prev := 0
		for i, c := range counts {
			if c > 0 {
				body = binary.AppendUvarint(body, uint64(i-prev))
				prev = i
			}
		}
		for _, c := range counts {
			if c > 0 {
				body = binary.AppendUvarint(body, uint64(c))
			}
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(body)))
	return append(dst, body...)
}

// errCorrupt reports an entry that does not decode.
var errCorrupt = errors.New("corrupt entry")

// decoder reads varints from a byte slice, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) fixed64() uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.err = errCorrupt
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// bytes reads a length-prefixed byte string.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return nil
	}
	b := d.b[:n]
	d.b = d.b[n:]
	return b
}

// layout is what frames are decoded against: the header's start, which
// frame times are offsets from, and the histograms' geometry.
type layout struct {
	origin  time.Time
	geo     Geometry
	buckets int  // the geometry's number of buckets
	engine  bool // the geometry is the engine's: histograms can have packed twins

	once   sync.Once
	values []int64 // each bucket's lowest value, to record into it
}

func newLayout(origin time.Time, g Geometry) *layout {
	n := len(hdrhistogram.New(g.Lowest, g.Highest, int(g.Digits)).Export().Counts)
	return &layout{origin: origin, geo: g, buckets: n, engine: g == engineGeometry()}
}

// bucketValues returns each bucket's lowest value (nil if the histogram
// library numbers its buckets unexpectedly), computed on first use.
func (lay *layout) bucketValues() []int64 {
	lay.once.Do(func() {
		g := lay.geo
		ones := make([]int64, lay.buckets)
		for i := range ones {
			ones[i] = 1
		}
		bars := hdrhistogram.Import(&hdrhistogram.Snapshot{LowestTrackableValue: g.Lowest, HighestTrackableValue: g.Highest,
			SignificantFigures: g.Digits, Counts: ones}).Distribution()
		if len(bars) == len(ones) {
			lay.values = make([]int64, len(bars))
			for i, b := range bars {
				lay.values[i] = b.From
			}
		}
	})
	return lay.values
}

// frameTimes decodes only a frame's window, for indexing.
func frameTimes(b []byte, origin time.Time) (start, end time.Time, err error) {
	d := decoder{b: b}
	d.uvarint()
	off := d.varint()
	length := d.uvarint()
	if d.err != nil || length > math.MaxInt64 {
		return time.Time{}, time.Time{}, errCorrupt
	}
	start = origin.Add(time.Duration(off))
	return start, start.Add(time.Duration(length)), nil
}

// decodeFrame decodes a frame's snapshot; with hist false its histograms
// are skipped (left nil). Fields after the known ones (a newer minor
// version's) are ignored.
func decodeFrame(b []byte, lay *layout, hist bool) (Frame, error) {
	var f Frame
	err := decodeFrameInto(b, lay, hist, &f, nil)
	return f, err
}

// frameScratch is what decoding a frame into a reused one draws on: the
// histograms its snapshot had, reset for reuse, and the packed twins to
// fill (nil for none).
type frameScratch struct {
	lay    *layout
	spare  []*hdrhistogram.Histogram
	packed *engine.Packed
	// add, when set, is an accumulator the histograms are added into in
	// place of new ones (SnapshotMerger).
	add *engine.Snapshot
}

// histogram returns an empty histogram of the layout's geometry, a spare
// one when there is one, and its packed twin (nil when none is kept).
func (sc *frameScratch) histogram() (*hdrhistogram.Histogram, *hdrhistogram.PackedHistogram) {
	var h *hdrhistogram.Histogram
	if n := len(sc.spare); n > 0 {
		h, sc.spare = sc.spare[n-1], sc.spare[:n-1]
		h.Reset()
	} else {
		h = sc.lay.newHistogram()
	}
	if sc.packed == nil {
		return h, nil
	}
	return h, sc.packed.Twin(h)
}

// decodeAs decodes the histogram encoded in b as decode does or, when
// the scratch adds into an accumulator (add), adds its buckets to the
// accumulator's histogram in the same place (field), made when it has
// none, and returns that one.
func (sc *frameScratch) decodeAs(b []byte, field func(*engine.Snapshot) **hdrhistogram.Histogram) (*hdrhistogram.Histogram, error) {
	if sc.add == nil {
		return sc.decode(b)
	}
	dst := field(sc.add)
	if len(b) == 0 {
		return *dst, nil
	}
	if *dst == nil {
		*dst = sc.lay.newHistogram()
	}
	return *dst, decodeHistogramInto(*dst, nil, b, sc.lay)
}

// decode decodes the histogram encoded in b into a new or spare one.
func (sc *frameScratch) decode(b []byte) (*hdrhistogram.Histogram, error) {
	h, twin := sc.histogram()
	if err := decodeHistogramInto(h, twin, b, sc.lay); err != nil {
		return nil, err
	}
	return h, nil
}

// decodeFrameInto decodes a frame into f as decodeFrame does, reusing
// f.Snapshot's histograms, status map and version map when it has one;
// with p not nil (and hist), p is made to hold the histograms' packed
// twins when the layout allows them, and is left empty otherwise.
func decodeFrameInto(b []byte, lay *layout, hist bool, f *Frame, p *engine.Packed) error {
	return decodeFrameWith(b, &frameScratch{lay: lay}, hist, f, p)
}

// decodeFrameWith is decodeFrameInto with the scratch sc (its layout,
// and its accumulator when it adds into one).
func decodeFrameWith(b []byte, sc *frameScratch, hist bool, f *Frame, p *engine.Packed) error {
	lay := sc.lay
	origin := lay.origin
	d := decoder{b: b}
	s := f.Snapshot
	if s == nil {
		s = &engine.Snapshot{Status: map[int]uint64{}}
	} else {
		sc.spare = spareHistograms(s)
		status, versions := s.Status, s.ByVersion
		clear(status)
		clear(versions)
		*s = engine.Snapshot{Status: status, ByVersion: versions}
		if s.Status == nil {
			s.Status = map[int]uint64{}
		}
	}
	*f = Frame{Snapshot: s}
	if p != nil {
		p.Reset()
		if hist && lay.engine && lay.bucketValues() != nil {
			sc.packed = p
		}
	}
	flags := d.uvarint()
	s.Start = origin.Add(time.Duration(d.varint()))
	s.End = s.Start.Add(time.Duration(d.uvarint()))
	s.Requests = d.uvarint()
	nStatus := d.uvarint()
	if nStatus > uint64(len(d.b)) {
		return errCorrupt
	}
	for range nStatus {
		code, n := d.uvarint(), d.uvarint()
		if code > math.MaxInt32 {
			return errCorrupt
		}
		s.Status[int(code)] += n
	}
	nErr := d.uvarint()
	if nErr > uint64(len(d.b)) {
		return errCorrupt
	}
	for i := range nErr {
		n := d.uvarint()
		if int(i) < len(s.Errors) {
			s.Errors[i] = n
		} else {
			s.Errors[engine.ErrOther] += n // an unknown class counts as other
		}
	}
	s.BytesIn, s.BytesOut, s.Dropped, s.Late = d.uvarint(), d.uvarint(), d.uvarint(), d.uvarint()
	s.LagMax, s.LagSum = duration(d.uvarint()), duration(d.uvarint())
	s.InFlight = d.varint()
	s.TargetRate = math.Float64frombits(d.fixed64())
	s.Concurrency = int(min(d.uvarint(), math.MaxInt32))
	f.CPU = float64(d.uvarint()) / 1e4
	f.CPUKnown = flags&frameFlagCPU != 0
	f.Procs = int(min(d.uvarint(), math.MaxInt32))
	lat, svc := d.bytes(), d.bytes()
	if d.err != nil {
		return d.err
	}
	if hist {
		var err1, err2 error
		s.Latency, err1 = sc.decodeAs(lat, func(a *engine.Snapshot) **hdrhistogram.Histogram { return &a.Latency })
		s.Service, err2 = sc.decodeAs(svc, func(a *engine.Snapshot) **hdrhistogram.Histogram { return &a.Service })
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
	}
	var versions []*engine.VersionStats
	if flags&frameFlagVersions != 0 {
		var err error
		if versions, err = decodeVersions(&d, s, lat, sc, hist); err != nil {
			return err
		}
	}
	if flags&frameFlagFailed == 0 {
		return nil
	}
	if err := decodeFailed(&d, s, versions, sc, hist); err != nil {
		return err
	}
	if flags&frameFlagCauses != 0 {
		if err := decodeCauses(&d, s); err != nil {
			return err
		}
	}
	if flags&frameFlagRetries != 0 {
		if err := decodeRetries(&d, s, sc, hist); err != nil {
			return err
		}
	}
	if flags&frameFlagConnects != 0 {
		return decodeConnects(&d, s, sc, hist)
	}
	return nil
}

// decodeConnects decodes the connections section into s: the connections
// opened, then their opening times' histogram (skipped, Connect left nil,
// with hist false).
func decodeConnects(d *decoder, s *engine.Snapshot, sc *frameScratch, hist bool) error {
	s.ConnectionsOpened = d.uvarint()
	conn := d.bytes()
	if d.err != nil || !hist {
		return d.err
	}
	var err error
	s.Connect, err = sc.decodeAs(conn, func(a *engine.Snapshot) **hdrhistogram.Histogram { return &a.Connect })
	return err
}

// spareHistograms are the histograms of s, for reuse.
func spareHistograms(s *engine.Snapshot) []*hdrhistogram.Histogram {
	spare := make([]*hdrhistogram.Histogram, 0, 5+len(s.ByVersion))
	for _, h := range []*hdrhistogram.Histogram{s.Latency, s.Service, s.FailedLatency, s.Effective, s.Connect} {
		if h != nil {
			spare = append(spare, h)
		}
	}
	for _, vs := range s.ByVersion {
		if vs.Latency != nil {
			spare = append(spare, vs.Latency)
		}
	}
	return spare
}

// decodeFailed decodes the failed section into s; versions are s's
// entries in the order the by-version section named them.
func decodeFailed(d *decoder, s *engine.Snapshot, versions []*engine.VersionStats, sc *frameScratch, hist bool) error {
	failed := d.bytes()
	for _, vs := range versions {
		vs.Errors += d.uvarint()
	}
	if d.err != nil {
		return d.err
	}
	if !hist {
		return nil
	}
	var err error
	s.FailedLatency, err = sc.decodeAs(failed, func(a *engine.Snapshot) **hdrhistogram.Histogram { return &a.FailedLatency })
	return err
}

// decodeVersions decodes the by-version section into s and returns its
// entries in the section's order; lat is the frame's latency histogram,
// for the versions that share it. A file naming more
// versions than engine.MaxVersions (none this package writes) gets the
// rest counted under engine.OtherVersion, as the engine would, so a frame
// never holds more histograms than that.
func decodeVersions(d *decoder, s *engine.Snapshot, lat []byte, sc *frameScratch, hist bool) ([]*engine.VersionStats, error) {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		return nil, errCorrupt
	}
	if s.ByVersion == nil {
		s.ByVersion = make(map[string]*engine.VersionStats, min(n, engine.MaxVersions+2))
	}
	order := make([]*engine.VersionStats, 0, n)
	for range n {
		name := string(d.bytes())
		vs := s.VersionEntry(name)
		order = append(order, vs)
		vs.Requests += d.uvarint()
		vs.Failed += d.uvarint()
		body := lat
		if d.uvarint()&versionFlagSameLatency == 0 {
			body = d.bytes()
		}
		if d.err != nil {
			return nil, d.err
		}
		if !hist {
			continue
		}
		if sc.add != nil { // into the accumulator's entry of that version
			acc := sc.add.VersionEntry(name)
			if acc.Latency == nil {
				acc.Latency = sc.lay.newHistogram()
			}
			if err := decodeHistogramInto(acc.Latency, nil, body, sc.lay); err != nil {
				return nil, err
			}
			continue
		}
		var twin *hdrhistogram.PackedHistogram
		switch {
		case vs.Latency == nil:
			vs.Latency, twin = sc.histogram()
		case sc.packed != nil: // OtherVersion's, decoded into again
			twin = sc.packed.Twin(vs.Latency)
		}
		if err := decodeHistogramInto(vs.Latency, twin, body, sc.lay); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// duration converts a stored nanosecond count, saturating.
func duration(v uint64) time.Duration { return time.Duration(min(v, math.MaxInt64)) }

// newHistogram returns an empty histogram of the layout's geometry.
func (lay *layout) newHistogram() *hdrhistogram.Histogram {
	g := lay.geo
	return hdrhistogram.New(g.Lowest, g.Highest, int(g.Digits))
}

// decodeHistogramInto adds the buckets encoded in b to h, and to its
// packed twin when it has one (not nil).
func decodeHistogramInto(h *hdrhistogram.Histogram, twin *hdrhistogram.PackedHistogram, b []byte, lay *layout) error {
	if len(b) == 0 {
		return nil
	}
	d := decoder{b: b}
	n := d.uvarint()
	if n > uint64(len(b)) {
		return errCorrupt
	}
	limit := lay.buckets
	idx := make([]int, 0, n)
	cnt := make([]int64, 0, n)
	at := uint64(0)
	for range n {
		at += d.uvarint()
		if d.err != nil || at >= uint64(limit) {
			return errCorrupt
		}
		idx = append(idx, int(at))
	}
	for range n {
		c := d.uvarint()
		if d.err != nil || c > math.MaxInt64/2 {
			return errCorrupt
		}
		cnt = append(cnt, int64(c))
	}
	if values := lay.bucketValues(); values != nil {
		for i, ix := range idx {
			if h.RecordValues(values[ix], cnt[i]) != nil {
				return errCorrupt
			}
			if twin != nil && twin.RecordValues(values[ix], cnt[i]) != nil {
				return errCorrupt
			}
		}
		return nil
	}
	last := 0
	if len(idx) > 0 {
		last = idx[len(idx)-1]
	}
	counts := make([]int64, last+1)
	for i, ix := range idx {
		counts[ix] += cnt[i]
	}
	g := lay.geo
	h.Merge(hdrhistogram.Import(&hdrhistogram.Snapshot{
		LowestTrackableValue: g.Lowest, HighestTrackableValue: g.Highest,
		SignificantFigures: g.Digits, Counts: counts,
	}))
	return nil
}

// validGeometry reports a geometry that hdrhistogram builds without a huge
// allocation: the engine's, or one close to it.
func validGeometry(g Geometry) bool {
	return g.Lowest >= 1 && g.Lowest < g.Highest && g.Highest <= 1<<40 &&
		g.Digits >= 1 && g.Digits <= 4 && g.Highest/g.Lowest >= 2
}
