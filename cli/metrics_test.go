package cli

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/promtooltest"
)

// exposition is a text exposition's samples: each series (name and
// labels as written) to its value.
type exposition map[string]float64

func parseExposition(t *testing.T, body string) exposition {
	t.Helper()
	e := exposition{}
	for _, l := range strings.Split(body, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("exposition line %q: %v", l, err)
		}
		e[l[:i]] = v
	}
	return e
}

// sum adds the values of the series named name (any labels).
func (e exposition) sum(name string) float64 {
	var n float64
	for k, v := range e {
		if k == name || strings.HasPrefix(k, name+"{") {
			n += v
		}
	}
	return n
}

func fetchBody(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// TestDemoServesMetricsLive: demo --metrics-listen 127.0.0.1:0 says where
// it serves, and a scrape during the run sees the live session: the
// counters by status, error class and version agree with each other and
// with the histograms' counts, they only grow and end at most at the
// summary's count, the step in progress and the threshold's state are
// there, and promtool check metrics passes on every scrape. The endpoint
// closes with the run.
func TestDemoServesMetricsLive(t *testing.T) {
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(t.Context(), []string{"demo", "--headless", "--json", "--duration", "4s", "--rate", "200",
			"--replicas", "2", "--startup-delay", "50ms", "--drain", "500ms", "--latency", "1ms",
			"--step", "1s:upgrade=v2", "--threshold", "latency: p(99)<500", "--metrics-listen", "127.0.0.1:0"},
			streams{out: &out, err: &errOut})
	}()
	where := regexp.MustCompile(`metrics at (http://127\.0\.0\.1:\d+/metrics)\n`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; time.Sleep(10 * time.Millisecond) {
		if m := where.FindStringSubmatch(errOut.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no 'metrics at' line on stderr: %q", errOut.String())
		}
	}

	var scrapes []exposition
	var bodies []string
	code := -1
	for code < 0 {
		select {
		case code = <-done:
			continue
		case <-time.After(250 * time.Millisecond):
		}
		body, err := fetchBody(url)
		if err != nil {
			continue // not open yet, or closed as the run ends
		}
		bodies = append(bodies, body)
		scrapes = append(scrapes, parseExposition(t, body))
	}
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var sum struct {
		Requests uint64 `json:"requests"`
	}
	if err := json.Unmarshal([]byte(out.String()), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, out.String())
	}
	if len(scrapes) < 4 {
		t.Fatalf("%d scrapes in a 4 s run, want a few", len(scrapes))
	}
	var last float64
	sawStep, sawV2 := false, false
	for i, e := range scrapes {
		answered, errs := e.sum("scalelab_requests_total"), e.sum("scalelab_request_errors_total")
		total := answered + errs
		if lat, svc := e["scalelab_request_latency_seconds_count"], e["scalelab_request_service_time_seconds_count"]; lat != total || svc != total {
			t.Errorf("scrape %d: %v answered + %v errors, latency count %v, service time count %v: want them equal", i, answered, errs, lat, svc)
		}
		if inf := e[`scalelab_request_latency_seconds_bucket{le="+Inf"}`]; inf != total {
			t.Errorf("scrape %d: latency +Inf bucket %v, want %v", i, inf, total)
		}
		if v := e.sum("scalelab_version_requests_total"); v != total {
			t.Errorf("scrape %d: %v requests by version, want %v", i, v, total)
		}
		if total < last {
			t.Errorf("scrape %d: %v requests after %v: a counter went down", i, total, last)
		}
		last = total
		if e[`scalelab_threshold_passing{threshold="latency p(99)<500"}`] != 1 {
			t.Errorf("scrape %d: the threshold's state is not 1 (passing): %v", i, e)
		}
		sawStep = sawStep || e[`scalelab_step_info{step="1s:upgrade=v2"}`] == 1
		sawV2 = sawV2 || e[`scalelab_version_requests_total{version="v2"}`] > 0
	}
	if last == 0 || last > float64(sum.Requests) {
		t.Errorf("last scrape: %v requests, summary %d: want some, at most the summary's", last, sum.Requests)
	}
	if scrapes[len(scrapes)-1][`scalelab_version_requests_total{version="v1"}`] == 0 || !sawV2 {
		t.Errorf("no requests by v1 and by v2 in an upgrade from v1 to v2")
	}
	if !sawStep {
		t.Errorf("no scrape showed the upgrade in progress (scalelab_step_info)")
	}
	promtooltest.Check(t, []byte(bodies[len(bodies)/2]))
	promtooltest.Check(t, []byte(bodies[len(bodies)-1]))
	if _, err := fetchBody(url); err == nil {
		t.Errorf("%s still served after the run ended", url)
	}
}

// TestMetricsListenInUseIsOneLineExit2: an address already taken is
// refused before the load, in one line naming the flag.
func TestMetricsListenInUseIsOneLineExit2(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, out, errOut := scalelab(t.Context(), "load", "http://"+ln.Addr().String()+"/", "--duration", "1s", "--metrics-listen", ln.Addr().String())
	if code != exitUsage || out != "" || strings.Count(errOut, "\n") != 1 ||
		!strings.Contains(errOut, "--metrics-listen") || !strings.Contains(errOut, "address already in use") {
		t.Fatalf("exit %d, stdout %q, stderr %q: want exit 2 and one line naming --metrics-listen", code, out, errOut)
	}
}

// TestTargetMetricsPassPromtool: scalelab target's own /metrics, after it
// answered, passes promtool check metrics.
func TestTargetMetricsPassPromtool(t *testing.T) {
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(t.Context(), []string{"target", "--listen", "127.0.0.1:0"}, streams{out: &out, err: &errOut})
	}()
	addr := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; time.Sleep(10 * time.Millisecond) {
		if m := addr.FindStringSubmatch(errOut.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no listening line: %q", errOut.String())
		}
	}
	for range 5 {
		if _, err := fetchBody(url + "/"); err != nil {
			t.Fatal(err)
		}
	}
	body, err := fetchBody(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "# TYPE ") {
		t.Fatalf("/metrics is no exposition: %q", body)
	}
	promtooltest.Check(t, []byte(body))
}
