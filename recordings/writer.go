package recordings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
)

// DefaultFlushEvery is how often a Writer writes what it buffered.
const DefaultFlushEvery = time.Second

// flushSize writes a block early once this much is buffered.
const flushSize = 256 << 10

// maxRetry bounds what a failing writer keeps to write once it can.
const maxRetry = 8 << 20

// Writer appends a session to a recording. Its methods are safe for
// concurrent use and never block on the disk: entries are buffered and a
// goroutine writes them as one compressed block at least every FlushEvery
// (and at Close). A write error (a full disk) is reported to OnWarning and
// the data kept to write once the disk takes it again (up to 8 MiB); the
// session goes on either way.
type Writer struct {
	path   string
	out    io.Writer
	file   *os.File // out, when it is a file: synced and truncated back on errors
	origin time.Time
	every  time.Duration
	warn   func(error)
	enc    *zstd.Encoder

	mu        sync.Mutex
	buf       []byte // entries of the block being filled
	scratch   []byte
	lastState []byte
	frames    int
	closed    bool

	wmu     sync.Mutex // serializes writes; guards the fields below
	retry   []byte     // entries a failed write could not store
	failing bool
	lost    int // bytes of entries dropped while failing

	written atomic.Int64 // bytes stored
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	err     error // Close's result
}

// Option configures a Writer.
type Option func(*Writer)

// FlushEvery sets how often buffered entries are written (DefaultFlushEvery
// when 0 or less). A killed process loses at most this much.
func FlushEvery(d time.Duration) Option { return func(w *Writer) { w.every = d } }

// OnWarning sets a function told, from the writer's goroutine, when writing
// fails (a full disk) and when it works again. Without it failures are
// silent; Close still reports a final one.
func OnWarning(f func(error)) Option { return func(w *Writer) { w.warn = f } }

// DefaultPath is where a session of the given name started at start is
// recorded in dir: dir/20260304-101500-name.scalelab.
func DefaultPath(dir string, start time.Time, name string) string {
	return filepath.Join(dir, start.Format("20060102-150405")+"-"+name+Extension)
}

// Create creates the recording file at path (and its folder) and writes
// the header. It fails when the file exists.
func Create(path string, h Header, opts ...Option) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	w, err := newWriter(f, f, path, h, opts)
	if err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, err
	}
	return w, nil
}

// CreateIn creates a recording in dir at DefaultPath(dir, h.Start, name),
// adding -2, -3, ... to the name while that file exists.
func CreateIn(dir, name string, h Header, opts ...Option) (*Writer, error) {
	base := name
	for i := 2; ; i++ {
		w, err := Create(DefaultPath(dir, h.Start, name), h, opts...)
		if !errors.Is(err, fs.ErrExist) || i > 100 {
			return w, err
		}
		name = base + "-" + strconv.Itoa(i)
	}
}

// NewWriter writes a recording to out; Close does not close it.
func NewWriter(out io.Writer, h Header, opts ...Option) (*Writer, error) {
	return newWriter(out, nil, "", h, opts)
}

func newWriter(out io.Writer, file *os.File, path string, h Header, opts []Option) (*Writer, error) {
	// A block is about flushSize: a window of twice that finds every match
	// a larger one would, and the default's (8 MiB of history, allocated
	// at the first block) was a third of a loaded run's heap.
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBetterCompression),
		zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true), zstd.WithEncoderCRC(false),
		zstd.WithWindowSize(2*flushSize))
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	w := &Writer{path: path, out: out, file: file, origin: h.Start, every: DefaultFlushEvery, enc: enc,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	for _, o := range opts {
		o(w)
	}
	if w.every <= 0 {
		w.every = DefaultFlushEvery
	}
	h.Format = ""
	h.Histogram = engineGeometry()
	if h.Thresholds == nil {
		h.Thresholds = []Threshold{} // 1.5: a reader takes null for an older file's
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("record: header: %w", err)
	}
	first := appendRecord([]byte(versionLine()), recHeader, hdr)
	if _, err := out.Write(first); err != nil {
		return nil, fmt.Errorf("record %s: %w", path, err)
	}
	w.written.Store(int64(len(first)))
	go w.loop()
	return w, nil
}

