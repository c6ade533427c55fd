package recordings

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
)

// Detail says how much of a frame to decode.
type Detail int

// The details.
const (
	// Full decodes the frame with its latency histograms.
	Full Detail = iota
	// Counters leaves the histograms out: much faster, for frames whose
	// percentiles are not needed.
	Counters
)

// Recording is an opened recording: the header, events and summary in
// memory, and an index of the frames, which are decoded on demand. Its
// methods are safe for concurrent use.
type Recording struct {
	// Header describes the session.
	Header Header
	// Summary is the closing summary's JSON, nil when the session did not
	// close (the process was killed).
	Summary json.RawMessage
	// Events are the session's events in the order they were recorded.
	Events []Event
	// Problems says what could not be read ("frame 1042: truncated (...)"),
	// empty for an intact file.
	Problems []string
	// HeaderDamage says, in one line, why the header could not be read
	// and what of it is lost ("the header is damaged (checksum mismatch):
	// ..."), empty when it was read. Then Header holds only what is known
	// without it: Format, the Histogram geometry scalelab writes, Start
	// when the closing summary or the events tell it (else zero), Cluster
	// "unknown" when the frames have a cluster state; the rest is empty.
	HeaderDamage string

	// startLost is set while a file whose header is lost is indexed: the
	// start is estimated from the events (see estimate).
	startLost bool
	estimate  time.Time
	pending   []time.Time // times of the events since the last frame
	hasState  bool

	src    io.ReaderAt
	closer io.Closer
	lay    *layout
	blocks []block
	spans  []span // each frame's window, offsets from the header's start

	mu    sync.Mutex
	dec   *zstd.Decoder
	cache []decoded // the most recently decoded blocks, newest last
}

// block is one indexed block of entries.
type block struct {
	off    int64 // its payload's offset in the file
	size   int   // its payload's length
	first  int   // index of its first frame
	frames int
	state  []byte // the cluster state in effect at its start (JSON), nil if none
}

// span is a frame's window as offsets from the header's start.
type span struct{ start, end time.Duration }

// decoded is a block's entries, split: each frame's encoding and the
// cluster state in effect at it.
type decoded struct {
	block  int
	frames [][]byte
	states []*cluster.State
}

// cacheBlocks is the number of decoded blocks kept.
const cacheBlocks = 4

// Open reads the recording at path. A file that is not a recording (a
// directory, a FIFO, a device, a socket: anything but a regular file, or a
// symbolic link to one) is an error, refused before it is opened, so a
// FIFO never blocks and a device is never read; so is one whose version
// line cannot be read (a *VersionError for a newer major format version).
// Damage after the version line is not: a damaged header is reported in
// HeaderDamage, what can be read after it is indexed and the rest reported
// in Problems.
func Open(path string) (*Recording, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := regular(path, st); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if st, err = f.Stat(); err != nil {
		_ = f.Close()
		return nil, err
	}
	if err := regular(path, st); err != nil { // replaced since the first look
		_ = f.Close()
		return nil, err
	}
	r, err := Read(f, st.Size())
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.closer = f
	return r, nil
}

// regular refuses a file that is not a regular one, naming what it is.
func regular(path string, st fs.FileInfo) error {
	var what string
	switch m := st.Mode(); {
	case m.IsRegular():
		return nil
	case m.IsDir():
		what = "is a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "is a FIFO (a named pipe)"
	case m&fs.ModeSocket != 0:
		what = "is a socket"
	case m&fs.ModeCharDevice != 0:
		what = "is a character device"
	case m&fs.ModeDevice != 0:
		what = "is a block device"
	default:
		what = "is not a regular file (" + m.Type().String() + ")"
	}
	return fmt.Errorf("%s: %s, not a recording file", path, what)
}

// ReadBytes reads a recording held in memory.
func ReadBytes(b []byte) (*Recording, error) { return Read(bytes.NewReader(b), int64(len(b))) }

// Read reads a recording of size bytes from src, which must stay readable
// while the Recording is used.
func Read(src io.ReaderAt, size int64) (*Recording, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(maxBlock))
	if err != nil {
		return nil, err
	}
	r := &Recording{src: src, dec: dec}
	off, err := r.readHeader(size)
	if err != nil {
		dec.Close()
		return nil, err
	}
	r.scan(off, size)
	if r.startLost {
		r.recoverStart()
	}
	return r, nil
}

// Close releases the file and the decoder.
func (r *Recording) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dec != nil {
		r.dec.Close()
		r.dec = nil
	}
	if r.closer != nil {
		err := r.closer.Close()
		r.closer = nil
		return err
	}
	return nil
}

