package recordings

import (
	"bytes"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TestCausesRoundTrip: the transport errors by cause (format 1.3) are read
// back exactly, frame by frame and in the total; a frame without any has
// no causes section; a class or cause a newer writer knows and this reader
// does not is counted as other, unclassified.
func TestCausesRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	snaps := make([]*engine.Snapshot, 3)
	for i := range snaps {
		s := engine.NewSnapshot()
		s.Start, s.End = t0.Add(time.Duration(i)*time.Second), t0.Add(time.Duration(i+1)*time.Second)
		if i != 1 {
			s.Requests = 5
			s.Errors[engine.ErrProtocol], s.Errors[engine.ErrOther] = 4, 1
			s.Causes[engine.ErrProtocol][engine.CauseHeaderTooLarge] = 3
			s.Causes[engine.ErrProtocol][engine.CauseBadChunk] = 1
			s.Causes[engine.ErrOther][engine.CauseUnclassified] = 1
			for range 5 {
				_ = s.Latency.RecordValue(1000)
				_ = s.Service.RecordValue(1000)
				_ = s.FailedLatency.RecordValue(1000)
			}
		}
		snaps[i] = s
		w.Frame(Frame{Snapshot: s})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := ReadBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Header.Format != "1.9" || len(r.Problems) > 0 {
		t.Fatalf("format %s, problems %v", r.Header.Format, r.Problems)
	}
	for i, want := range snaps {
		for _, detail := range []Detail{Full, Counters} {
			f, err := r.Frame(i, detail)
			if err != nil {
				t.Fatal(err)
			}
			if f.Snapshot.Causes != want.Causes || f.Snapshot.Errors != want.Errors {
				t.Errorf("frame %d: causes %v, errors %v; want %v, %v", i, f.Snapshot.Causes, f.Snapshot.Errors, want.Causes, want.Errors)
			}
		}
	}
	total, err := r.Total()
	if err != nil {
		t.Fatal(err)
	}
	if got := total.Causes[engine.ErrProtocol][engine.CauseHeaderTooLarge]; got != 6 {
		t.Errorf("total header too large %d, want 6", got)
	}
	if f := appendFrame(nil, &Frame{Snapshot: snaps[1]}, t0); f[0]&frameFlagCauses != 0 {
		t.Error("a frame without causes flags a causes section")
	}

	// A newer writer's class 100 and cause 99.
	s := engine.NewSnapshot()
	d := decoder{b: []byte{3, 100, 1, 4, byte(engine.ErrProtocol), 99, 2, byte(engine.ErrTimeout), 0, 7}}
	if err := decodeCauses(&d, s); err != nil {
		t.Fatal(err)
	}
	if s.Causes[engine.ErrOther][engine.CauseBadStatusLine] != 4 || s.Causes[engine.ErrProtocol][engine.CauseUnclassified] != 2 ||
		s.Causes[engine.ErrTimeout] != [engine.NumErrorCauses]uint64{} {
		t.Errorf("unknown class and cause read as %v", s.Causes)
	}
}
