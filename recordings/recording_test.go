package recordings

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
)

// TestRoundTrip writes a session and reads back every frame exactly: the
// counters, both histograms bucket for bucket, the CPU, the state, the
// events and the summary.
func TestRoundTrip(t *testing.T) {
	data, frames := record(t, 30*time.Second, true)
	r, err := ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(r.Problems) > 0 {
		t.Fatalf("problems reading an intact file: %v", r.Problems)
	}
	if r.Header.Format != "1.9" || r.Header.Command != "demo" || !r.Header.Start.Equal(t0) || r.Header.Window != time.Hour {
		t.Fatalf("header: %+v", r.Header)
	}
	if r.Len() != len(frames) || r.Len() != 120 {
		t.Fatalf("Len() = %d, wrote %d frames", r.Len(), len(frames))
	}
	if got := r.Duration(); got != 30*time.Second {
		t.Fatalf("Duration() = %s, want 30s", got)
	}
	for i, want := range frames {
		got, err := r.Frame(i, Full)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		checkSnapshot(t, i, got.Snapshot, want.Snapshot)
		if !got.CPUKnown || got.Procs != 2 || abs(got.CPU-want.CPU) > 1e-4 {
			t.Fatalf("frame %d: cpu %v %v %d, want %v", i, got.CPU, got.CPUKnown, got.Procs, want.CPU)
		}
		if !reflect.DeepEqual(*got.State, *want.State) {
			t.Fatalf("frame %d: state\n got %+v\nwant %+v", i, *got.State, *want.State)
		}
	}
	if len(r.Events) != 3 || r.Events[1].Message != "replica-1 ready (v1)" || !r.Events[1].Time.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("events: %+v", r.Events)
	}
	if e, ok := r.Events[0].Cluster(); !ok || e.Kind != cluster.ReplicaReady || e.Replica != "replica-1" {
		t.Fatalf("cluster event: %+v %v", e, ok)
	}
	if string(r.Summary) != `{"requests":1}` || !r.Closed() {
		t.Fatalf("summary %q", r.Summary)
	}
}

// checkSnapshot compares a decoded snapshot with the one written.
func checkSnapshot(t *testing.T, i int, got, want *engine.Snapshot) {
	t.Helper()
	if !got.Start.Equal(want.Start) || !got.End.Equal(want.End) {
		t.Fatalf("frame %d: window %s..%s, want %s..%s", i, got.Start, got.End, want.Start, want.End)
	}
	if got.Requests != want.Requests || !reflect.DeepEqual(got.Status, want.Status) || got.Errors != want.Errors ||
		got.BytesIn != want.BytesIn || got.LagMax != want.LagMax || got.LagSum != want.LagSum ||
		got.InFlight != want.InFlight || got.TargetRate != want.TargetRate {
		t.Fatalf("frame %d: counters\n got %+v\nwant %+v", i, got, want)
	}
	if !got.Latency.Equals(want.Latency) || !got.Service.Equals(want.Service) || !sameHistogram(got.FailedLatency, want.FailedLatency) {
		t.Fatalf("frame %d: histograms differ", i)
	}
	if len(got.ByVersion) != len(want.ByVersion) {
		t.Fatalf("frame %d: versions %v, want %v", i, got.Versions(), want.Versions())
	}
	for name, w := range want.ByVersion {
		g := got.ByVersion[name]
		if g == nil || g.Requests != w.Requests || g.Errors != w.Errors || g.Failed != w.Failed || !g.Latency.Equals(w.Latency) {
			t.Fatalf("frame %d: version %s: got %+v, want %+v", i, name, g, w)
		}
	}
	if engine.PercentilesOf(got.Latency) != engine.PercentilesOf(want.Latency) {
		t.Fatalf("frame %d: percentiles differ", i)
	}
}

func abs(v float64) float64 { return max(v, -v) }

