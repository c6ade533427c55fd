package scrape

import (
	"bufio"
	"context"
	"fmt"
	"github.com/scalelab/scalelab/fleet"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// childEnv makes the test binary a target process (see TestMain): a
// Prometheus endpoint with the process collector and a counter of the
// work it was asked for, and /spin?ms=N that burns N ms of CPU.
const childEnv = "SCALELAB_SCRAPE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		serveChild()
		return
	}
	os.Exit(m.Run())
}

// serveChild serves until its stdin closes (the test ended).
func serveChild() {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	spins := prometheus.NewCounter(prometheus.CounterOpts{Name: "demo_spins_total", Help: "Spins served."})
	reg.MustRegister(spins)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/spin", func(w http.ResponseWriter, r *http.Request) {
		// Burns ms of the process's CPU (not of wall time: a loaded
		// machine lends it less), within 5 s.
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		want, from := time.Duration(ms)*time.Millisecond, cpuTime()
		for end := time.Now().Add(5 * time.Second); cpuTime()-from < want && time.Now().Before(end); {
		}
		spins.Inc()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		return
	}
	fmt.Println(ln.Addr())
	go func() { _ = http.Serve(ln, mux) }()
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // EOF when the parent ends
}

// cpuTime is the process's CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startChild runs the target process and returns its address.
func startChild(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "127.0.0.1:") {
		t.Fatalf("the target process said %q (%v)", line, err)
	}
	return strings.TrimSpace(line)
}

