package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/recordings"
)

const testToken = "s3cret-agent-token"

// syncBuffer is a log the server and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// target is a loopback service that counts the requests it answered and
// when it answered the last.
type target struct {
	*httptest.Server
	answered atomic.Uint64
	last     atomic.Int64 // UnixNano of the last answer
}

func newTarget(t *testing.T) *target {
	t.Helper()
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
		tg.last.Store(time.Now().UnixNano())
		tg.answered.Add(1)
	}))
	t.Cleanup(tg.Close)
	return tg
}

// agentUnderTest is a Server on a loopback HTTP server.
type agentUnderTest struct {
	srv *Server
	url string
	log *syncBuffer
}

func newAgent(t *testing.T, opts ServerOptions) *agentUnderTest {
	t.Helper()
	a := &agentUnderTest{log: &syncBuffer{}}
	if opts.Token == "" {
		opts.Token = testToken
	}
	opts.Log = a.log
	srv, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	a.srv = srv
	hs := httptest.NewServer(srv)
	a.url = hs.URL
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})
	return a
}

// do sends a request with token (none when empty) and answers its code
// and body.
func (a *agentUnderTest) do(t *testing.T, method, path, token string, body any) (int, string) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, a.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set(TokenHeader, token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(out)
}

// must sends an authenticated request that must answer 200.
func (a *agentUnderTest) must(t *testing.T, method, path string, body any) string {
	t.Helper()
	code, out := a.do(t, method, path, testToken, body)
	if code != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, code, out)
	}
	return out
}

func (a *agentUnderTest) status(t *testing.T) Status {
	t.Helper()
	var st Status
	if err := json.Unmarshal([]byte(a.must(t, "GET", PathStatus, nil)), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// stream is what a frame stream carried.
type stream struct {
	raw        [][]byte
	snaps      []*engine.Snapshot
	heartbeats int
	probes     []Probe // the agent's own probes, a second each
	end        End
}

// requests sums the frames' requests.
func (s *stream) requests() uint64 {
	var n uint64
	for _, sn := range s.snaps {
		n += sn.Requests
	}
	return n
}

// openStream connects a frame stream; read reads it to its end.
func (a *agentUnderTest) openStream(t *testing.T) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", a.url+PathFrames, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(TokenHeader, testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("frames: %s", resp.Status)
	}
	return resp
}

// read reads a frame stream to its MsgEnd (then EOF), decoding the frames
// relative to origin.
func read(t *testing.T, resp *http.Response, origin time.Time) *stream {
	t.Helper()
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	s := &stream{}
	for {
		kind, payload, err := ReadMessage(br, nil)
		if err != nil {
			t.Fatalf("stream after %d frames: %v (no MsgEnd)", len(s.raw), err)
		}
		switch kind {
		case MsgFrame:
			snap, err := recordings.DecodeSnapshot(payload, origin)
			if err != nil {
				t.Fatalf("frame %d: %v", len(s.raw), err)
			}
			s.raw = append(s.raw, payload)
			s.snaps = append(s.snaps, snap)
		case MsgHeartbeat:
			s.heartbeats++
		case MsgProbe:
			var pr Probe
			if err := json.Unmarshal(payload, &pr); err != nil || pr.Span <= 0 || pr.CPULimit <= 0 {
				t.Fatalf("probe %q: %v", payload, err)
			}
			s.probes = append(s.probes, pr)
		case MsgEnd:
			if err := json.Unmarshal(payload, &s.end); err != nil {
				t.Fatalf("end %q: %v", payload, err)
			}
			if _, _, err := ReadMessage(br, nil); !errors.Is(err, io.EOF) {
				t.Fatalf("after MsgEnd: %v, want EOF", err)
			}
			return s
		default:
			t.Fatalf("message kind %q", kind)
		}
	}
}

// testSpec is a run of rate req/s for window against url, starting in
// 100 ms, ticking every 250 ms.
func testSpec(url string, rate float64, window time.Duration) Spec {
	return Spec{RunID: "test", Index: 0, Count: 1, Target: engine.Target{URL: url},
		StartAt: time.Now().Add(100 * time.Millisecond), Interval: 250 * time.Millisecond,
		Rate: rate, Window: window, Timeout: 2 * time.Second, KeepAlive: true}
}

