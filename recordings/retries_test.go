package recordings

import (
	"bytes"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TestRetriesRoundTrip: the retry figures (format 1.6) are read back
// exactly, frame by frame (with and without histograms) and in the total;
// a frame without any has no retries section and the bytes it had before
// the section existed; a file written so reads in a 1.5 reader's way too
// (the section is after every field it knows).
func TestRetriesRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	snaps := make([]*engine.Snapshot, 3)
	for i := range snaps {
		s := engine.NewSnapshot()
		s.Start, s.End = t0.Add(time.Duration(i)*time.Second), t0.Add(time.Duration(i+1)*time.Second)
		s.Requests = 12
		s.Status[200], s.Status[503] = 10, 2
		for j := range 12 {
			_ = s.Latency.RecordValue(int64(1000 + j))
			_ = s.Service.RecordValue(int64(900 + j))
			if j >= 10 {
				_ = s.FailedLatency.RecordValue(int64(1000 + j))
			}
		}
		if i != 1 { // the middle frame: a run without retries
			s.Retries, s.EffectiveRequests, s.EffectiveFailed, s.RetriesBudgetExhausted = 2, 10, 1, 1
			s.Effective = engine.NewHistogram()
			for j := range 10 {
				_ = s.Effective.RecordValue(int64(1000 + 40*j))
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
			g := f.Snapshot
			if g.Retries != want.Retries || g.EffectiveRequests != want.EffectiveRequests ||
				g.EffectiveFailed != want.EffectiveFailed || g.RetriesBudgetExhausted != want.RetriesBudgetExhausted {
				t.Errorf("frame %d (%v): retries %d, effective %d/%d, exhausted %d; want %d, %d/%d, %d", i, detail, g.Retries,
					g.EffectiveRequests, g.EffectiveFailed, g.RetriesBudgetExhausted, want.Retries, want.EffectiveRequests,
					want.EffectiveFailed, want.RetriesBudgetExhausted)
			}
			if detail == Full && !sameHistogram(g.Effective, want.Effective) {
				t.Errorf("frame %d: effective latency %v, want %v", i, g.Effective, want.Effective)
			}
			if detail == Counters && g.Effective != nil {
				t.Errorf("frame %d read without histograms has an effective histogram", i)
			}
		}
	}
	// Decoded into a reused frame, with packed twins: the figures of each
	// frame, none of the one before (the middle frame has none).
	var f Frame
	var p engine.Packed
	for i, want := range snaps {
		if err := r.FrameInto(i, Full, &f, &p); err != nil {
			t.Fatal(err)
		}
		if f.Snapshot.EffectiveRequests != want.EffectiveRequests || !sameHistogram(f.Snapshot.Effective, want.Effective) {
			t.Errorf("frame %d into a reused one: effective %d, histogram %v", i, f.Snapshot.EffectiveRequests, f.Snapshot.Effective)
		}
	}
	total, err := r.Total()
	if err != nil {
		t.Fatal(err)
	}
	if total.Retries != 4 || total.EffectiveRequests != 20 || total.EffectiveFailed != 2 || total.RetriesBudgetExhausted != 2 ||
		total.Effective == nil || total.Effective.TotalCount() != 20 || total.Effective.Max() < 1360 {
		t.Errorf("total: retries %d, effective %d/%d, exhausted %d, histogram %v", total.Retries, total.EffectiveRequests,
			total.EffectiveFailed, total.RetriesBudgetExhausted, total.Effective)
	}

	without := appendFrame(nil, &Frame{Snapshot: snaps[1]}, t0)
	if without[0]&frameFlagRetries != 0 {
		t.Error("a frame without retries flags a retries section")
	}
	with := appendFrame(nil, &Frame{Snapshot: snaps[0]}, t0)
	if with[0]&frameFlagRetries == 0 {
		t.Fatal("a frame with retries does not flag its section")
	}
	// A reader of 1.5 stops after the causes section: the frame without
	// the flag bit and the section is what it reads, every other field
	// the same.
	plain := *snaps[0]
	plain.Retries, plain.EffectiveRequests, plain.EffectiveFailed, plain.RetriesBudgetExhausted, plain.Effective = 0, 0, 0, 0, nil
	older := appendFrame(nil, &Frame{Snapshot: &plain}, t0)
	if !bytes.Equal(with[1:len(older)], older[1:]) || with[0] != older[0]|frameFlagRetries {
		t.Error("the retries section is not appended after the fields a 1.5 reader knows")
	}
	lay := newLayout(t0, engineGeometry())
	for cut := len(older); cut < len(with); cut++ {
		if _, err := decodeFrame(with[:cut], lay, true); err == nil {
			t.Fatalf("frame cut at %d of %d bytes in its retries section: no error", cut, len(with))
		}
	}
}
