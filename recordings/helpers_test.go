package recordings

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
)

// t0 is the synthetic sessions' start.
var t0 = time.Date(2026, 3, 4, 10, 15, 0, 0, time.UTC)

// testHeader is a fleet demo's header.
func testHeader() Header {
	return Header{
		Scalelab: "test", Start: t0, Command: "demo",
		Args:   []string{"scalelab", "demo", "--rate", "500"},
		Config: map[string]string{"rate": "500", "replicas": "3"},
		Target: "http://127.0.0.1:8080/", Model: "open loop, 500 req/s",
		Window: time.Hour, Tick: 250 * time.Millisecond, Cluster: "fleet",
	}
}

// session generates a synthetic fleet session: frames every tick at rate
// requests a second with latencies of 2..10 ms (a few slow ones, a few
// 503s), a cluster state whose shares move every second, and a cluster
// event every 10 s. With versions, the requests are split by version as
// during a rollout (see version); without, the frames are those format
// 1.0 recorded (testdata/format-1.0.scalelab).
type session struct {
	rng      *rand.Rand
	rate     int
	tick     time.Duration
	at       time.Duration // start of the next frame, from t0
	state    cluster.State
	versions bool
	// failures adds what format 1.2 records: the failed requests' latency,
	// transport errors (every other failure, as a timeout) by version, and
	// the requests without a version under engine.UnknownVersion.
	failures bool
}

func newSession(rate int) *session {
	s := &session{rng: rand.New(rand.NewPCG(1, 2)), rate: rate, tick: 250 * time.Millisecond}
	s.state = cluster.State{Desired: 3, Version: "v1", MaxSurge: 1}
	for i := range 3 {
		s.state.Replicas = append(s.state.Replicas, cluster.Replica{
			Name: fmt.Sprintf("replica-%d", i+1), Version: "v1", Phase: cluster.Ready,
			Address: fmt.Sprintf("127.0.0.1:%d", 40001+i), Share: 1.0 / 3, ShareKnown: true,
		})
	}
	return s
}

// frame returns the next frame.
func (s *session) frame() Frame {
	snap := engine.NewSnapshot()
	snap.Start, snap.End = t0.Add(s.at), t0.Add(s.at+s.tick)
	n := s.rate * int(s.tick/time.Millisecond) / 1000
	for i := range n {
		lat := 2000 + s.rng.Int64N(8000)
		if s.rng.IntN(100) == 0 {
			lat *= 5
		}
		failed := s.rng.IntN(500) == 0
		transport := failed && s.failures && i%2 == 0
		switch {
		case transport:
			snap.Errors[engine.ErrTimeout]++
		case failed:
			snap.Status[503]++
		default:
			snap.Status[200]++
		}
		snap.Requests++
		total := lat + s.rng.Int64N(300)
		_ = snap.Latency.RecordValue(total)
		_ = snap.Service.RecordValue(lat)
		if failed && s.failures {
			_ = snap.FailedLatency.RecordValue(total)
		}
		v := s.version(i)
		if v == "" && s.failures {
			v = engine.UnknownVersion
		}
		if v != "" && s.versions {
			addTo(snap, v, total, failed)
			if transport {
				snap.ByVersion[v].Errors++
			}
		}
	}
	snap.BytesIn = snap.Requests * 40
	snap.TargetRate = float64(s.rate)
	snap.InFlight = int64(s.rng.IntN(8))
	snap.LagMax = time.Duration(s.rng.IntN(500)) * time.Microsecond
	snap.LagSum = time.Duration(n) * 60 * time.Microsecond
	if s.at%time.Second == 0 {
		for i := range s.state.Replicas {
			s.state.Replicas[i].Share = 0.3 + 0.07*s.rng.Float64()
		}
	}
	st := s.state
	st.Replicas = append([]cluster.Replica(nil), s.state.Replicas...)
	s.at += s.tick
	return Frame{Snapshot: snap, CPU: 0.1 + 0.05*s.rng.Float64(), CPUKnown: true, Procs: 2, State: &st}
}

// version is the version that answers request i of the current frame: v1
// alone for 10 s, then v1 and v2 for 10 s, where request 40 of each frame
// has none (a balancer's own 502, say), then v2 alone.
func (s *session) version(i int) string {
	switch {
	case s.at < 10*time.Second:
		return "v1"
	case s.at >= 20*time.Second:
		return "v2"
	case i == 40:
		return ""
	case i%2 == 0:
		return "v1"
	}
	return "v2"
}

// addTo counts a request of version v in snap.
func addTo(snap *engine.Snapshot, v string, lat int64, failed bool) {
	if snap.ByVersion == nil {
		snap.ByVersion = map[string]*engine.VersionStats{}
	}
	vs := snap.ByVersion[v]
	if vs == nil {
		vs = &engine.VersionStats{Latency: engine.NewHistogram()}
		snap.ByVersion[v] = vs
	}
	vs.Requests++
	if failed {
		vs.Failed++
	}
	_ = vs.Latency.RecordValue(lat)
}

// write writes d of session to w, with an event every 10 s.
func (s *session) write(w *Writer, d time.Duration) []Frame {
	var out []Frame
	for s.at < d {
		if s.at%(10*time.Second) == 0 {
			w.Event(ClusterEvent(cluster.Event{Time: t0.Add(s.at), Kind: cluster.ReplicaReady, Replica: "replica-1", Version: "v1",
				Message: "replica-1 ready (v1)"}))
		}
		f := s.frame()
		w.Frame(f)
		out = append(out, f)
	}
	return out
}

// record writes d of a synthetic session into memory and returns the file.
func record(t testing.TB, d time.Duration, summary bool) ([]byte, []Frame) {
	return recordAt(t, 500, d, summary)
}

// recordAt is record at rate requests a second.
func recordAt(t testing.TB, rate int, d time.Duration, summary bool) ([]byte, []Frame) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader(), FlushEvery(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(rate)
	s.versions, s.failures = true, true
	var frames []Frame
	for s.at < d {
		frames = append(frames, s.write(w, min(s.at+time.Second, d))...)
		if err := w.flush(); err != nil {
			t.Fatal(err)
		}
	}
	if summary {
		if err := w.Summary([]byte(`{"requests":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), frames
}
