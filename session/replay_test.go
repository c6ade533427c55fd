package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
)

// replayStart is the recorded session's opening in the tests' recordings.
var replayStart = time.Date(2026, 3, 4, 10, 15, 0, 0, time.UTC)

// writeRecording writes a recorded session to a file: a cluster's event
// before the load, four 250 ms frames of 10 requests each (one 503 in the
// third) with the cluster's state, a step started and completed, an
// operator's note, a cluster event after the last frame, and the closing
// summary when summary is not nil.
func writeRecording(t *testing.T, summary []byte) *recordings.Recording {
	t.Helper()
	file := filepath.Join(t.TempDir(), "run.scalelab")
	w, err := recordings.Create(file, recordings.Header{Command: "run", Target: "http://127.0.0.1:9/", Model: "open loop, 40 req/s",
		Start: replayStart, Window: time.Second, Tick: 250 * time.Millisecond, Cluster: "fleet", Steps: []string{"500ms:scale=3"}})
	if err != nil {
		t.Fatal(err)
	}
	at := func(ms int) time.Time { return replayStart.Add(time.Duration(ms) * time.Millisecond) }
	step := func(ms int, r experiments.Result) {
		kind, msg := StepState(r)
		data, _ := json.Marshal(r)
		w.Event(recordings.Event{Time: at(ms), Source: recordings.FromStep, Kind: kind, Message: msg, Data: data})
	}
	w.Event(recordings.ClusterEvent(cluster.Event{Time: at(-100), Kind: cluster.ReplicaReady, Replica: "replica-1", Message: "replica-1 ready"}))
	scale := experiments.Result{Spec: "500ms:scale=3", Action: "scale=3", StartS: 0.5, From: at(500)}
	for i := range 4 {
		s := engine.NewSnapshot()
		s.Start, s.End = at(250*i), at(250*(i+1))
		s.Requests, s.Status[200], s.TargetRate = 10, 10, 40
		_ = s.Latency.RecordValue(int64(1000 * (i + 1)))
		if i == 2 {
			s.Status[200], s.Status[503] = 9, 1
		}
		state := cluster.State{Desired: 2 + min(i/2, 1), Replicas: []cluster.Replica{{Name: "replica-1"}, {Name: "replica-2"}}}
		if i == 2 {
			step(510, scale)
		}
		if i == 3 {
			done := scale
			done.Completed, done.DurationS, done.To = true, 0.3, at(800)
			step(800, done)
			w.Event(recordings.Event{Time: at(850), Source: recordings.FromOperator, Kind: "note", Message: "note: halfway", Label: "halfway"})
		}
		w.Frame(recordings.Frame{Snapshot: s, CPU: 0.25, CPUKnown: true, Procs: 2, State: &state})
	}
	w.Event(recordings.ClusterEvent(cluster.Event{Time: at(1100), Kind: cluster.ReplicaStopped, Replica: "replica-1", Message: "replica-1 stopped"}))
	if summary != nil {
		if err := w.Summary(summary); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rec.Close() })
	return rec
}

// TestReplayFansOutTheRecording replays a recorded session through two
// sinks: each is opened with the header's Info, sees every frame as a
// tick and every event, each in recorded order, an event before the
// first frame ending after it, the load's end after the last frame and
// the events after it; the ticks sum to the result's load, the step is
// measured from the frames, and the first sink, which changes all it is
// handed, changes nothing of what the second sees.
func TestReplayFansOutTheRecording(t *testing.T) {
	rec := writeRecording(t, nil)
	vandal, witness := &logSink{vandal: true}, &logSink{}
	summarized := 0
	res, err := Replay(t.Context(), ReplayConfig{Recording: rec, Sinks: []Sink{vandal, witness},
		Summarize: func(r *Result) any { summarized++; return r.Load.Total.Requests }})
	if err != nil {
		t.Fatal(err)
	}
	ns := func(ms int) int64 { return replayStart.Add(time.Duration(ms) * time.Millisecond).UnixNano() }
	tick := func(i, failed int) string {
		return fmt.Sprintf("tick %d..%d 10 requests %d failed", ns(250*i), ns(250*(i+1)), failed)
	}
	want := []string{
		"event cluster replica-ready replica-1 ready replica=replica-1",
		tick(0, 0), tick(1, 0),
		"event step started step 500ms:scale=3 started step=500ms:scale=3 completed=false",
		tick(2, 1),
		"event step completed step 500ms:scale=3 completed in 0.3s step=500ms:scale=3 completed=true",
		"event operator note note: halfway",
		tick(3, 0),
		"event session load-ended the load ended",
		"event cluster replica-stopped replica-1 stopped replica=replica-1",
	}
	for _, k := range []*logSink{vandal, witness} {
		if k.opened != 1 || k.closedN != 1 || k.result != res {
			t.Fatalf("opened %d, closed %d times, result %p (want once, once, %p)", k.opened, k.closedN, k.result, res)
		}
		want := Info{Command: "run", Target: engine.Target{URL: "http://127.0.0.1:9/"}, Window: time.Second,
			Interval: 250 * time.Millisecond, Start: replayStart}
		got := k.info
		if got.Control.fan == nil {
			t.Fatal("a replay's Control does not emit")
		}
		got.Control = Control{}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("info %+v, want %+v", got, want)
		}
	}
	if !reflect.DeepEqual(witness.lines, want) {
		t.Fatalf("the witness saw:\n%q\nwant\n%q", witness.lines, want)
	}
	if !reflect.DeepEqual(vandal.lines, witness.lines) {
		t.Fatalf("the sinks saw different things:\n%v\n%v", vandal.lines, witness.lines)
	}
	if witness.replicas != 2 {
		t.Fatalf("the witness saw %d replicas in the states, want the recorded 2", witness.replicas)
	}
	total := res.Load.Total
	if total.Requests != 40 || total.Failed() != 1 || total.Latency.TotalCount() != 4 || res.Load.Window != time.Second {
		t.Fatalf("load %d requests, %d failed, %d latencies over %s; want 40, 1, 4 over 1s",
			total.Requests, total.Failed(), total.Latency.TotalCount(), res.Load.Window)
	}
	if !res.Start.Equal(replayStart) || !res.End.Equal(replayStart.Add(time.Second)) || res.Command != "run" || res.Partial != "" {
		t.Fatalf("result %+v", res)
	}
	if len(res.Steps) != 1 || !res.Steps[0].Completed || res.Steps[0].Requests != 12 || res.Steps[0].Failed != 1 {
		t.Fatalf("steps %+v: want the scale completed, measured from 500 to 800 ms: the third frame and a fifth of the fourth (12 requests, 1 failed)", res.Steps)
	}
	if summarized != 1 || res.Summary != uint64(40) {
		t.Fatalf("summarized %d times: %v", summarized, res.Summary)
	}
}

