package recordings

import (
	"bytes"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TestConnectsRoundTrip: the connection figures (format 1.7) are read
// back exactly, frame by frame (with and without histograms, into a
// reused frame) and in the total; a frame that opened no connection has
// no connections section and the bytes it had before the section
// existed; a 1.6 reader reads a frame with one as it did (the section
// is after every field it knows), and a frame cut inside it is an
// error.
func TestConnectsRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	snaps := make([]*engine.Snapshot, 3)
	for i := range snaps {
		s := engine.NewSnapshot()
		s.Start, s.End = t0.Add(time.Duration(i)*time.Second), t0.Add(time.Duration(i+1)*time.Second)
		s.Requests = 8
		s.Status[200] = 8
		for j := range 8 {
			_ = s.Latency.RecordValue(int64(2000 + j))
			_ = s.Service.RecordValue(int64(1900 + j))
		}
		if i != 1 { // the middle frame: every request on a kept-alive connection
			s.ConnectionsOpened = uint64(4 + i)
			s.Connect = engine.NewHistogram()
			for j := range 4 + i {
				_ = s.Connect.RecordValue(int64(150 + 100*j))
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
			if g.ConnectionsOpened != want.ConnectionsOpened {
				t.Errorf("frame %d (%v): %d connections opened, want %d", i, detail, g.ConnectionsOpened, want.ConnectionsOpened)
			}
			if detail == Full && !sameHistogram(g.Connect, want.Connect) {
				t.Errorf("frame %d: connect histogram %v, want %v", i, g.Connect, want.Connect)
			}
			if detail == Counters && g.Connect != nil {
				t.Errorf("frame %d read without histograms has a connect histogram", i)
			}
		}
	}
	var f Frame
	var p engine.Packed
	for i, want := range snaps {
		if err := r.FrameInto(i, Full, &f, &p); err != nil {
			t.Fatal(err)
		}
		if f.Snapshot.ConnectionsOpened != want.ConnectionsOpened || !sameHistogram(f.Snapshot.Connect, want.Connect) {
			t.Errorf("frame %d into a reused one: %d opened, histogram %v", i, f.Snapshot.ConnectionsOpened, f.Snapshot.Connect)
		}
	}
	total, err := r.Total()
	if err != nil {
		t.Fatal(err)
	}
	if total.ConnectionsOpened != 10 || total.Connect == nil || total.Connect.TotalCount() != 10 || total.Connect.Max() < 650 {
		t.Errorf("total: %d opened, histogram %v; want 10 and 10 values up to 650 µs", total.ConnectionsOpened, total.Connect)
	}

	without := appendFrame(nil, &Frame{Snapshot: snaps[1]}, t0)
	if without[0]&frameFlagConnects != 0 {
		t.Error("a frame that opened no connection flags a connections section")
	}
	with := appendFrame(nil, &Frame{Snapshot: snaps[0]}, t0)
	if with[0]&frameFlagConnects == 0 {
		t.Fatal("a frame that opened connections does not flag its section")
	}
	plain := *snaps[0]
	plain.ConnectionsOpened, plain.Connect = 0, nil
	older := appendFrame(nil, &Frame{Snapshot: &plain}, t0)
	if !bytes.Equal(with[1:len(older)], older[1:]) || with[0] != older[0]|frameFlagConnects {
		t.Error("the connections section is not appended after the fields a 1.6 reader knows")
	}
	lay := newLayout(t0, engineGeometry())
	for cut := len(older); cut < len(with); cut++ {
		if _, err := decodeFrame(with[:cut], lay, true); err == nil {
			t.Fatalf("frame cut at %d of %d bytes in its connections section: no error", cut, len(with))
		}
	}
}
