package recordings

import (
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/scalelab/scalelab/engine"
)

// TestFrameIntoReusesAndPacks decodes every frame of a rollout (v1 alone,
// then v1 and v2 and the unknown version, then v2) into one reused frame:
// each equals the frame Frame decodes and the one written; the frames
// merged from their packed twins equal them merged by Merge and the
// recording's Total; and decoding into the frame reuses its histograms.
func TestFrameIntoReusesAndPacks(t *testing.T) {
	data, written := record(t, 40*time.Second, true)
	r, err := ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var f Frame
	var p engine.Packed
	packed, walked := engine.NewSnapshot(), engine.NewSnapshot()
	seen := map[*hdrhistogram.Histogram]bool{} // every histogram the frames had
	most := 0                                  // the most a frame had
	for i := range r.Len() {
		if err := r.FrameInto(i, Full, &f, &p); err != nil {
			t.Fatal(err)
		}
		want, err := r.Frame(i, Full)
		if err != nil {
			t.Fatal(err)
		}
		checkSnapshot(t, i, f.Snapshot, want.Snapshot)
		checkSnapshot(t, i, f.Snapshot, written[i].Snapshot)
		if f.CPU != want.CPU || f.Procs != want.Procs || f.State != want.State {
			t.Fatalf("frame %d: CPU %v of %d, state %p; want %v of %d, %p", i, f.CPU, f.Procs, f.State, want.CPU, want.Procs, want.State)
		}
		hists := []*hdrhistogram.Histogram{f.Snapshot.Latency, f.Snapshot.Service, f.Snapshot.FailedLatency}
		for _, vs := range f.Snapshot.ByVersion {
			hists = append(hists, vs.Latency)
		}
		for _, h := range hists {
			seen[h] = true
		}
		most = max(most, len(hists))
		packed.MergePacked(f.Snapshot, &p)
		walked.Merge(want.Snapshot)
	}
	if len(seen) > most {
		t.Fatalf("%d frames had %d histograms, at most %d each: not reused", r.Len(), len(seen), most)
	}
	total, err := r.Total()
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, -1, packed, walked)
	checkSnapshot(t, -1, total, walked)
	// Counters only: no histograms, and p left empty.
	if err := r.FrameInto(3, Counters, &f, &p); err != nil || f.Snapshot.Latency != nil || f.Snapshot.Requests != written[3].Snapshot.Requests {
		t.Fatalf("counters: %v, latency %v, %d requests", err, f.Snapshot.Latency, f.Snapshot.Requests)
	}
	if err := r.FrameInto(r.Len(), Full, &f, &p); err == nil {
		t.Fatal("frame past the end decoded")
	}
}