// readHeader reads the version line and the header record, and returns
// the offset after them.
func (r *Recording) readHeader(size int64) (int64, error) {
	first := make([]byte, min(size, maxVersionLine))
	if _, err := r.src.ReadAt(first, 0); err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	nl := bytes.IndexByte(first, '\n')
	switch {
	case size == 0:
		return 0, fmt.Errorf("%w: the file is empty", ErrNotRecording)
	case nl < 0 && len(first) < maxVersionLine && (bytes.HasPrefix(first, []byte(versionPrefix)) ||
		bytes.HasPrefix([]byte(versionPrefix), first)):
		return 0, fmt.Errorf("%w: truncated before its header", ErrNotRecording)
	case nl < 0:
		return 0, ErrNotRecording
	}
	major, minor, err := parseVersion(string(first[:nl]))
	if err != nil {
		return 0, err
	}
	off := int64(nl + 1)
	r.Header.Format = fmt.Sprintf("%d.%d", major, minor)
	kind, payload, next, problem := r.record(off, size)
	switch {
	case problem != "":
		next = r.resync(off+1, size) // its framing is broken too
	case kind != recHeader:
		problem, next = "the first record is not a header", off
	default:
		var h Header
		if err := json.Unmarshal(payload, &h); err != nil {
			problem = "unreadable: " + err.Error()
			break
		}
		if !validGeometry(h.Histogram) {
			problem = fmt.Sprintf("histogram geometry %+v: not one scalelab writes", h.Histogram)
			break
		}
		h.Format = r.Header.Format
		r.Header = h
		r.lay = newLayout(r.Header.Start, r.Header.Histogram)
		return next, nil
	}
	return r.lostHeader(next, size, problem)
}

// lostHeader reads on at next after a header record that cannot be read
// (problem says why). A file with no record after it is refused.
func (r *Recording) lostHeader(next, size int64, problem string) (int64, error) {
	if next >= size {
		return 0, fmt.Errorf("header: %s, and no block after it", problem)
	}
	r.Header.Histogram = engineGeometry() // the only one scalelab writes
	r.lay = newLayout(time.Time{}, r.Header.Histogram)
	r.HeaderDamage = "the header is damaged (" + problem + ")"
	r.startLost = true
	return next, nil
}

// recoverStart completes the header of a file whose header is lost, once
// it is indexed, with what the closing summary tells (the command, the
// target, the load model, and the load's start: the first frame's, to the
// millisecond), else with the start estimated from the events, and
// completes HeaderDamage with what is lost.
func (r *Recording) recoverStart() {
	var sum struct {
		Command string    `json:"command"`
		Target  string    `json:"target"`
		Model   string    `json:"model"`
		Start   time.Time `json:"start"`
	}
	if r.Summary != nil {
		_ = json.Unmarshal(r.Summary, &sum)
	}
	h := &r.Header
	h.Command, h.Target, h.Model = sum.Command, sum.Target, sum.Model
	lost := "its command line and settings are lost"
	if h.Target == "" {
		lost += ", and so are the target and the load model"
	} else {
		lost += "; the target and the load model are the closing summary's"
	}
	switch {
	case len(r.spans) > 0 && !sum.Start.IsZero():
		h.Start = sum.Start.Add(-r.spans[0].start)
		lost += "; the start time is the closing summary's"
	case !r.estimate.IsZero():
		h.Start = r.estimate
		lost += "; the start time is estimated from the events' times (to within a frame)"
	default:
		lost += "; the start time is unknown: times are shown from the year 1"
	}
	if r.hasState {
		h.Cluster = "unknown"
		lost += "; a cluster was attached, of an unknown kind"
	}
	r.lay = newLayout(h.Start, h.Histogram)
	r.HeaderDamage += ": " + lost
	r.startLost, r.pending = false, nil
}

// record reads the record at off: its kind and payload and the next
// record's offset, or a problem ("truncated", "checksum mismatch").
func (r *Recording) record(off, size int64) (kind byte, payload []byte, next int64, problem string) {
	if size-off < recordHeaderLen {
		return 0, nil, 0, "truncated"
	}
	var hdr [recordHeaderLen]byte
	if _, err := r.src.ReadAt(hdr[:], off); err != nil {
		return 0, nil, 0, "unreadable: " + err.Error()
	}
	if !bytes.Equal(hdr[:4], recordMagic[:]) {
		return 0, nil, 0, "no record starts here"
	}
	n := int64(binary.LittleEndian.Uint32(hdr[5:9]))
	if n > maxRecord {
		return 0, nil, 0, fmt.Sprintf("record length %d out of range", n)
	}
	if size-off-recordHeaderLen < n {
		return 0, nil, 0, "truncated"
	}
	payload = make([]byte, n)
	if _, err := r.src.ReadAt(payload, off+recordHeaderLen); err != nil && !errors.Is(err, io.EOF) {
		return 0, nil, 0, "unreadable: " + err.Error()
	}
	crc := crc32.Update(0, castagnoli, hdr[4:9])
	crc = crc32.Update(crc, castagnoli, payload)
	if crc != binary.LittleEndian.Uint32(hdr[9:13]) {
		return 0, nil, 0, "checksum mismatch"
	}
	return hdr[4], payload, off + recordHeaderLen + n, ""
}

