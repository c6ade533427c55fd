package cli

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine/enginetest"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
)

// TestThresholdDemoPasses runs the demo's fleet with two thresholds that
// hold: exit 0, the thresholds table with ✓ and the measured values, the
// verdict PASS, and a JUnit file with two passing testcases.
func TestThresholdDemoPasses(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "junit.xml")
	code, out, errOut := scalelab(t.Context(), "demo", "--headless", "--duration", "3s", "--rate", "100", "--replicas", "2",
		"--startup-delay", "50ms", "--drain", "200ms", "--latency", "1ms", "--no-record", "--junit", junit,
		"--threshold", "latency: p(99)<2000", "--threshold", "availability: rate>0.99")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"\n  thresholds\n", "    ✓ latency       p(99)<2000        p(99)=", "    ✓ availability  rate>0.99         rate=",
		"\n  verdict: PASS\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("the text summary lacks %q:\n%s", want, out)
		}
	}
	suite := readJUnit(t, junit)
	if suite.Tests != 2 || suite.Failures != 0 || suite.Cases[0].Name != "latency p(99)<2000" || suite.Cases[1].Name != "availability rate>0.99" {
		t.Errorf("junit %+v", suite)
	}
}

// TestThresholdFailedExits99 loads a loopback server with a latency
// threshold no service meets and one on a version no answer names (no
// data, which fails): exit 99 after the JSON summary, whose verdict and
// thresholds say so with the values; stderr's last line names both; the
// JUnit file has their failures; the recording has the judge's events.
func TestThresholdFailedExits99(t *testing.T) {
	srv := enginetest.NewServer(t)
	dir := t.TempDir()
	junit, rec := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "run.scalelab")
	code, out, errOut := scalelab(t.Context(), "load", srv.URL+"/", "--rate", "100", "--duration", "1s", "--json",
		"--junit", junit, "--record", rec,
		"--threshold", "latency: p(99)<0.001", "--threshold", "latency{version:nope}: p(99)<100", "--threshold", "requests: count>10")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	var sum report.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if sum.Verdict != "fail" || len(sum.Thresholds) != 3 || sum.Aborted != nil {
		t.Fatalf("verdict %q thresholds %+v aborted %+v", sum.Verdict, sum.Thresholds, sum.Aborted)
	}
	slow, none, count := sum.Thresholds[0], sum.Thresholds[1], sum.Thresholds[2]
	if slow.OK || slow.NoData || slow.Value == nil || *slow.Value <= 0.001 || slow.FirstFailedS == nil || slow.Metric != "latency" || slow.Filter != "" {
		t.Errorf("the failed threshold %+v", slow)
	}
	if none.OK || !none.NoData || none.Value != nil || none.Filter != "{version:nope}" {
		t.Errorf("the threshold without data %+v", none)
	}
	if !count.OK || count.Value == nil || *count.Value != float64(sum.Requests) {
		t.Errorf("requests count>10 %+v for %d requests", count, sum.Requests)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "scalelab: FAIL (2 of 3 thresholds failed: latency p(99)<0.001 = ") ||
		!strings.Contains(last, "latency{version:nope} p(99)<100: no data") {
		t.Errorf("stderr's last line %q: want the failed thresholds with their values", last)
	}
	suite := readJUnit(t, junit)
	if suite.Tests != 3 || suite.Failures != 2 || suite.Cases[1].Failure == nil ||
		suite.Cases[1].Failure.Message != "latency{version:nope} p(99)<100: no data" {
		t.Errorf("junit %+v", suite)
	}
	r, err := recordings.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var failed []string
	for _, e := range r.Events {
		if e.Source == recordings.FromJudge && e.Kind == "threshold-failed" {
			failed = append(failed, e.Label)
		}
	}
	if len(failed) != 2 || !strings.Contains(string(r.Summary), `"verdict":"fail"`) {
		t.Errorf("recorded threshold-failed events %q, summary %s", failed, r.Summary)
	}
}

// TestThresholdAbortExits108 loads a loopback server that starts failing
// after 1 s of a 4 s run, with an abortOnFail availability threshold: the
// run stops within a second of the breach (plus the requests' drain),
// prints the summary with ABORTED and the threshold's value, and exits
// 108.
func TestThresholdAbortExits108(t *testing.T) {
	var start atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		start.CompareAndSwap(0, time.Now().UnixNano())
		if time.Since(time.Unix(0, start.Load())) > time.Second {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	began := time.Now()
	code, out, errOut := scalelab(t.Context(), "load", srv.URL+"/", "--rate", "100", "--duration", "4s", "--no-record",
		"--threshold", "availability: rate>0.99, abortOnFail", "--threshold", "latency: p(99)<2000")
	took := time.Since(began)
	if code != exitAborted {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitAborted, out, errOut)
	}
	line := lineOf(out, "verdict: ")
	if !strings.HasPrefix(strings.TrimSpace(line), "verdict: ABORTED at 1.") || !strings.Contains(line, "availability rate>0.99 = ") {
		t.Errorf("verdict line %q", line)
	}
	if !strings.Contains(out, "    ✗ availability  rate>0.99         rate=") || !strings.Contains(out, "    ✓ latency") {
		t.Errorf("thresholds table:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "scalelab: ABORTED at ") {
		t.Errorf("stderr's last line %q", last)
	}
	t.Logf("the run of 4s took %s", took.Round(time.Millisecond))
	if took > 3*time.Second {
		t.Errorf("the aborted run took %s: want about 1 s to the breach and under 1 s more", took)
	}
}

func readJUnit(t *testing.T, path string) report.JUnitSuite {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s report.JUnitSuite
	if err := xml.Unmarshal(b, &s); err != nil {
		t.Fatalf("junit %s: %v\n%s", path, err, b)
	}
	return s
}

// TestThresholdFlagSplits: --threshold splits at the first colon outside
// braces and reads the trailing options.
func TestThresholdFlagSplits(t *testing.T) {
	for _, c := range []struct {
		flag, want string
		abort      bool
		delay      time.Duration
	}{
		{"latency: p(99)<200", "latency p(99)<200", false, 0},
		{"latency{version:v2}: p(99.9) <= 500", "latency{version:v2} p(99.9) <= 500", false, 0},
		{"http_req_failed{status:5xx}:rate<0.01", "errors{status:5xx} rate<0.01", false, 0},
		{"availability: rate>99%, abortOnFail", "availability rate>99%", true, 0},
		{"latency: p(99)<200 , abortOnFail , delayAbortEval=5s", "latency p(99)<200", true, 5 * time.Second},
		{"generator.saturated == false", "generator saturated == false", false, 0},
		{"generator: saturated==false, abortOnFail", "generator saturated==false", true, 0},
	} {
		th, err := parseThresholdFlag(c.flag)
		if err != nil {
			t.Errorf("%q: %v", c.flag, err)
			continue
		}
		if th.String() != c.want || th.AbortOnFail != c.abort || th.DelayAbortEval != c.delay {
			t.Errorf("%q: %s abort %v delay %s; want %s %v %s", c.flag, th, th.AbortOnFail, th.DelayAbortEval, c.want, c.abort, c.delay)
		}
	}
}
