package fleet

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/scalelab/scalelab/cluster"
)

// startReplica starts a replica on a loopback port and stops it when the
// test ends.
func startReplica(t *testing.T, opts ...ReplicaOption) *Replica {
	t.Helper()
	r, err := NewReplica(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Kill)
	return r
}

// get sends one GET with a client of its own and returns the status, the
// Connection header, the version header and the body.
func get(t *testing.T, c *http.Client, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: body: %v", url, err)
	}
	if resp.Close {
		resp.Header.Set("Connection", "close") // the client takes it out
	}
	return resp.StatusCode, resp.Header, string(b)
}

func newClient() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
}

func TestReplicaAnswersVersionAndName(t *testing.T) {
	r := startReplica(t, Name("replica-7"), Version("v3"))
	c := newClient()
	code, h, body := get(t, c, r.URL()+"/")
	if code != 200 || h.Get(HeaderVersion) != "v3" || h.Get(HeaderReplica) != "replica-7" {
		t.Fatalf("GET /: %d %v", code, h)
	}
	if !strings.Contains(body, `"version":"v3"`) || !strings.Contains(body, `"replica":"replica-7"`) {
		t.Fatalf("GET / body %q", body)
	}
	if code, _, _ := get(t, c, r.URL()+"/healthz"); code != 200 {
		t.Fatalf("/healthz: %d", code)
	}
	if code, _, _ := get(t, c, r.URL()+"/readyz"); code != 200 {
		t.Fatalf("/readyz: %d", code)
	}
	if st := r.Stats(); st.Served != 1 || st.ServedStarting != 0 {
		t.Fatalf("stats %+v, want 1 served (probes not counted)", st)
	}
}