// TestReplayKeepsTheClosingSummary: a recording's closing summary is the
// result's, as it is; Summarize is not asked.
func TestReplayKeepsTheClosingSummary(t *testing.T) {
	closing := []byte(`{"command":"run","requests":40}`)
	rec := writeRecording(t, closing)
	res, err := Replay(t.Context(), ReplayConfig{Recording: rec,
		Summarize: func(*Result) any { t.Error("Summarize called for a recording with its summary"); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if js, ok := res.Summary.(json.RawMessage); !ok || string(js) != string(closing) || res.Load.Total.Requests != 40 {
		t.Fatalf("summary %T %s, load %d requests; want the recorded %s", res.Summary, res.Summary, res.Load.Total.Requests, closing)
	}
}

// failingSink fails its Open, or its Close.
type failingSink struct {
	logSink
	open, close error
}

func (f *failingSink) Open(i Info) error     { _ = f.logSink.Open(i); return f.open }
func (f *failingSink) Close(r *Result) error { _ = f.logSink.Close(r); return f.close }

// TestReplayEnds: a sink's error on Open ends the replay before any tick,
// every sink closed without a result; one on Close is in Partial; a
// stopped context ends it at the next frame, its result what was
// replayed, Partial saying so; a nil recording or sink is refused.
func TestReplayEnds(t *testing.T) {
	rec := writeRecording(t, nil)
	refused := errors.New("refused")
	first, other := &failingSink{open: refused}, &logSink{}
	if _, err := Replay(t.Context(), ReplayConfig{Recording: rec, Sinks: []Sink{first, other}}); !errors.Is(err, refused) ||
		len(first.lines)+len(other.lines) != 0 || first.closedN != 1 || other.closedN != 1 || first.result != nil || other.result != nil {
		t.Fatalf("open refused: err %v, lines %v %v, closed %d %d", err, first.lines, other.lines, first.closedN, other.closedN)
	}

	closing := &failingSink{close: errors.New("disk full")}
	res, err := Replay(t.Context(), ReplayConfig{Recording: rec, Sinks: []Sink{closing}})
	if err != nil || res.Partial != "disk full" || res.Load.Total.Requests != 40 {
		t.Fatalf("close failed: err %v, result %+v", err, res)
	}

	ctx, cancel := context.WithCancel(t.Context())
	stopper := &stopSink{after: 2, stop: cancel}
	res, err = Replay(ctx, ReplayConfig{Recording: rec, Sinks: []Sink{stopper}})
	if err != nil || res.Load.Total.Requests != 20 || res.Partial != "the replay was stopped after 2 of 4 frames" || stopper.ticks != 2 {
		t.Fatalf("stopped: err %v, %d ticks, result %+v", err, stopper.ticks, res)
	}

	if _, err := Replay(t.Context(), ReplayConfig{}); err == nil {
		t.Fatal("no recording: no error")
	}
	if _, err := Replay(t.Context(), ReplayConfig{Recording: rec, Sinks: []Sink{nil}}); err == nil {
		t.Fatal("a nil sink: no error")
	}
}

// stopSink stops the replay after some ticks.
type stopSink struct {
	after, ticks int
	stop         func()
}

func (s *stopSink) Open(Info) error { return nil }
func (s *stopSink) Tick(Tick) {
	if s.ticks++; s.ticks == s.after {
		s.stop()
	}
}
func (s *stopSink) Event(Event)         {}
func (s *stopSink) Close(*Result) error { return nil }