// waitState polls the status (a request: the controller is there) until
// it is want.
func (a *agentUnderTest) waitState(t *testing.T, want State, within time.Duration) Status {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st := a.status(t)
		if st.State == want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %s after %s, want %s", st.State, within, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServerRefusesWithoutToken(t *testing.T) {
	t.Parallel()
	a := newAgent(t, ServerOptions{})
	for _, tc := range []struct{ method, path, token string }{
		{"GET", PathStatus, ""},
		{"POST", PathRun, "wrong-" + testToken},
		{"GET", PathFrames, testToken[:len(testToken)-1]},
	} {
		code, body := a.do(t, tc.method, tc.path, tc.token, nil)
		if code != http.StatusUnauthorized || strings.Count(strings.TrimSpace(body), "\n") != 0 {
			t.Errorf("%s %s token %q: %d %q, want 401 and one line", tc.method, tc.path, tc.token, code, body)
		}
	}
	log := a.log.String()
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if len(lines) != 3 {
		t.Fatalf("log %q: want a line per refused request", log)
	}
	for i, path := range []string{PathStatus, PathRun, PathFrames} {
		if !strings.Contains(lines[i], path) || !strings.Contains(lines[i], "127.0.0.1:") {
			t.Errorf("log line %q: want the path %s and the remote address", lines[i], path)
		}
	}
	if strings.Contains(log, testToken[:8]) {
		t.Errorf("log %q shows the token", log)
	}
	if st := a.status(t); st.State != Idle {
		t.Errorf("status with the token: %+v, want idle", st)
	}
}

// TestServerStreamsEveryRequest runs 1 s at 200 req/s: a stream open
// from the start, one connected 0.5 s into the run and one after its end
// each get every frame from the first, and the frames' requests add up to
// the target's count of answered requests.
func TestServerStreamsEveryRequest(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	a := newAgent(t, ServerOptions{})
	spec := testSpec(tg.URL, 200, time.Second)
	a.must(t, "POST", PathRun, spec)

	early := make(chan *stream, 1)
	resp := a.openStream(t)
	go func() { early <- read(t, resp, spec.StartAt) }()
	time.Sleep(time.Until(spec.StartAt.Add(500 * time.Millisecond)))
	late := make(chan *stream, 1)
	resp2 := a.openStream(t)
	go func() { late <- read(t, resp2, spec.StartAt) }()
	first, second := <-early, <-late
	after := read(t, a.openStream(t), spec.StartAt)

	answered := tg.answered.Load()
	t.Logf("target answered %d, frames sum to %d requests over %d frames (%d heartbeats)",
		answered, first.requests(), len(first.snaps), first.heartbeats)
	if answered < 150 || first.requests() != answered {
		t.Errorf("frames sum to %d requests, the target answered %d", first.requests(), answered)
	}
	for name, s := range map[string]*stream{"early": first, "late": second, "after the end": after} {
		if s.end.Frames != len(s.raw) || s.end.Error != "" || s.end.Orphaned {
			t.Errorf("%s stream: end %+v after %d frames", name, s.end, len(s.raw))
		}
		if len(s.raw) != len(first.raw) {
			t.Errorf("%s stream: %d frames, the early one %d", name, len(s.raw), len(first.raw))
			continue
		}
		for i := range s.raw {
			if !bytes.Equal(s.raw[i], first.raw[i]) {
				t.Errorf("%s stream: frame %d differs from the early stream's", name, i)
			}
		}
	}
	if len(first.snaps) < 4 {
		t.Fatalf("%d frames for 1 s at 250 ms ticks", len(first.snaps))
	}
	if off := first.snaps[0].Start.Sub(spec.StartAt); off < -50*time.Millisecond || off > 200*time.Millisecond {
		t.Errorf("first frame starts %s from the run's start", off)
	}
	if st := a.status(t); st.State != Ended || st.Frames != len(first.raw) || st.RunID != "test" {
		t.Errorf("status after the run: %+v", st)
	}
	if log := a.log.String(); !strings.Contains(log, "started") || !strings.Contains(log, "ended") {
		t.Errorf("log %q: want the run's start and end", log)
	}
}