func TestReplicaStartupDelay(t *testing.T) {
	r := startReplica(t, StartupDelay(300*time.Millisecond))
	c := newClient()
	if code, _, body := get(t, c, r.URL()+"/readyz"); code != 503 || body != "starting\n" {
		t.Fatalf("/readyz during startup: %d %q", code, body)
	}
	get(t, c, r.URL()+"/") // served although not ready: counted as such
	if st := r.Stats(); st.ServedStarting != 1 {
		t.Fatalf("stats %+v, want 1 served while starting", st)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !r.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("never became ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, _, _ := get(t, c, r.URL()+"/readyz"); code != 200 {
		t.Fatalf("/readyz after startup: %d", code)
	}
}

func TestReplicaDrainKeepsServingThenClosesPolitely(t *testing.T) {
	const drain = 600 * time.Millisecond
	r := startReplica(t, Drain(drain))
	c := newClient()
	get(t, c, r.URL()+"/") // opens a keep-alive connection
	stopped := make(chan error, 1)
	began := time.Now()
	go func() { stopped <- r.Stop(context.Background()) }()
	waitFor(t, "readiness to fail", func() bool { return !r.Ready() })
	if code, _, body := get(t, c, r.URL()+"/readyz"); code != 503 || body != "draining\n" {
		t.Fatalf("/readyz while draining: %d %q", code, body)
	}
	// New and in-flight requests are served during the drain, on the old
	// keep-alive connection and on new ones.
	for range 5 {
		if code, h, _ := get(t, c, r.URL()+"/"); code != 200 || h.Get("Connection") == "close" {
			t.Fatalf("GET / while draining: %d, Connection %q", code, h.Get("Connection"))
		}
	}
	if code, _, _ := get(t, newClient(), r.URL()+"/"); code != 200 {
		t.Fatalf("GET / on a new connection while draining: %d", code)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < drain {
		t.Fatalf("stopped after %s, before the drain period %s", took, drain)
	}
	st := r.Stats()
	if st.ServedDraining != 6 || st.Served != 7 {
		t.Fatalf("stats %+v, want 7 served, 6 while draining", st)
	}
	if _, err := net.DialTimeout("tcp", r.Addr(), time.Second); err == nil {
		t.Fatal("replica still accepts connections after Stop")
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestReplicaLastAnswersCarryConnectionClose(t *testing.T) {
	r := startReplica(t, Drain(200*time.Millisecond), Latency(cluster.LatencyRange{Min: 400 * time.Millisecond, Max: 400 * time.Millisecond}))
	c := newClient()
	go func() { _ = r.Stop(context.Background()) }()
	waitFor(t, "readiness to fail", func() bool { return !r.Ready() })
	// This request is in flight when the drain period ends: it is
	// answered, with Connection: close.
	code, h, _ := get(t, c, r.URL()+"/")
	if code != 200 || h.Get("Connection") != "close" {
		t.Fatalf("GET / across the drain's end: %d, Connection %q", code, h.Get("Connection"))
	}
	<-r.Done()
}

func TestReplicaNoDrainDropsInFlight(t *testing.T) {
	r := startReplica(t, NoDrain(), Latency(cluster.LatencyRange{Min: time.Second, Max: time.Second}))
	errc := make(chan error, 1)
	go func() {
		resp, err := newClient().Get(r.URL() + "/")
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	waitFor(t, "the request to arrive", func() bool {
		return inflight(r) == 1
	})
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil {
		t.Fatal("request in flight at a no-drain stop was answered")
	}
}

func TestReplicaKillResetsConnections(t *testing.T) {
	r := startReplica(t, Latency(cluster.LatencyRange{Min: 2 * time.Second, Max: 2 * time.Second}))
	errc := make(chan error, 1)
	go func() {
		resp, err := newClient().Get(r.URL() + "/")
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	waitFor(t, "the request to arrive", func() bool {
		return inflight(r) == 1
	})
	r.Kill()
	err := <-errc
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("request in flight at a kill: %v, want a connection reset", err)
	}
	if _, err := net.DialTimeout("tcp", r.Addr(), time.Second); err == nil {
		t.Fatal("killed replica accepts connections")
	}
	select {
	case <-r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after Kill")
	}
}

func TestReplicaHangAcceptsAndNeverAnswers(t *testing.T) {
	r := startReplica(t)
	r.Hang()
	c := &http.Client{Timeout: 300 * time.Millisecond, Transport: &http.Transport{}}
	for _, path := range []string{"/", "/readyz", "/healthz"} {
		_, err := c.Get(r.URL() + path)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("GET %s on a hung replica: %v, want a timeout", path, err)
		}
	}
	if st := r.Stats(); st.Hung != 3 || st.Served != 0 {
		t.Fatalf("stats %+v, want 3 hung, none served", st)
	}
	r.Kill()
}

func TestReplicaFaultsAndMetrics(t *testing.T) {
	r := startReplica(t, Name("replica-1"), Version("v2"))
	c := newClient()
	for range 3 {
		get(t, c, r.URL()+"/")
	}
	r.SetErrorRate(1)
	for range 2 {
		if code, _, _ := get(t, c, r.URL()+"/"); code != 500 {
			t.Fatalf("error rate 1: got %d", code)
		}
	}
	r.SetErrorRate(0)
	r.AddLatency(cluster.LatencyRange{Min: 150 * time.Millisecond, Max: 150 * time.Millisecond})
	began := time.Now()
	get(t, c, r.URL()+"/")
	if took := time.Since(began); took < 150*time.Millisecond {
		t.Fatalf("added latency 150ms: answered in %s", took)
	}
	m := r.metrics
	if got := testutil.ToFloat64(m.requests.WithLabelValues("200")); got != 4 {
		t.Errorf("requests{code=200} = %g, want 4", got)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("500")); got != 2 {
		t.Errorf("requests{code=500} = %g, want 2", got)
	}
	if got := testutil.ToFloat64(m.ready); got != 1 {
		t.Errorf("ready = %g, want 1", got)
	}
	if got := testutil.CollectAndCount(m.duration); got != 1 {
		t.Errorf("duration series = %d, want 1", got)
	}
	_, _, body := get(t, c, r.URL()+"/metrics")
	for _, want := range []string{
		`scalelab_target_requests_total{code="200"} 4`,
		`scalelab_target_info{replica="replica-1",version="v2"} 1`,
		`scalelab_target_request_duration_seconds_count 6`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if st := r.Stats(); st.Served != 6 || st.Errors != 2 {
		t.Errorf("stats %+v, want 6 served, 2 errors", st)
	}
}

func TestNewReplicaRejectsBadOptions(t *testing.T) {
	_, err := NewReplica(Name(""), ErrorRate(2), Drain(-time.Second))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"name", "error rate 2", "drain -1s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// What a replica carries in a header is one printable word; what it
	// waits for is bounded.
	_, err = NewReplica(Name("a\r\nX-Evil: 1"), Version("v\x01"), StartupDelay(2*time.Hour), CPUWork(1<<62))
	for _, want := range []string{"replica name", `version "v\x01"`, "startup delay 2h0m0s: want 0..1h0m0s", "cpu work"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

// waitFor polls cond every 10 ms for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// inflight reads the replica's in-flight gauge.
func inflight(r *Replica) float64 { return testutil.ToFloat64(r.metrics.inflight) }
