package recordings

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// hourFile is a synthetic one-hour fleet session at 500 requests a second,
// made once per test binary.
var hourFile = sync.OnceValue(func() []byte {
	data, _ := record(&testing.B{}, time.Hour, true)
	return data
})

// writeHour stores the one-hour session in a temporary file.
func writeHour(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "hour.scalelab")
	if err := os.WriteFile(path, hourFile(), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkRecordSize records a minute of a typical fleet session (500
// requests a second, latencies of 2..10 ms, three replicas whose shares
// move every second, an event every 10 s) and reports the file's size per
// second and per minute of session. The goal is at most 3 KB a second.
func BenchmarkRecordSize(b *testing.B) {
	for _, rate := range []int{500, 2000} {
		b.Run(itoaRate(rate), func(b *testing.B) {
			var size int
			for b.Loop() {
				data, _ := recordAt(b, rate, time.Minute, true)
				size = len(data)
			}
			b.ReportMetric(float64(size)/60, "bytes/s")
			b.ReportMetric(float64(size), "bytes/min")
		})
	}
}

func itoaRate(r int) string {
	if r >= 1000 {
		return string(rune('0'+r/1000)) + "k-rps"
	}
	return "500-rps"
}

// BenchmarkOpenHour opens a one-hour recording: reading and indexing every
// block.
func BenchmarkOpenHour(b *testing.B) {
	path := writeHour(b)
	for b.Loop() {
		r, err := Open(path)
		if err != nil || r.Len() != 14400 {
			b.Fatal(err, r.Len())
		}
		_ = r.Close()
	}
	b.ReportMetric(float64(len(hourFile()))/3600, "bytes/s")
}

// BenchmarkSeekHour seeks to random positions of an open one-hour
// recording and decodes the frame there with its histograms: what a replay
// does on a jump (its UI then redraws from the frames before it).
func BenchmarkSeekHour(b *testing.B) {
	r, err := Open(writeHour(b))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	for b.Loop() {
		i := r.Seek(time.Duration(rng.Int64N(int64(time.Hour))))
		if _, err := r.Frame(min(i, r.Len()-1), Full); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteFrame is the cost of taking one frame (encoding it), which
// runs on the engine's collector goroutine.
func BenchmarkWriteFrame(b *testing.B) {
	w, err := NewWriter(&discard{}, testHeader(), FlushEvery(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	s := newSession(500)
	frames := make([]Frame, 64)
	for i := range frames {
		frames[i] = s.frame()
	}
	i := 0
	for b.Loop() {
		w.Frame(frames[i%len(frames)])
		i++
		if i%64 == 0 {
			_ = w.flush()
		}
	}
}

// BenchmarkDecodeFrame decodes the frames of a minute of a rollout (500
// requests a second, split by version, a few failed) one after the other
// with their histograms, as a replay does: the cost of a frame, its
// block's decompression shared by the frames of the block.
func BenchmarkDecodeFrame(b *testing.B) {
	data, _ := record(b, time.Minute, true)
	r, err := ReadBytes(data)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := r.Frame(i%r.Len(), Full); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("into", func(b *testing.B) { // reused, with packed twins
		var f Frame
		var p engine.Packed
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := r.FrameInto(i%r.Len(), Full, &f, &p); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