// TestServerControlsTheLoad pauses, resumes and changes the rate of a
// run: the frames' target rate follows; PathConnections on an open loop
// is the engine's error.
func TestServerControlsTheLoad(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	a := newAgent(t, ServerOptions{})
	spec := testSpec(tg.URL, 100, 3*time.Second)
	a.must(t, "POST", PathRun, spec)
	done := make(chan *stream, 1)
	resp := a.openStream(t)
	go func() { done <- read(t, resp, spec.StartAt) }()

	at := func(d time.Duration) { time.Sleep(time.Until(spec.StartAt.Add(d))) }
	at(600 * time.Millisecond)
	a.must(t, "POST", PathPause, nil)
	a.must(t, "POST", PathPause, nil) // a second pause keeps the first's setting
	at(1200 * time.Millisecond)
	a.must(t, "POST", PathResume, nil)
	at(1800 * time.Millisecond)
	a.must(t, "POST", PathRate, Setting{Rate: 300})
	if code, body := a.do(t, "POST", PathConnections, testToken, Setting{Connections: 4}); code != http.StatusBadRequest ||
		!strings.Contains(body, engine.ErrWrongModel.Error()) {
		t.Errorf("connections on an open loop: %d %q, want 400 with the engine's error", code, body)
	}
	if code, body := a.do(t, "POST", PathRate, testToken, `{"rate": -1}`); code != http.StatusBadRequest ||
		!strings.Contains(body, "negative") {
		t.Errorf("rate -1: %d %q, want 400 with the engine's error", code, body)
	}
	s := <-done

	var rates []float64
	for _, sn := range s.snaps {
		if len(rates) == 0 || rates[len(rates)-1] != sn.TargetRate {
			rates = append(rates, sn.TargetRate)
		}
	}
	want := []float64{100, 0, 100, 300}
	if len(rates) != len(want) {
		t.Fatalf("target rates %v, want %v in turn", rates, want)
	}
	for i := range want {
		if rates[i] != want[i] {
			t.Fatalf("target rates %v, want %v in turn", rates, want)
		}
	}
	if s.requests() != tg.answered.Load() {
		t.Errorf("frames sum to %d requests, the target answered %d", s.requests(), tg.answered.Load())
	}
}

// TestServerStopEndsTheRunEarly stops a 30 s run after 0.5 s: the stream
// ends with MsgEnd, every request answered in its frames.
func TestServerStopEndsTheRunEarly(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	a := newAgent(t, ServerOptions{})
	spec := testSpec(tg.URL, 200, 30*time.Second)
	a.must(t, "POST", PathRun, spec)
	done := make(chan *stream, 1)
	resp := a.openStream(t)
	go func() { done <- read(t, resp, spec.StartAt) }()
	time.Sleep(time.Until(spec.StartAt.Add(500 * time.Millisecond)))
	a.must(t, "POST", PathStop, nil)
	stopped := time.Now()
	var s *stream
	select {
	case s = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("no end of the stream 10 s after the stop")
	}
	t.Logf("stream ended %s after the stop: %d frames, %d requests (target: %d)",
		time.Since(stopped).Round(time.Millisecond), len(s.snaps), s.requests(), tg.answered.Load())
	if s.end.Frames != len(s.snaps) || s.end.Orphaned || s.end.Error != "" {
		t.Errorf("end %+v after %d frames", s.end, len(s.snaps))
	}
	if n := tg.answered.Load(); n < 50 || n > 400 || s.requests() != n {
		t.Errorf("frames sum to %d requests, the target answered %d (0.5 s at 200/s)", s.requests(), n)
	}
	if st := a.status(t); st.State != Ended {
		t.Errorf("status after the stop: %+v", st)
	}
	if code, _ := a.do(t, "POST", PathStop, testToken, nil); code != http.StatusConflict {
		t.Errorf("stop with no run: %d, want 409", code)
	}
}

