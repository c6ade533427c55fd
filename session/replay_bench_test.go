package session

import (
	"bytes"
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/recordings"
)

// hourRecording is a synthetic one-hour demo session (14,400 frames of
// 250 ms) at 500 requests a second, made once per test binary: latencies
// of 2..10 ms (one in a hundred five times slower), one request in 500
// failed (every other one a timeout), the requests split by version as
// in a rollout (v1 and v2, and the unknown version), a cluster state of
// three replicas whose shares move every second, a cluster event every
// 10 s and the closing summary.
var hourRecording = sync.OnceValues(func() ([]byte, error) { return synthRecording(time.Hour) })

// synthRecording writes d of the synthetic session into memory.
func synthRecording(d time.Duration) ([]byte, error) {
	const tick, rate = 250 * time.Millisecond, 500
	var buf bytes.Buffer
	w, err := recordings.NewWriter(&buf, recordings.Header{Command: "demo", Target: "http://127.0.0.1:8080/",
		Model: "open loop, 500 req/s", Start: replayStart, Window: d, Tick: tick, Cluster: "fleet"})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	state := cluster.State{Desired: 3, Version: "v1"}
	for i := range 3 {
		state.Replicas = append(state.Replicas, cluster.Replica{Name: "replica-" + string(rune('1'+i)), Version: "v1",
			Phase: cluster.Ready, Share: 1.0 / 3, ShareKnown: true})
	}
	s := engine.NewSnapshot() // reused: Frame encodes it before it returns
	versions := []string{"v1", "v2", engine.UnknownVersion}
	for at := time.Duration(0); at < d; at += tick {
		s.CopyFrom(engine.NewSnapshot())
		s.Start, s.End = replayStart.Add(at), replayStart.Add(at+tick)
		for j := range rate * int(tick/time.Millisecond) / 1000 {
			lat := 2000 + rng.Int64N(8000)
			if rng.IntN(100) == 0 {
				lat *= 5
			}
			failed := rng.IntN(500) == 0
			switch {
			case failed && j%2 == 0:
				s.Errors[engine.ErrTimeout]++
			case failed:
				s.Status[503]++
			default:
				s.Status[200]++
			}
			s.Requests++
			total := lat + rng.Int64N(300)
			_ = s.Latency.RecordValue(total)
			_ = s.Service.RecordValue(lat)
			vs := s.VersionEntry(versions[j%3])
			vs.Requests++
			if vs.Latency == nil {
				vs.Latency = engine.NewHistogram()
			}
			_ = vs.Latency.RecordValue(total)
			if failed {
				_ = s.FailedLatency.RecordValue(total)
				vs.Failed++
				if j%2 == 0 {
					vs.Errors++
				}
			}
		}
		s.TargetRate, s.InFlight = rate, int64(rng.IntN(8))
		if at%time.Second == 0 {
			for i := range state.Replicas {
				state.Replicas[i].Share = 0.3 + 0.07*rng.Float64()
			}
		}
		if at%(10*time.Second) == 0 {
			w.Event(recordings.ClusterEvent(cluster.Event{Time: s.Start, Kind: cluster.ReplicaReady, Replica: "replica-1",
				Message: "replica-1 ready"}))
		}
		w.Frame(recordings.Frame{Snapshot: s, CPU: 0.1, CPUKnown: true, Procs: 2, State: &state})
	}
	if err := w.Summary([]byte(`{"requests":1}`)); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// countSink counts the requests of the ticks it is handed.
type countSink struct{ requests uint64 }

func (c *countSink) Open(Info) error     { return nil }
func (c *countSink) Tick(t Tick)         { c.requests += t.Snapshot.Requests }
func (c *countSink) Event(Event)         {}
func (c *countSink) Close(*Result) error { return nil }

// BenchmarkReplayHour replays the synthetic one-hour session through two
// sinks, as replay --headless does with the load model's sink and an
// --out stream: the goal is at most a second per replay.
func BenchmarkReplayHour(b *testing.B) {
	data, err := hourRecording()
	if err != nil {
		b.Fatal(err)
	}
	rec, err := recordings.ReadBytes(data)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close()
	b.ReportAllocs()
	for b.Loop() {
		a, c := &countSink{}, &countSink{}
		res, err := Replay(context.Background(), ReplayConfig{Recording: rec, Sinks: []Sink{a, c}})
		if err != nil || res.Partial != "" {
			b.Fatal(err, res.Partial)
		}
		if n := res.Load.Total.Requests; n != 14400*125 || a.requests != n || c.requests != n {
			b.Fatalf("replayed %d requests, sinks saw %d and %d", n, a.requests, c.requests)
		}
	}
}
