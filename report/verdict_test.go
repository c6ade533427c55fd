package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/experiments"
)

func status(t *testing.T, key, expr string, v float64, noData, ok bool, firstFailed time.Duration, text string) analysis.Status {
	t.Helper()
	th, err := analysis.ParseThreshold(key, expr)
	if err != nil {
		t.Fatal(err)
	}
	return analysis.Status{Threshold: th, Value: v, NoData: noData, OK: ok, FirstFailed: firstFailed, Text: text}
}

// TestVerdictLineAndTable: the text summary's thresholds table and
// verdict line for a pass, a fail (a threshold's value, one with no data,
// a failed step) and an abort.
func TestVerdictLineAndTable(t *testing.T) {
	pass := status(t, "latency", "p(99)<200", 18.3, false, true, analysis.Never, "p(99)=18.3ms")
	slow := status(t, "latency", "p(99)<0.001", 3.2, false, false, 1250*time.Millisecond, "p(99)=3.2ms")
	none := status(t, "latency{version:nope}", "p(99)<100", 0, true, false, analysis.Never, "p(99): no data")
	steps := []experiments.Result{{Spec: "1s:scale=3", Completed: true}, {Spec: "2s:kill=replica-9", Error: "no such replica"}}
	for _, c := range []struct {
		name     string
		verdict  analysis.Verdict
		statuses []analysis.Status
		steps    []experiments.Result
		aborted  *AbortResult
		want     []string
	}{
		{"pass", analysis.VerdictPass, []analysis.Status{pass}, nil, nil,
			[]string{"  thresholds\n    ✓ latency  p(99)<200         p(99)=18.3ms\n", "  verdict: PASS\n"}},
		{"fail", analysis.VerdictFail, []analysis.Status{pass, slow, none}, steps, nil,
			[]string{"    ✗ latency{version:nope}  p(99)<100         p(99): no data\n",
				"  verdict: FAIL (2 of 3 thresholds failed: latency p(99)<0.001 = 3.2ms; latency{version:nope} p(99)<100: no data; 1 of 2 steps failed: 2s:kill=replica-9)\n"}},
		{"aborted", analysis.VerdictAborted, []analysis.Status{slow}, nil, NewAbortResult(slow.Threshold, slow, 1250*time.Millisecond),
			[]string{"  verdict: ABORTED at 1.2s: latency p(99)<0.001 = 3.2ms (abortOnFail)\n"}},
		{"steps only", analysis.VerdictFail, nil, steps, nil,
			[]string{"  verdict: FAIL (1 of 2 steps failed: 2s:kill=replica-9)\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var s Summary
			s.Judged(c.verdict, c.statuses, c.aborted)
			var b bytes.Buffer
			s.WriteVerdict(&b, c.steps)
			for _, w := range c.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("text:\n%s\nwant:\n%s", b.String(), w)
				}
			}
		})
	}
	var b bytes.Buffer
	Summary{}.WriteVerdict(&b, nil)
	if b.Len() != 0 {
		t.Errorf("no verdict printed %q", b.String())
	}
}

// TestSummaryJSONHasTheVerdict: the JSON summary's verdict, thresholds
// (metric, filter, source, value in the metric's unit or null, ok,
// no_data, first_failed_s) and aborted; none of them without a verdict.
func TestSummaryJSONHasTheVerdict(t *testing.T) {
	avail := status(t, "availability{version:v2}", "rate>0.99", 0.5, false, false, 2*time.Second, "rate=50%")
	none := status(t, "latency{version:nope}", "p(99)<100", 0, true, false, analysis.Never, "p(99): no data")
	s := Summary{Command: "demo"}
	s.Judged(analysis.VerdictAborted, []analysis.Status{avail, none}, NewAbortResult(avail.Threshold, avail, 2*time.Second))
	js, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Verdict    string           `json:"verdict"`
		Thresholds []map[string]any `json:"thresholds"`
		Aborted    map[string]any   `json:"aborted"`
	}
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	if got.Verdict != "aborted" || len(got.Thresholds) != 2 {
		t.Fatalf("%s", js)
	}
	a, n := got.Thresholds[0], got.Thresholds[1]
	if a["metric"] != "availability" || a["filter"] != "{version:v2}" || a["source"] != "rate>0.99" || a["value"] != 0.5 ||
		a["ok"] != false || a["no_data"] != false || a["first_failed_s"] != 2.0 {
		t.Errorf("threshold %v", a)
	}
	if n["value"] != nil || n["no_data"] != true || n["first_failed_s"] != nil || n["filter"] != "{version:nope}" {
		t.Errorf("no data threshold %v", n)
	}
	if got.Aborted["threshold"] != "availability{version:v2} rate>0.99" || got.Aborted["value"] != 0.5 || got.Aborted["at_s"] != 2.0 {
		t.Errorf("aborted %v", got.Aborted)
	}
	plain, _ := json.Marshal(Summary{Command: "load"})
	for _, k := range []string{"verdict", "thresholds", "aborted"} {
		if strings.Contains(string(plain), `"`+k+`"`) {
			t.Errorf("%s in a summary without a verdict: %s", k, plain)
		}
	}
}

// TestJUnitParses: the JUnit XML parses with encoding/xml, one testcase a
// threshold and a step, failures with the measured value, names escaped.
func TestJUnitParses(t *testing.T) {
	ok := status(t, "latency", "p(99)<200", 18.3, false, true, analysis.Never, "p(99)=18.3ms")
	bad := status(t, "latency", "p(99)<0.001", 3.2, false, false, time.Second, "p(99)=3.2ms")
	none := status(t, "latency{version:<&\"nope>}", "p(99)<100", 0, true, false, analysis.Never, "p(99): no data")
	s := Summary{Command: "demo", Target: "http://127.0.0.1:1/?a=1&b=<2>"}
	s.DurationS = 3
	s.Judged(analysis.VerdictFail, []analysis.Status{ok, bad, none}, nil)
	steps := []experiments.Result{{Spec: "1s:scale=3", Completed: true, DurationS: 0.5}, {Spec: "2s:kill=replica-9", Error: "no such replica"}}
	var b bytes.Buffer
	if err := WriteJUnit(&b, s, steps); err != nil {
		t.Fatal(err)
	}
	var got JUnitSuite
	if err := xml.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	if got.Name != "scalelab demo http://127.0.0.1:1/?a=1&b=<2>" || got.Tests != 5 || got.Failures != 3 || got.Time != "3.000" {
		t.Fatalf("suite %q tests %d failures %d time %s", got.Name, got.Tests, got.Failures, got.Time)
	}
	want := []struct{ name, class, failure string }{
		{"latency p(99)<200", "thresholds", ""},
		{"latency p(99)<0.001", "thresholds", "latency p(99)<0.001 failed: p(99)=3.2ms"},
		{`latency{version:<&"nope>} p(99)<100`, "thresholds", `latency{version:<&"nope>} p(99)<100: no data`},
		{"1s:scale=3", "steps", ""},
		{"2s:kill=replica-9", "steps", "step 2s:kill=replica-9 failed: no such replica"},
	}
	for i, w := range want {
		c := got.Cases[i]
		msg := ""
		if c.Failure != nil {
			msg = c.Failure.Message
		}
		if c.Name != w.name || c.Classname != w.class || msg != w.failure {
			t.Errorf("case %d: %q %q failure %q; want %q %q %q", i, c.Name, c.Classname, msg, w.name, w.class, w.failure)
		}
	}
}
