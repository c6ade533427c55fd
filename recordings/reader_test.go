package recordings

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenRefusesWhatIsNotARegularFile: a FIFO and a device are refused
// before they are opened (a FIFO's open blocked), naming what they are.
func TestOpenRefusesWhatIsNotARegularFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe.scalelab")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		fifo:        fifo + ": is a FIFO (a named pipe), not a recording file",
		"/dev/zero": "/dev/zero: is a character device, not a recording file",
	} {
		done := make(chan error, 1)
		go func() {
			r, err := Open(path)
			if err == nil {
				_ = r.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || err.Error() != want {
				t.Errorf("Open(%s): %v, want %q", path, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Open(%s) still blocked after 5s", path)
		}
	}
}

// TestDamagedHeaderEveryByte flips each byte of a small recording's
// version line and header record, in two ways: a damaged version line is
// refused with one line, or read as another minor version; a damaged
// header record never refuses the file: every block after it is read, as
// intact, with HeaderDamage saying what was lost and the start estimated
// from the events, so that the frames keep their times from the start.
func TestDamagedHeaderEveryByte(t *testing.T) {
	data, frames := record(t, 3*time.Second, true)
	intact, err := ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	defer intact.Close()
	line := int64(len(versionLine()))
	end := intact.blocks[0].off - recordHeaderLen // the header record's end
	if intact.HeaderDamage != "" || intact.Len() != len(frames) {
		t.Fatalf("intact file: header damage %q, %d frames", intact.HeaderDamage, intact.Len())
	}
	for off := range end {
		masks := []byte{0xff, 0x01} // 0x01: a digit of the version line stays one
		if off >= line+recordHeaderLen {
			masks = masks[:1] // in the JSON: every flip is a checksum mismatch
		}
		for _, mask := range masks {
			bad := bytes.Clone(data)
			bad[off] ^= mask
			r, err := ReadBytes(bad)
			if err != nil {
				if off >= line || strings.Contains(err.Error(), "\n") {
					t.Fatalf("byte %d ^ %#x: refused: %v", off, mask, err)
				}
				continue
			}
			checkSameBlocks(t, r, intact, off >= line)
			_ = r.Close()
		}
	}
}

// checkSameBlocks checks that r read every block of intact: the same
// frames at the same times from the start, events, states and summary;
// with lost, that its header is reported lost.
func checkSameBlocks(t *testing.T, r, intact *Recording, lost bool) {
	t.Helper()
	switch {
	case lost && (!strings.HasPrefix(r.HeaderDamage, "the header is damaged (") || strings.Contains(r.HeaderDamage, "\n") ||
		!strings.Contains(r.HeaderDamage, "command line and settings are lost")):
		t.Fatalf("header damage %q", r.HeaderDamage)
	case !lost && r.HeaderDamage != "":
		t.Fatalf("version line damaged: header damage %q", r.HeaderDamage)
	case len(r.Problems) != 0:
		t.Fatalf("problems %q in intact blocks", r.Problems)
	case r.Len() != intact.Len() || len(r.Events) != len(intact.Events) || !bytes.Equal(r.Summary, intact.Summary):
		t.Fatalf("read %d frames, %d events, summary %q; want %d, %d, %q",
			r.Len(), len(r.Events), r.Summary, intact.Len(), len(intact.Events), intact.Summary)
	}
	if lost {
		if r.Header.Target != "" || r.Header.Config != nil || r.Header.Cluster != "unknown" {
			t.Fatalf("header %+v: want nothing but what the frames tell", r.Header)
		}
		// The only event is at the start, before the first frame's end.
		if d := intact.Origin().Sub(r.Origin()); d < 0 || d > 250*time.Millisecond {
			t.Fatalf("estimated origin %v, %v before the intact one", r.Origin(), d)
		}
	}
	for i := range r.Len() {
		detail := Counters // the histograms of the last frame only: decoding them all is slow
		if i == r.Len()-1 {
			detail = Full
		}
		got, err := r.Frame(i, detail)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		want, _ := intact.Frame(i, detail)
		g, w := got.Snapshot, want.Snapshot
		if g.Requests != w.Requests || g.End.Sub(r.Origin()) != w.End.Sub(intact.Origin()) ||
			(got.State == nil) != (want.State == nil) {
			t.Fatalf("frame %d: %+v, want %+v", i, g, w)
		}
		if detail == Full && (g.Latency.TotalCount() != w.Latency.TotalCount() || g.Latency.ValueAtQuantile(99) != w.Latency.ValueAtQuantile(99)) {
			t.Fatalf("frame %d: latency %d requests, p99 %d; want %d, %d", i,
				g.Latency.TotalCount(), g.Latency.ValueAtQuantile(99), w.Latency.TotalCount(), w.Latency.ValueAtQuantile(99))
		}
	}
}

// TestDamagedHeaderStartFromSummary: a header lost in a file with its
// closing summary takes the command, target, model and start from it.
func TestDamagedHeaderStartFromSummary(t *testing.T) {
	data, _ := record(t, 2*time.Second, false)
	intact, err := ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := intact.Frame(0, Counters)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader(), FlushEvery(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(500)
	s.write(w, 2*time.Second)
	if err := w.Summary([]byte(`{"command":"demo","target":"http://127.0.0.1:8080/","model":"open loop, 500 req/s","start":"` +
		first.Snapshot.Start.Format(time.RFC3339Nano) + `"}`)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	bad := buf.Bytes()
	bad[len(versionLine())+recordHeaderLen+5] ^= 0xff // in the header's JSON
	r, err := ReadBytes(bad)
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header
	if !h.Start.Equal(t0) || h.Command != "demo" || h.Target != "http://127.0.0.1:8080/" || h.Model != "open loop, 500 req/s" ||
		r.HeaderDamage != "the header is damaged (checksum mismatch): its command line and settings are lost; "+
			"the target and the load model are the closing summary's; the start time is the closing summary's; "+
			"a cluster was attached, of an unknown kind" {
		t.Fatalf("header %+v, damage %q", h, r.HeaderDamage)
	}
}

// TestDamagedHeaderWithNothingAfter: a header that cannot be read with no
// record after it is refused.
func TestDamagedHeaderWithNothingAfter(t *testing.T) {
	data, _ := record(t, time.Second, true)
	intact, _ := ReadBytes(data)
	end := intact.blocks[0].off - recordHeaderLen
	bad := bytes.Clone(data[:end])
	bad[end-1] ^= 0xff
	_, err := ReadBytes(bad)
	if err == nil || err.Error() != "header: checksum mismatch, and no block after it" || errors.Is(err, ErrNotRecording) {
		t.Fatalf("%v", err)
	}
}

// TestHeaderRecordNotReadable: a file without its header record, one
// whose checked header is not JSON, and one with a geometry scalelab does
// not write keep every block, with the header reported damaged.
func TestHeaderRecordNotReadable(t *testing.T) {
	data, frames := record(t, 2*time.Second, true)
	intact, err := ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(versionLine())
	blocks := data[intact.blocks[0].off-recordHeaderLen:]
	for name, c := range map[string]struct {
		file []byte
		why  string
	}{
		"no header":    {append(bytes.Clone(line), blocks...), "the first record is not a header"},
		"not JSON":     {append(appendRecord(bytes.Clone(line), recHeader, []byte("{not json")), blocks...), "unreadable: "},
		"bad geometry": {append(appendRecord(bytes.Clone(line), recHeader, []byte(`{"histogram":{"lowest":0}}`)), blocks...), "histogram geometry"},
	} {
		r, err := ReadBytes(c.file)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.HasPrefix(r.HeaderDamage, "the header is damaged ("+c.why) || r.Len() != len(frames) || len(r.Problems) != 0 {
			t.Errorf("%s: damage %q, %d frames of %d, problems %q", name, r.HeaderDamage, r.Len(), len(frames), r.Problems)
		}
		_ = r.Close()
	}
}
