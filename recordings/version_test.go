package recordings

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TestReadsFormat10 reads a recording that format 1.0 wrote (before
// frames carried versions): every frame as it was recorded, none with
// versions.
func TestReadsFormat10(t *testing.T) {
	data, err := os.ReadFile("testdata/format-1.0.scalelab")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Header.Format != "1.0" || len(r.Problems) != 0 || r.Len() != 8 || !r.Closed() {
		t.Fatalf("format %s, problems %v, %d frames", r.Header.Format, r.Problems, r.Len())
	}
	s := newSession(500) // the generator that wrote it, without versions
	for i := range r.Len() {
		want := s.frame()
		got, err := r.Frame(i, Full)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		checkSnapshot(t, i, got.Snapshot, want.Snapshot)
		if got.Snapshot.ByVersion != nil {
			t.Fatalf("frame %d of a 1.0 file has versions: %v", i, got.Snapshot.Versions())
		}
	}
	total, err := r.Total()
	if err != nil || total.ByVersion != nil || total.Requests != 8*125 {
		t.Fatalf("total: %v, %d requests, versions %v", err, total.Requests, total.Versions())
	}
}

// TestReadsFormat11 reads a recording that format 1.1 wrote (before
// frames carried the failed requests' latency, the transport errors by
// version and the unknown version): every frame as it was recorded, with
// no failed latency, no errors by version and no unknown entry.
func TestReadsFormat11(t *testing.T) {
	data, err := os.ReadFile("testdata/format-1.1.scalelab")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Header.Format != "1.1" || len(r.Problems) != 0 || r.Len() != 48 || !r.Closed() {
		t.Fatalf("format %s, problems %v, %d frames", r.Header.Format, r.Problems, r.Len())
	}
	s := newSession(500) // the generator that wrote it, without failures
	s.versions = true
	for i := range r.Len() {
		want := s.frame()
		got, err := r.Frame(i, Full)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		checkSnapshot(t, i, got.Snapshot, want.Snapshot)
		if got.Snapshot.FailedLatency != nil || got.Snapshot.ByVersion[engine.UnknownVersion] != nil {
			t.Fatalf("frame %d of a 1.1 file has failed latency or an unknown version", i)
		}
	}
	total, err := r.Total()
	if err != nil || total.Requests != 48*125 || total.ByVersion["v2"] == nil {
		t.Fatalf("total: %v, %d requests, versions %v", err, total.Requests, total.Versions())
	}
}

// TestFrameVersionsBeyondCap decodes a frame naming more versions than the
// engine keeps (no scalelab writes one; a damaged or foreign file may):
// the rest is counted under OtherVersion, nothing is lost.
func TestFrameVersionsBeyondCap(t *testing.T) {
	snap := engine.NewSnapshot()
	snap.Start, snap.End = t0, t0.Add(time.Second)
	for i := range engine.MaxVersions + 4 {
		for range 10 {
			snap.Requests++
			snap.Status[200]++
			_ = snap.Latency.RecordValue(int64(1000 + i))
			addTo(snap, fmt.Sprintf("v%02d", i), int64(1000+i), false)
		}
	}
	b := appendFrame(nil, &Frame{Snapshot: snap}, t0)
	lay := newLayout(t0, engineGeometry())
	for _, hist := range []bool{true, false} {
		f, err := decodeFrame(b, lay, hist)
		if err != nil {
			t.Fatal(err)
		}
		vs := f.Snapshot.ByVersion
		other := vs[engine.OtherVersion]
		if len(vs) != engine.MaxVersions+1 || other == nil || other.Requests != 40 || vs["v00"].Requests != 10 {
			t.Fatalf("hist %v: %d versions, other %+v", hist, len(vs), other)
		}
		if hist && (other.Latency.TotalCount() != 40 || other.Latency.Min() < 1000+engine.MaxVersions) {
			t.Fatalf("other's histogram: %d values from %d", other.Latency.TotalCount(), other.Latency.Min())
		}
	}
}

// TestFrameVersionsCorrupt: a by-version section (and the failed section
// after it) cut anywhere is an error,
// never a panic or a wrong count taken for good.
func TestFrameVersionsCorrupt(t *testing.T) {
	_, frames := record(t, 11*time.Second, false)
	f := frames[len(frames)-1] // v1 and v2
	b := appendFrame(nil, &f, t0)
	plain := appendFrame(nil, &Frame{Snapshot: &engine.Snapshot{Start: f.Snapshot.Start, End: f.Snapshot.End,
		Requests: f.Snapshot.Requests, Status: f.Snapshot.Status, Errors: f.Snapshot.Errors, BytesIn: f.Snapshot.BytesIn,
		LagMax: f.Snapshot.LagMax, LagSum: f.Snapshot.LagSum, InFlight: f.Snapshot.InFlight, TargetRate: f.Snapshot.TargetRate,
		Latency: f.Snapshot.Latency, Service: f.Snapshot.Service}, CPU: f.CPU, CPUKnown: true, Procs: 2}, t0)
	lay := newLayout(t0, engineGeometry())
	if len(f.Snapshot.ByVersion) != 3 || len(b) <= len(plain) {
		t.Fatalf("frame has versions %v, %d bytes (without them %d)", f.Snapshot.Versions(), len(b), len(plain))
	}
	for cut := len(plain); cut < len(b); cut++ {
		if _, err := decodeFrame(b[:cut], lay, true); err == nil {
			t.Fatalf("frame cut at %d of %d bytes: no error", cut, len(b))
		}
	}
}