// TestServerOrphanStopsTheLoad runs with a 500 ms orphan timeout and no
// stream nor request after PathRun: the load stops by itself.
func TestServerOrphanStopsTheLoad(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	a := newAgent(t, ServerOptions{OrphanTimeout: 500 * time.Millisecond})
	spec := testSpec(tg.URL, 200, 30*time.Second)
	spec.StartAt = time.Now()
	a.must(t, "POST", PathRun, spec)
	posted := time.Now()
	time.Sleep(3 * time.Second)
	answered := tg.answered.Load()
	last := time.Unix(0, tg.last.Load())
	time.Sleep(500 * time.Millisecond)
	if n := tg.answered.Load(); n != answered {
		t.Errorf("the target answered %d requests more after the load stopped", n-answered)
	}
	stoppedAfter := last.Sub(posted)
	t.Logf("last request answered %s after PathRun (orphan timeout 500ms), %d in all", stoppedAfter.Round(time.Millisecond), answered)
	if answered < 50 || stoppedAfter > 2*time.Second {
		t.Errorf("%d requests, the last %s after PathRun: want the load stopped within about 1 s of the 500 ms timeout", answered, stoppedAfter)
	}
	st := a.status(t)
	if st.State != Orphaned {
		t.Errorf("status %+v, want orphaned", st)
	}
	s := read(t, a.openStream(t), spec.StartAt)
	if !s.end.Orphaned || s.end.Frames != len(s.snaps) || s.requests() != answered {
		t.Errorf("end %+v after %d frames summing to %d requests (target: %d)", s.end, len(s.snaps), s.requests(), answered)
	}
	if !strings.Contains(a.log.String(), "orphaned") {
		t.Errorf("log %q: no line for the orphaned run", a.log.String())
	}
}

func TestServerRefusesBadSpec(t *testing.T) {
	t.Parallel()
	a := newAgent(t, ServerOptions{})
	good := testSpec("http://127.0.0.1:9/", 10, time.Second)
	bad := good
	bad.Count, bad.Target.URL = 0, "ftp://127.0.0.1/"
	for _, tc := range []struct {
		name string
		body any
		want []string
	}{
		{"not JSON", "{", []string{"bad JSON"}},
		{"an unknown field", `{"rat": 10}`, []string{"unknown field", "rat"}},
		{"two problems", bad, []string{"want 0 <= index < count", "scheme must be http or https"}},
		{"an engine's refusal", func() Spec { s := good; s.Timeout = 24 * time.Hour; return s }(), []string{"timeout"}},
	} {
		code, body := a.do(t, "POST", PathRun, testToken, tc.body)
		if code != http.StatusBadRequest || strings.Count(strings.TrimSpace(body), "\n") != 0 {
			t.Errorf("%s: %d %q, want 400 and one line", tc.name, code, body)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: %q does not say %q", tc.name, body, w)
			}
		}
	}
	if st := a.status(t); st.State != Idle {
		t.Errorf("status after bad specs: %+v, want idle", st)
	}
}