// TestSeekAndCounters seeks by time and reads frames without histograms.
func TestSeekAndCounters(t *testing.T) {
	data, frames := record(t, 20*time.Second, false)
	r, err := ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Duration
		want int
	}{{0, 0}, {249 * time.Millisecond, 0}, {250 * time.Millisecond, 1}, {10 * time.Second, 40}, {20 * time.Second, 80}, {time.Hour, 80}} {
		if got := r.Seek(tc.at); got != tc.want {
			t.Errorf("Seek(%s) = %d, want %d", tc.at, got, tc.want)
		}
	}
	f, err := r.Frame(41, Counters)
	if err != nil {
		t.Fatal(err)
	}
	if f.Snapshot.Latency != nil || f.Snapshot.FailedLatency != nil || f.Snapshot.Requests != frames[41].Snapshot.Requests || f.State == nil {
		t.Fatalf("counters frame: %+v", f.Snapshot)
	}
	for name, want := range frames[41].Snapshot.ByVersion {
		got := f.Snapshot.ByVersion[name]
		if got == nil || got.Requests != want.Requests || got.Errors != want.Errors || got.Failed != want.Failed || got.Latency != nil {
			t.Fatalf("counters frame: version %s %+v, want %d requests, %d errors, %d failed, no histogram", name, got, want.Requests, want.Errors, want.Failed)
		}
	}
	if _, err := r.Frame(80, Full); err == nil {
		t.Fatal("frame past the end: no error")
	}
	total, err := r.Total()
	if err != nil {
		t.Fatal(err)
	}
	want := engine.NewSnapshot()
	for _, f := range frames {
		want.Merge(f.Snapshot)
	}
	if gs, ws := engine.Summarize(total, 20), engine.Summarize(want, 20); gs.LatencyMs != ws.LatencyMs || gs.FailedLatencyMs != ws.FailedLatencyMs ||
		gs.OKLatencyMs != ws.OKLatencyMs || ws.FailedLatencyMs.Max == 0 || total.Requests != want.Requests {
		t.Fatal("Total() differs from the frames merged")
	}
	if got, want := engine.Summarize(total, 20).ByVersion, engine.Summarize(want, 20).ByVersion; len(want) != 3 || !reflect.DeepEqual(got, want) {
		t.Fatalf("Total() by version %+v, want the frames merged: %+v", got, want)
	}
	if r.Closed() {
		t.Fatal("Closed() without a summary")
	}
}

// TestTruncatedTail cuts a file at every few bytes of its last blocks: the
// reader never fails after the header, reports the truncation with the
// frame it stopped at, and keeps every complete frame.
func TestTruncatedTail(t *testing.T) {
	data, _ := record(t, 5*time.Second, true)
	full, err := ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	// Cut around every block's end, inside the header's end, the first
	// block and the last two.
	var cuts []int64
	first := full.blocks[0]
	for c := first.off - recordHeaderLen - 3; c < first.off+int64(first.size); c += 23 {
		cuts = append(cuts, c)
	}
	for c := full.blocks[len(full.blocks)-2].off - recordHeaderLen; c < int64(len(data)); c += 17 {
		cuts = append(cuts, c)
	}
	boundary := map[int64]bool{int64(len(data)): true}
	for _, b := range full.blocks {
		end := b.off + int64(b.size)
		boundary[end] = true
		cuts = append(cuts, end-1, end, end+1)
	}
	for _, cut := range cuts {
		r, err := ReadBytes(data[:cut])
		if err != nil {
			if cut < first.off {
				continue // inside the header: not a recording yet
			}
			t.Fatalf("cut at %d: %v", cut, err)
		}
		switch {
		case boundary[cut] || cut == first.off-recordHeaderLen:
			if len(r.Problems) != 0 {
				t.Fatalf("cut at a block's end %d: problems %q", cut, r.Problems)
			}
		case len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "truncated") ||
			!strings.HasPrefix(r.Problems[0], "frame "+strconv.Itoa(r.Len()+1)+": "):
			t.Fatalf("cut at %d: problems %q with %d frames", cut, r.Problems, r.Len())
		}
		if r.Len() > 0 {
			if _, err := r.Frame(r.Len()-1, Counters); err != nil {
				t.Fatalf("cut at %d, last frame: %v", cut, err)
			}
		}
		_ = r.Close()
	}
}

// TestCorruptBlockIsSkipped damages one block in the middle: the reader
// reports it and reads the blocks after it.
func TestCorruptBlockIsSkipped(t *testing.T) {
	data, frames := record(t, 10*time.Second, true)
	full, err := ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	b := full.blocks[4]
	bad := append([]byte(nil), data...)
	bad[b.off+int64(b.size/2)] ^= 0xff
	r, err := ReadBytes(bad)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "checksum mismatch") || !strings.HasPrefix(r.Problems[0], "frame 17: ") {
		t.Fatalf("problems: %q", r.Problems)
	}
	if r.Len() != len(frames)-4 || !r.Closed() {
		t.Fatalf("read %d frames (of %d), summary %q", r.Len(), len(frames), r.Summary)
	}
	last, err := r.Frame(r.Len()-1, Full)
	if err != nil || !last.Snapshot.End.Equal(frames[len(frames)-1].Snapshot.End) {
		t.Fatalf("last frame: %v %v", last.Snapshot, err)
	}
}