// Path is the file's path ("" for NewWriter).
func (w *Writer) Path() string { return w.path }

// Bytes is the number of bytes stored so far.
func (w *Writer) Bytes() int64 { return w.written.Load() }

// Frames is the number of frames taken so far.
func (w *Writer) Frames() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.frames
}

// Frame adds one frame, and the cluster's state when it changed. The
// snapshot is encoded before Frame returns: the caller may change it after.
func (w *Writer) Frame(f Frame) {
	if f.Snapshot == nil {
		return
	}
	var state []byte
	if f.State != nil {
		state, _ = json.Marshal(f.State)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	if state != nil && !bytes.Equal(state, w.lastState) {
		w.buf = appendEntry(w.buf, entState, state)
		w.lastState = state
	}
	w.scratch = appendFrame(w.scratch[:0], &f, w.origin)
	w.buf = appendEntry(w.buf, entFrame, w.scratch)
	w.frames++
	w.kickIfFull()
}

// Event adds one event.
func (w *Writer) Event(e Event) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	w.add(entEvent, b)
}

// Summary adds the closing summary: the JSON the session printed.
func (w *Writer) Summary(js []byte) error {
	if !json.Valid(js) {
		return errors.New("record: summary: not JSON")
	}
	w.add(entSummary, js)
	return nil
}

func (w *Writer) add(kind byte, payload []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.buf = appendEntry(w.buf, kind, payload)
	w.kickIfFull()
}

// kickIfFull asks for an early write of a large block; w.mu is held.
func (w *Writer) kickIfFull() {
	if len(w.buf) >= flushSize {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// Close writes what is buffered and closes the file. It returns the error
// of that last write, if any, and is idempotent.
func (w *Writer) Close() error {
	w.once.Do(func() {
		close(w.stop)
		<-w.done
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		w.err = w.flush()
		if w.file != nil {
			if err := w.file.Close(); err != nil && w.err == nil {
				w.err = fmt.Errorf("record %s: %w", w.path, err)
			}
		}
		w.enc.Close()
	})
	return w.err
}

// loop writes a block every FlushEvery, or earlier when one is full.
func (w *Writer) loop() {
	defer close(w.done)
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-w.kick:
		case <-w.stop:
			return
		}
		_ = w.flush()
	}
}

// flush writes the buffered entries as one block.
func (w *Writer) flush() error {
	w.mu.Lock()
	raw := w.buf
	w.buf = nil
	w.mu.Unlock()
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if len(w.retry) > 0 {
		raw = append(w.retry, raw...)
		w.retry = nil
	}
	if len(raw) == 0 {
		return nil
	}
	rec := appendRecord(nil, recBlock, w.enc.EncodeAll(raw, nil))
	err := w.write(rec)
	if err != nil {
		if len(raw) <= maxRetry {
			w.retry = raw
		} else {
			w.lost += len(raw)
		}
		if !w.failing {
			w.failing = true
			cause := err
			if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
				cause = pe.Err // the path is said once
			}
			w.tell(fmt.Errorf("recording %s: %w (the session goes on; the recording keeps trying)", w.name(), cause))
		}
		return fmt.Errorf("record %s: %w", w.name(), err)
	}
	if w.failing {
		w.failing = false
		msg := "recording " + w.name() + ": writing again"
		if w.lost > 0 {
			msg += fmt.Sprintf(", %d bytes of it lost", w.lost)
		}
		w.tell(errors.New(msg))
	}
	return nil
}

// write stores one record, or takes a partial write back.
func (w *Writer) write(rec []byte) error {
	_, err := w.out.Write(rec)
	if err == nil && w.file != nil {
		err = w.file.Sync()
		if errors.Is(err, os.ErrInvalid) {
			err = nil // a device or a pipe: nothing to sync
		}
	}
	if err != nil {
		if w.file != nil {
			_ = w.file.Truncate(w.written.Load()) // O_APPEND: the next write goes there
		}
		return err
	}
	w.written.Add(int64(len(rec)))
	return nil
}

func (w *Writer) name() string {
	if w.path == "" {
		return "stream"
	}
	return w.path
}

func (w *Writer) tell(err error) {
	if w.warn != nil {
		w.warn(err)
	}
}