// scan indexes the records from off to size, noting what it cannot read.
func (r *Recording) scan(off, size int64) {
	var state []byte
	for off < size {
		kind, payload, next, problem := r.record(off, size)
		if problem == "truncated" {
			r.problem("truncated (the last %d bytes are an incomplete block)", size-off)
			return
		}
		if problem != "" {
			skip := r.resync(off+1, size)
			r.problem("damaged block at byte %d (%s): %d bytes skipped", off, problem, skip-off)
			off = skip
			continue
		}
		if kind == recBlock {
			state = r.index(off+recordHeaderLen, payload, state)
		}
		// Other kinds are a newer minor version's: skipped.
		off = next
	}
}

// problem notes what could not be read, at the next frame's number.
func (r *Recording) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf("frame %d: ", len(r.spans)+1)+fmt.Sprintf(format, args...))
}

// resync finds the next record's start from off, or size.
func (r *Recording) resync(off, size int64) int64 {
	const chunk = 64 << 10
	buf := make([]byte, chunk+len(recordMagic))
	for off < size {
		n, _ := r.src.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if n <= 0 {
			return size
		}
		if i := bytes.Index(buf[:n], recordMagic[:]); i >= 0 {
			return off + int64(i)
		}
		if int64(n) < int64(len(buf)) {
			return size
		}
		off += chunk
	}
	return size
}

// index reads one block's entries: frame windows, events, states and the
// summary. state is the cluster state in effect before it; index returns
// the one in effect after.
func (r *Recording) index(off int64, payload []byte, state []byte) []byte {
	raw, err := r.dec.DecodeAll(payload, nil)
	if err != nil {
		r.problem("damaged block at byte %d (%v): skipped", off-recordHeaderLen, err)
		return state
	}
	b := block{off: off, size: len(payload), first: len(r.spans), state: state}
	rest := raw
	for len(rest) > 0 {
		kind, p, next, ok := nextEntry(rest)
		if !ok {
			r.problem("damaged entry in the block at byte %d: the rest of the block skipped", off-recordHeaderLen)
			break
		}
		rest = next
		switch kind {
		case entFrame:
			start, end, err := frameTimes(p, r.lay.origin)
			if err != nil {
				r.problem("damaged frame in the block at byte %d: the rest of the block skipped", off-recordHeaderLen)
				rest = nil
				break
			}
			r.spans = append(r.spans, span{start.Sub(r.lay.origin), end.Sub(r.lay.origin)})
			b.frames++
			if r.startLost {
				r.estimateStart(r.spans[len(r.spans)-1].end)
			}
		case entState:
			state = bytes.Clone(p)
			r.hasState = true
		case entEvent:
			var e Event
			if err := json.Unmarshal(p, &e); err != nil {
				r.problem("unreadable event skipped: %v", err)
				continue
			}
			r.Events = append(r.Events, e)
			if r.startLost {
				r.pending = append(r.pending, e.Time)
			}
		case entSummary:
			if json.Valid(p) {
				r.Summary = bytes.Clone(p)
			}
		}
		// Other kinds are a newer minor version's: skipped.
	}
	if b.frames > 0 {
		r.blocks = append(r.blocks, b)
	}
	return state
}

// estimateStart narrows the estimated start of a file whose header is
// lost with the events written before the frame ending at end (from the
// start): each happened before that frame was taken, at the end of its
// window, so the start is at least its time less end. The estimate is the
// latest such bound: early by the time from that event to that frame's
// end, at most a frame's window, or late by the little time a frame takes
// to be written after its window's end.
func (r *Recording) estimateStart(end time.Duration) {
	for _, t := range r.pending {
		if b := t.Add(-end); b.After(r.estimate) {
			r.estimate = b
		}
	}
	r.pending = r.pending[:0]
}

// Len is the number of frames.
func (r *Recording) Len() int { return len(r.spans) }

// Closed reports a session that closed normally: the file has its summary.
func (r *Recording) Closed() bool { return r.Summary != nil }

// Origin is the first frame's start (the load's start), or the header's
// start when there is no frame.
func (r *Recording) Origin() time.Time {
	if len(r.spans) == 0 {
		return r.Header.Start
	}
	return r.lay.origin.Add(r.spans[0].start)
}