// TestScrapeSeesCPURiseWithLoad scrapes a real target process: idle, its
// CPU is near 0 cores; over a second in which it burns 700 ms of CPU,
// about 0.7; its resident memory is there, and the named counter's rate
// is the work it did.
func TestScrapeSeesCPURiseWithLoad(t *testing.T) {
	addr := startChild(t)
	s, err := New("http://"+addr+"/metrics", Options{Metrics: []string{"demo_spins_total", "no_such_metric"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	first, err := s.Scrape(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.CPUKnown || !first.RSSKnown || first.RSS < 1<<20 {
		t.Fatalf("first scrape %+v: want no rate yet, the RSS", first)
	}
	time.Sleep(time.Second)
	idle, err := s.Scrape(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 7 {
		resp, err := http.Get("http://" + addr + "/spin?ms=100")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	time.Sleep(200 * time.Millisecond)
	busy, err := s.Scrape(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The CPU seconds the busy interval's rate stands for: the 700 ms
	// burnt, at the collector's 10 ms resolution, plus the serving.
	burnt := busy.CPU * busy.At.Sub(idle.At).Seconds()
	t.Logf("idle %.3f cores, busy %.3f cores (%.3f s of CPU), rss %.0f MiB", idle.CPU, busy.CPU, burnt, busy.RSS/(1<<20))
	if !idle.CPUKnown || idle.CPU > 0.2 {
		t.Errorf("idle: %.3f cores (known %v), want near 0", idle.CPU, idle.CPUKnown)
	}
	if !busy.CPUKnown || busy.CPU <= idle.CPU || burnt < 0.6 || burnt > 1.0 {
		t.Errorf("busy: %.3f cores, %.3f s of CPU; want the 0.7 s burnt", busy.CPU, burnt)
	}
	spins, missing := busy.Values[0], busy.Values[1]
	if spins.Name != "demo_spins_total" || !spins.Counter || spins.Value != 7 || !spins.HasRate || spins.Rate < 3 || spins.Rate > 10 {
		t.Errorf("the named counter %+v: want 7 spins at about 6/s", spins)
	}
	if !missing.Missing || missing.Name != "no_such_metric" {
		t.Errorf("a metric the endpoint lacks: %+v", missing)
	}
}

// TestScrapeErrors: what cannot be scraped says why in one line.
func TestScrapeErrors(t *testing.T) {
	for _, raw := range []string{"", "127.0.0.1:9/metrics", "ftp://127.0.0.1/metrics", "http:///metrics"} {
		if _, err := New(raw, Options{}); err == nil || !strings.Contains(err.Error(), "want an http://") {
			t.Errorf("New(%q): %v", raw, err)
		}
	}
	if _, err := New("http://127.0.0.1:9/metrics", Options{Metrics: []string{""}}); err == nil {
		t.Error("an empty metric name was accepted")
	}
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "<html><body>not metrics</body></html>")
	}))
	defer html.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer failing.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for url, want := range map[string]string{
		html.URL:    "not a Prometheus exposition",
		failing.URL: "HTTP 500",
		closed.URL:  "connection refused",
	} {
		s, err := New(url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Scrape(context.Background()); err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("scrape %s: %v, want one line with %q", url, err, want)
		}
	}
}

// TestScrapeCounterReset: a counter that went down (the target
// restarted) gives no rate that interval, and rates again after.
func TestScrapeCounterReset(t *testing.T) {
	values := []int{10, 3, 5}
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# TYPE work_total counter\nwork_total{kind=\"a\"} %d\nwork_total{kind=\"b\"} %d\n", values[n], values[n])
		n++
	}))
	defer srv.Close()
	s, err := New(srv.URL, Options{Metrics: []string{"work_total"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []Value
	for range values {
		smp, err := s.Scrape(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, smp.Values[0])
		time.Sleep(20 * time.Millisecond)
	}
	if got[0].Value != 20 || got[0].HasRate || got[1].Value != 6 || got[1].HasRate || got[2].Value != 10 || !got[2].HasRate || got[2].Rate <= 0 {
		t.Errorf("readings %+v: want 20 (no rate), 6 (reset: no rate), 10 with a rate", got)
	}
}

// TestScrapeTargetReplica scrapes the demo service as `scalelab target`
// runs it (process metrics on): its CPU and memory are there, and its
// requests counter rates the requests sent.
func TestScrapeTargetReplica(t *testing.T) {
	r, err := fleet.NewReplica(fleet.ProcessMetrics())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(context.Background()) })
	for deadline := time.Now().Add(5 * time.Second); !r.Ready(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the replica never became ready")
		}
	}
	s, err := New(r.URL()+"/metrics", Options{Metrics: []string{"scalelab_target_requests_total"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Scrape(t.Context()); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		resp, err := http.Get(r.URL() + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	time.Sleep(100 * time.Millisecond)
	smp, err := s.Scrape(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	req := smp.Values[0]
	if !smp.CPUKnown || !smp.RSSKnown || !req.Counter || req.Value != 50 || !req.HasRate || req.Rate <= 0 {
		t.Errorf("sample %+v: want CPU, RSS and 50 requests with their rate", smp)
	}
}

// TestScrapeHistogramSeries: a histogram's NAME_sum and NAME_count read
// as counters (the time spent per second, the observations per second),
// summed over its series; a gauge named NAME_sum is not a histogram's.
func TestScrapeHistogramSeries(t *testing.T) {
	sums := []float64{1.5, 2.25}
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# TYPE busy_seconds histogram\n"+
			"busy_seconds_bucket{code=\"200\",le=\"+Inf\"} %d\nbusy_seconds_sum{code=\"200\"} %g\nbusy_seconds_count{code=\"200\"} %d\n"+
			"busy_seconds_bucket{code=\"500\",le=\"+Inf\"} 1\nbusy_seconds_sum{code=\"500\"} 0.5\nbusy_seconds_count{code=\"500\"} 1\n"+
			"# TYPE level gauge\nlevel 3\n", 10*(n+1), sums[n], 10*(n+1))
		n++
	}))
	defer srv.Close()
	s, err := New(srv.URL, Options{Metrics: []string{"busy_seconds_sum", "busy_seconds_count", "level_sum"}})
	if err != nil {
		t.Fatal(err)
	}
	var last Sample
	for range sums {
		if last, err = s.Scrape(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sum, count, missing := last.Values[0], last.Values[1], last.Values[2]
	if sum.Value != 2.75 || !sum.Counter || !sum.HasRate || sum.Rate <= 0 {
		t.Errorf("busy_seconds_sum %+v: want 2.75, a counter with a rate", sum)
	}
	if count.Value != 21 || !count.Counter || !count.HasRate {
		t.Errorf("busy_seconds_count %+v: want 21, a counter with a rate", count)
	}
	if !missing.Missing {
		t.Errorf("level_sum %+v: want missing (level is a gauge, not a histogram)", missing)
	}
}