// TestVersions checks the version line: a newer major version is refused
// with a clear message, a newer minor version is read with its unknown
// fields, entries and records ignored, anything else is not a recording.
func TestVersions(t *testing.T) {
	data, _ := record(t, 2*time.Second, true)
	line := versionLine()
	rest := data[len(line):]

	_, err := ReadBytes(append([]byte("scalelab recording 2.0\n"), rest...))
	var verr *VersionError
	if !errors.As(err, &verr) || verr.Major != 2 ||
		err.Error() != "recording format 2.0 is newer than this scalelab reads (1.x): use a newer scalelab" {
		t.Fatalf("major 2: %v", err)
	}

	// A newer minor version: a header with a field this version does not
	// know, an entry of an unknown kind, a record of an unknown kind.
	var hdr map[string]any
	r0, _ := ReadBytes(data)
	_, payload, next, _ := r0.record(int64(len(line)), int64(len(data)))
	if err := json.Unmarshal(payload, &hdr); err != nil {
		t.Fatal(err)
	}
	hdr["operator"] = "someone new"
	hb, _ := json.Marshal(hdr)
	newer := []byte("scalelab recording 1.9\n")
	newer = appendRecord(newer, recHeader, hb)
	newer = appendRecord(newer, 'X', []byte("a record of a later version"))
	enc := r0.dec
	entries := appendEntry(nil, 'Q', []byte("an entry of a later version"))
	entries = appendEntry(entries, entEvent, []byte(`{"time":"2026-03-04T10:15:01Z","source":"operator","message":"hi","mood":"good"}`))
	raw, err := enc.DecodeAll(blockPayload(t, data, next), nil)
	if err != nil {
		t.Fatal(err)
	}
	entries = append(entries, raw...)
	w, _ := NewWriter(&discard{}, testHeader())
	newer = appendRecord(newer, recBlock, w.enc.EncodeAll(entries, nil))
	_ = w.Close()
	r, err := ReadBytes(newer)
	if err != nil {
		t.Fatal(err)
	}
	if r.Header.Format != "1.9" || len(r.Problems) != 0 || r.Len() != 4 || len(r.Events) != 2 || r.Events[0].Message != "hi" {
		t.Fatalf("minor 9: format %s, problems %v, %d frames, events %+v", r.Header.Format, r.Problems, r.Len(), r.Events)
	}

	for name, bad := range map[string][]byte{
		"empty":       nil,
		"text":        []byte("hello, world\n"),
		"cut line":    []byte("scalelab rec"),
		"bad version": []byte("scalelab recording one\n"),
		"no header":   []byte(line),
	} {
		if _, err := ReadBytes(bad); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line", name, err)
		}
	}
}

// blockPayload returns the payload of the record at off.
func blockPayload(t *testing.T, data []byte, off int64) []byte {
	t.Helper()
	r := &Recording{src: bytes.NewReader(data)}
	kind, p, _, problem := r.record(off, int64(len(data)))
	if problem != "" || kind != recBlock {
		t.Fatalf("record at %d: %c %s", off, kind, problem)
	}
	return p
}

type discard struct{}

func (*discard) Write(p []byte) (int, error) { return len(p), nil }

// TestCreateAndFullDisk records to a real file, then to /dev/full: the
// write errors reach OnWarning once, the writer keeps taking frames, and
// Close reports the failure.
func TestCreateAndFullDisk(t *testing.T) {
	dir := t.TempDir()
	w, err := CreateIn(filepath.Join(dir, "recordings"), "demo", testHeader(), FlushEvery(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	w2, err := CreateIn(filepath.Join(dir, "recordings"), "demo", testHeader())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(w.Path()) != "20260304-101500-demo.scalelab" || filepath.Base(w2.Path()) != "20260304-101500-demo-2.scalelab" {
		t.Fatalf("paths %s, %s", w.Path(), w2.Path())
	}
	_ = w2.Close()
	s := newSession(200)
	s.write(w, 3*time.Second)
	// Still open: what was flushed (within 20 ms) reads back already.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := Open(w.Path())
		if err != nil || len(r.Problems) != 0 {
			t.Fatalf("open while recording: %v, %v", err, r.Problems)
		}
		n := r.Len()
		_ = r.Close()
		if n == 12 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("open while recording: %d frames of 12 after 10 s", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := w.Close(); err != nil || w.Close() != nil {
		t.Fatal(err)
	}

	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	if _, err := NewWriter(full, testHeader()); err == nil {
		t.Fatal("header written to /dev/full")
	}
	warnings := make(chan error, 10)
	fw, err := newWriter(&afterHeader{w: full}, nil, "/dev/full", testHeader(), []Option{FlushEvery(10 * time.Millisecond),
		OnWarning(func(err error) { warnings <- err })})
	if err != nil {
		t.Fatal(err)
	}
	newSession(200).write(fw, 2*time.Second)
	select {
	case err := <-warnings:
		if !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), "the session goes on") {
			t.Fatalf("warning: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no warning for a full disk")
	}
	newSession(200).write(fw, time.Second) // still takes frames
	if err := fw.Close(); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("Close: %v", err)
	}
	if len(warnings) != 0 {
		t.Fatalf("more than one warning: %v", <-warnings)
	}
}

// afterHeader lets the header through and sends the rest to /dev/full.
type afterHeader struct {
	w    *os.File
	done bool
}

func (a *afterHeader) Write(p []byte) (int, error) {
	if !a.done {
		a.done = true
		return len(p), nil
	}
	return a.w.Write(p)
}