// Duration is the time from Origin to the last frame's end.
func (r *Recording) Duration() time.Duration {
	if len(r.spans) == 0 {
		return 0
	}
	return r.spans[len(r.spans)-1].end - r.spans[0].start
}

// FrameEnd is the end of frame i's window.
func (r *Recording) FrameEnd(i int) time.Time { return r.lay.origin.Add(r.spans[i].end) }

// Seek returns the index of the frame that position d (time from Origin)
// falls in: the first frame ending after d, or Len() past the end.
func (r *Recording) Seek(d time.Duration) int {
	if len(r.spans) == 0 {
		return 0
	}
	at := r.spans[0].start + d
	return sort.Search(len(r.spans), func(i int) bool { return r.spans[i].end > at })
}

// Frame decodes frame i (0 <= i < Len()). Its state is shared with the
// frames of the same state: read it, do not change it.
func (r *Recording) Frame(i int, detail Detail) (Frame, error) {
	var f Frame
	if err := r.FrameInto(i, detail, &f, nil); err != nil {
		return Frame{}, err
	}
	return f, nil
}

// FrameInto decodes frame i as Frame does into f, reusing the histograms,
// status map and version map of f.Snapshot when it has one (a new
// snapshot otherwise): a replay that decodes frame after frame into one
// Frame allocates no histograms once it has the frames' shape. What f
// held before is gone, and so is what was handed out of it. With p not
// nil and detail Full, p is made to hold the frame's histograms in packed
// form, filled as they are decoded (see engine.Packed), when the file's
// histograms have the engine's geometry, and is left empty otherwise: a
// merge or copy of the frame's snapshot with p (engine.Snapshot.MergePacked)
// then costs the buckets in use. On an error f and p hold part of the
// frame.
func (r *Recording) FrameInto(i int, detail Detail, f *Frame, p *engine.Packed) error {
	if i < 0 || i >= len(r.spans) {
		return fmt.Errorf("frame %d: out of range (%d frames)", i+1, len(r.spans))
	}
	bi := sort.Search(len(r.blocks), func(j int) bool { return r.blocks[j].first+r.blocks[j].frames > i })
	r.mu.Lock()
	d, err := r.decodeBlock(bi)
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("frame %d: %w", i+1, err)
	}
	k := i - r.blocks[bi].first
	if err := decodeFrameInto(d.frames[k], r.lay, detail == Full, f, p); err != nil {
		return fmt.Errorf("frame %d: %w", i+1, err)
	}
	f.State = d.states[k]
	return nil
}

// decodeBlock returns block bi split into its frames, from the cache or
// decompressed; r.mu is held.
func (r *Recording) decodeBlock(bi int) (*decoded, error) {
	for k := len(r.cache) - 1; k >= 0; k-- {
		if r.cache[k].block == bi {
			return &r.cache[k], nil
		}
	}
	if r.dec == nil {
		return nil, errors.New("recording closed")
	}
	b := r.blocks[bi]
	payload := make([]byte, b.size)
	if _, err := r.src.ReadAt(payload, b.off); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	raw, err := r.dec.DecodeAll(payload, nil)
	if err != nil {
		return nil, err
	}
	state, err := parseState(b.state)
	if err != nil {
		return nil, err
	}
	d := decoded{block: bi, frames: make([][]byte, 0, b.frames), states: make([]*cluster.State, 0, b.frames)}
	for rest := raw; len(rest) > 0 && len(d.frames) < b.frames; {
		kind, p, next, ok := nextEntry(rest)
		if !ok {
			break
		}
		rest = next
		switch kind {
		case entState:
			if state, err = parseState(p); err != nil {
				return nil, err
			}
		case entFrame:
			d.frames = append(d.frames, p)
			d.states = append(d.states, state)
		}
	}
	if len(d.frames) != b.frames {
		return nil, errors.New("block changed since it was indexed")
	}
	r.cache = append(r.cache, d)
	if len(r.cache) > cacheBlocks {
		r.cache = r.cache[1:]
	}
	return &r.cache[len(r.cache)-1], nil
}

// parseState decodes a state entry (nil for none).
func parseState(p []byte) (*cluster.State, error) {
	if p == nil {
		return nil, nil
	}
	var s cluster.State
	if err := json.Unmarshal(p, &s); err != nil {
		return nil, fmt.Errorf("cluster state: %w", err)
	}
	return &s, nil
}

// Total merges every frame: what the whole session measured, for a
// summary when the file has none.
func (r *Recording) Total() (*engine.Snapshot, error) {
	total := engine.NewSnapshot()
	var f Frame
	var p engine.Packed
	for i := range r.spans {
		if err := r.FrameInto(i, Full, &f, &p); err != nil {
			return total, err
		}
		total.MergePacked(f.Snapshot, &p)
	}
	return total, nil
}
