package promexport

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/internal/promtooltest"
	"github.com/scalelab/scalelab/session"
)

func TestCheckAddr(t *testing.T) {
	for _, c := range []struct {
		addr    string
		anyAddr bool
		bad     string // a part of the error; "" when allowed
	}{
		{"127.0.0.1:9464", false, ""},
		{"127.1.2.3:0", false, ""},
		{"localhost:9464", false, ""},
		{"[::1]:9464", false, ""},
		{"0.0.0.0:9464", false, `"0.0.0.0" is not a loopback address`},
		{":9464", false, "every interface is not a loopback address"},
		{"192.168.1.10:9464", false, "--metrics-listen-any"},
		{"example.com:9464", false, `"example.com" is not a loopback address`},
		{"0.0.0.0:9464", true, ""},
		{":9464", true, ""},
		{"127.0.0.1", false, "want HOST:PORT"},
		{"127.0.0.1:http", false, `port "http"`},
		{"127.0.0.1:70000", false, `port "70000"`},
	} {
		err := CheckAddr(c.addr, c.anyAddr)
		switch {
		case c.bad == "" && err != nil:
			t.Errorf("CheckAddr(%q, %v) = %v, want nil", c.addr, c.anyAddr, err)
		case c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)):
			t.Errorf("CheckAddr(%q, %v) = %v, want an error with %q", c.addr, c.anyAddr, err, c.bad)
		}
	}
}

// TestEndpointServesValidExposition: an endpoint on a loopback port serves
// the totals at /metrics from the session's opening, promtool check
// metrics passes on it, and it stops serving as the session closes.
func TestEndpointServesValidExposition(t *testing.T) {
	ln, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	ths := []analysis.Threshold{mustThreshold(t, "latency", "p(99) < 200")}
	e := Serve(ln, Options{Thresholds: ths})
	if err := e.Open(session.Info{Start: time.Now()}); err != nil {
		t.Fatal(err)
	}
	e.Tick(tick(map[int]uint64{200: 3, 503: 1}, map[engine.ErrorClass]uint64{engine.ErrReset: 2},
		map[string]engine.VersionStats{"v1": {Requests: 6, Failed: 3}}, 2, 0, 1, 800, 900, 4000, 120000, 1, 2))
	e.Event(stepEvent("started", "10s:kill=1", "kill"))

	url := "http://" + e.Addr().String() + "/metrics"
	body := get(t, url)
	for _, want := range []string{
		`scalelab_requests_total{status_class="2xx"} 3`,
		`scalelab_requests_total{status_class="5xx"} 1`,
		`scalelab_request_errors_total{error_class="reset"} 2`,
		`scalelab_version_requests_total{version="v1"} 6`,
		`scalelab_request_latency_seconds_bucket{le="0.001"} 4`,
		`scalelab_request_latency_seconds_count 6`,
		`scalelab_request_service_time_seconds_count 6`,
		`scalelab_requests_in_flight 2`,
		`scalelab_sends_late_total 1`,
		`scalelab_threshold_passing{threshold="latency p(99) < 200"} 1`,
		`scalelab_step_info{step="10s:kill=1"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics has no line %q:\n%s", want, body)
		}
	}
	promtooltest.Check(t, []byte(body))
	nativeOverHTTP(t, url)

	if err := e.Close(nil); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("/metrics still served after the session closed: %s", resp.Status)
	}
}

// TestEndpointClosedBeforeOpen: a session that fails before it opens
// closes its sinks without opening them: the listener is released.
func TestEndpointClosedBeforeOpen(t *testing.T) {
	ln, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := Serve(ln, Options{}).Close(nil); err != nil {
		t.Fatal(err)
	}
	again, err := Listen(addr, false)
	if err != nil {
		t.Fatalf("the address is still held after Close: %v", err)
	}
	again.Close()
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return string(b)
}

// nativeOverHTTP: a scraper that asks for the protobuf format gets the
// latency histogram with its native buckets beside the classic ones.
func nativeOverHTTP(t *testing.T, url string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeProtoDelim)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dec := expfmt.NewDecoder(resp.Body, expfmt.ResponseFormat(resp.Header))
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err != nil {
			t.Fatalf("no scalelab_request_latency_seconds in the protobuf exposition (%s): %v", resp.Header.Get("Content-Type"), err)
		}
		if mf.GetName() != "scalelab_request_latency_seconds" {
			continue
		}
		h := mf.Metric[0].GetHistogram()
		var native int64
		var acc int64
		for _, d := range h.PositiveDelta {
			acc += d
			native += acc
		}
		if h.GetSchema() != NativeSchema || len(h.PositiveSpan) == 0 || uint64(native)+h.GetZeroCount() != h.GetSampleCount() ||
			len(h.Bucket) != len(Buckets) || h.GetSampleCount() != 6 {
			t.Errorf("latency over protobuf: schema %d, %d spans, %d in native buckets, %d classic buckets, count %d: want both kinds of buckets holding the 6 requests",
				h.GetSchema(), len(h.PositiveSpan), native, len(h.Bucket), h.GetSampleCount())
		}
		return
	}
}