// TestServerRefusesSecondRun: a run armed or running refuses another with
// 409; once it ended (a stop), the next is accepted; Close stops the
// load and waits for it.
func TestServerRefusesSecondRun(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	a := newAgent(t, ServerOptions{})
	if code, _ := a.do(t, "POST", PathRate, testToken, Setting{Rate: 5}); code != http.StatusConflict {
		t.Errorf("rate with no run: %d, want 409", code)
	}
	if code, _ := a.do(t, "GET", PathFrames, testToken, nil); code != http.StatusConflict {
		t.Errorf("frames with no run: %d, want 409", code)
	}
	spec := testSpec(tg.URL, 50, 30*time.Second)
	spec.StartAt = time.Now().Add(time.Second)
	a.must(t, "POST", PathRun, spec)
	if code, body := a.do(t, "POST", PathRun, testToken, spec); code != http.StatusConflict || !strings.Contains(body, "armed") {
		t.Errorf("second run while armed: %d %q, want 409", code, body)
	}
	a.waitState(t, Running, 5*time.Second)
	if code, body := a.do(t, "POST", PathRun, testToken, spec); code != http.StatusConflict || !strings.Contains(body, "running") {
		t.Errorf("second run while running: %d %q, want 409", code, body)
	}
	a.must(t, "POST", PathStop, nil)
	a.waitState(t, Ended, 10*time.Second)
	spec.RunID, spec.StartAt = "next", time.Now()
	a.must(t, "POST", PathRun, spec)
	a.waitState(t, Running, 5*time.Second)
	a.srv.Close()
	if st := a.srv.Status(); st.State != Ended || st.RunID != "next" {
		t.Errorf("status after Close: %+v, want the run ended", st)
	}
	n := tg.answered.Load()
	time.Sleep(300 * time.Millisecond)
	if m := tg.answered.Load(); m != n {
		t.Errorf("%d requests answered after Close returned", m-n)
	}
	if code, _ := a.do(t, "POST", PathRun, testToken, spec); code != http.StatusServiceUnavailable {
		t.Errorf("run after Close: %d, want 503", code)
	}
}

// TestServerBoundsFrameMemory: a run whose frames pass MaxFrameBytes is
// stopped with an error rather than lose one.
func TestServerBoundsFrameMemory(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	a := newAgent(t, ServerOptions{MaxFrameBytes: 2000})
	spec := testSpec(tg.URL, 100, 30*time.Second)
	a.must(t, "POST", PathRun, spec)
	resp := a.openStream(t)
	s := read(t, resp, spec.StartAt)
	if !strings.Contains(s.end.Error, "frame memory") || s.end.Frames != len(s.snaps) {
		t.Errorf("end %+v after %d frames, want the frame memory's error", s.end, len(s.snaps))
	}
	var size int
	for _, b := range s.raw {
		size += len(b)
	}
	if size > 2000 {
		t.Errorf("%d bytes of frames kept, bound 2000", size)
	}
}

// TestServerStreamKeepsTheController: with a 500 ms orphan timeout, an
// open frame stream (heartbeats while armed, then frames) keeps the
// controller there well past the timeout; once it closes, the load stops
// within about a second.
func TestServerStreamKeepsTheController(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	a := newAgent(t, ServerOptions{OrphanTimeout: 500 * time.Millisecond})
	spec := testSpec(tg.URL, 100, 30*time.Second)
	spec.StartAt = time.Now().Add(1500 * time.Millisecond)
	a.must(t, "POST", PathRun, spec)
	resp := a.openStream(t)
	br := bufio.NewReader(resp.Body)
	heartbeats, frames := 0, 0
	for {
		kind, payload, err := ReadMessage(br, nil)
		if err != nil {
			t.Fatalf("stream after %d frames: %v", frames, err)
		}
		if kind == MsgHeartbeat {
			heartbeats++
			continue
		}
		if kind != MsgFrame {
			t.Fatalf("message %q before the stream closed (orphaned with the stream open?): %s", kind, payload)
		}
		frames++
		snap, err := recordings.DecodeSnapshot(payload, spec.StartAt)
		if err != nil {
			t.Fatal(err)
		}
		if snap.End.Sub(spec.StartAt) >= time.Second {
			break
		}
	}
	resp.Body.Close()
	closed := time.Now()
	time.Sleep(3 * time.Second)
	last := time.Unix(0, tg.last.Load())
	t.Logf("%d heartbeats while armed, %d frames; last request %s after the stream closed", heartbeats, frames,
		last.Sub(closed).Round(time.Millisecond))
	if heartbeats < 1 {
		t.Errorf("no heartbeat in the 1.5 s before the start")
	}
	if after := last.Sub(closed); after > 2*time.Second {
		t.Errorf("last request %s after the stream closed: want the load stopped within about 1 s of the 500 ms timeout", after)
	}
	if st := a.status(t); st.State != Orphaned {
		t.Errorf("status %+v, want orphaned", st)
	}
}
