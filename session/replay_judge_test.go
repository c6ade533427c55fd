package session

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/recordings"
)

// TestRecordedThresholdsRebuildExactly: every threshold, with its
// filters, an alias and every option, is rebuilt from the header's data
// as it was, to the nanosecond of its durations.
func TestRecordedThresholdsRebuildExactly(t *testing.T) {
	th := func(key, expr string, set func(*analysis.Threshold)) analysis.Threshold {
		x, err := analysis.ParseThreshold(key, expr)
		if err != nil {
			t.Fatal(err)
		}
		if set != nil {
			set(&x)
		}
		return x
	}
	for _, c := range []struct {
		name string
		th   analysis.Threshold
	}{
		{"plain", th("latency", "p(99)<200", nil)},
		{"k6 alias and unit", th("http_req_duration", "p(99.9) <= 1.5s", nil)},
		{"filters", th("latency{version:v2}", "avg<50", nil)},
		{"status filter", th("requests{status:5xx}", "count<10", nil)},
		{"step with a colon", th("availability{step:10s:kill=1}", "rate>0.999", func(x *analysis.Threshold) {
			x.Recover, x.RecoverAfter = 10*time.Second, "10s:kill=1"
		})},
		{"abort", th("errors", "count<10", func(x *analysis.Threshold) {
			x.AbortOnFail, x.DelayAbortEval = true, 1500*time.Millisecond+1
		})},
		{"window and no data", th("dropped", "rate<1%", func(x *analysis.Threshold) {
			x.Window, x.AllowNoData = 30*time.Second+250*time.Millisecond, true
		})},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := RecordingThresholds(RecordedThresholds([]analysis.Threshold{c.th}))
			if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], c.th) {
				t.Fatalf("rebuilt %+v (%v), want %+v", got, err, c.th)
			}
		})
	}
	if r := RecordedThresholds(nil); r == nil || len(r) != 0 {
		t.Fatalf("no thresholds: %#v, want an empty list", r)
	}
	if _, err := RecordingThresholds([]recordings.Threshold{{Metric: "latency", Expr: "p(99)<200"}, {Metric: "nope", Expr: "p(99)<1"}}); err == nil ||
		!strings.Contains(err.Error(), "threshold 2") {
		t.Fatalf("a foreign threshold: %v", err)
	}
}

// judgeRecording writes four 250 ms frames of 10 requests, with latencies
// of 1, 2, 3 and 4 ms, under a header keeping ths (nil: as a 1.4 file,
// with no thresholds), and a recorded judge's event.
func judgeRecording(t *testing.T, ths []recordings.Threshold) *recordings.Recording {
	t.Helper()
	file := filepath.Join(t.TempDir(), "judged.scalelab")
	h := recordings.Header{Command: "load", Target: "http://127.0.0.1:9/", Model: "open loop, 40 req/s", Start: replayStart,
		Window: time.Second, Tick: 250 * time.Millisecond, Steps: []string{}, Thresholds: ths}
	w, err := recordings.Create(file, h)
	if err != nil {
		t.Fatal(err)
	}
	at := func(ms int) time.Time { return replayStart.Add(time.Duration(ms) * time.Millisecond) }
	for i := range 4 {
		s := engine.NewSnapshot()
		s.Start, s.End = at(250*i), at(250*(i+1))
		s.Requests, s.Status[200], s.TargetRate = 10, 10, 40
		for range 10 {
			_ = s.Latency.RecordValue(int64(1000 * (i + 1)))
		}
		w.Frame(recordings.Frame{Snapshot: s, Procs: 2})
		if i == 2 {
			w.Event(recordings.Event{Time: at(750), Source: recordings.FromJudge, Kind: ThresholdFailed, Message: "threshold failed: as recorded"})
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
	if ths == nil {
		rec.Header.Thresholds = nil // as a 1.4 file reads: a 1.5 writer writes []
	}
	return rec
}

// eventSink keeps the events it is handed, one line each.
type eventSink struct{ events []string }

func (s *eventSink) Open(Info) error { return nil }
func (s *eventSink) Tick(Tick)       {}
func (s *eventSink) Event(e Event) {
	s.events = append(s.events, string(e.Source)+" "+e.Kind+" "+e.Time.Sub(replayStart).String()+" "+e.Message)
}
func (s *eventSink) Close(*Result) error { return nil }

// TestReplayJudgesTheRecordingAgain: a recording keeping its thresholds
// replays judged again, the judge's events (not the recorded ones) reach
// the sinks at the ticks that saw them, and the result has the final
// statuses, the abort and the verdict; one without thresholds (older
// formats) replays its recorded judge's events and has no verdict; one
// whose thresholds cannot be rebuilt says so and is not judged.
func TestReplayJudgesTheRecordingAgain(t *testing.T) {
	ths := RecordedThresholds([]analysis.Threshold{mustThreshold(t, "latency", "p(99)<2.5"), mustThreshold(t, "availability", "rate>0.99")})
	abort := mustThreshold(t, "latency", "max<3.5")
	abort.AbortOnFail = true
	for _, c := range []struct {
		name    string
		ths     []recordings.Threshold
		verdict analysis.Verdict
		events  []string
		partial string
	}{
		{"judged", ths, analysis.VerdictFail, []string{
			"judge threshold-failed 750ms threshold failed: ✗ latency p(99)<2.5 p(99)=3ms",
			"session load-ended 1s the load ended"}, ""},
		{"aborted", RecordedThresholds([]analysis.Threshold{abort}), analysis.VerdictAborted, []string{
			"judge threshold-failed 1s threshold failed: ✗ latency max<3.5 max=4ms",
			"judge aborted 1s aborted: latency max<3.5 = max=4ms at 1.0s (abortOnFail)",
			"session load-ended 1s the load ended"}, ""},
		{"older format", nil, "", []string{
			"judge threshold-failed 750ms threshold failed: as recorded",
			"session load-ended 1s the load ended"}, ""},
		{"foreign thresholds", []recordings.Threshold{{Metric: "nope", Expr: "p(99)<1"}}, "", []string{
			"judge threshold-failed 750ms threshold failed: as recorded",
			"session load-ended 1s the load ended"}, "the recording's thresholds cannot be judged again: threshold 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := judgeRecording(t, c.ths)
			sink := &eventSink{}
			res, err := Replay(t.Context(), ReplayConfig{Recording: rec, Sinks: []Sink{sink}})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(sink.events, c.events) {
				t.Fatalf("events:\n%s\nwant\n%s", strings.Join(sink.events, "\n"), strings.Join(c.events, "\n"))
			}
			if res.Verdict != c.verdict || !strings.HasPrefix(res.Partial, c.partial) || (c.partial == "") != (res.Partial == "") {
				t.Fatalf("verdict %q, partial %q", res.Verdict, res.Partial)
			}
			switch c.name {
			case "judged":
				if len(res.Thresholds) != 2 || res.Thresholds[0].OK || res.Thresholds[0].Value < 3.5 ||
					res.Thresholds[0].FirstFailed != 750*time.Millisecond || !res.Thresholds[1].OK || res.Aborted != nil {
					t.Fatalf("statuses %+v, aborted %+v", res.Thresholds, res.Aborted)
				}
			case "aborted":
				if res.Aborted == nil || res.Aborted.At != time.Second || res.Aborted.Status.Value < 3.5 {
					t.Fatalf("aborted %+v at %s, value %v", res.Aborted, res.Aborted.At, res.Aborted.Status.Value)
				}
			default:
				if len(res.Thresholds) != 0 || res.Aborted != nil {
					t.Fatalf("not judged, yet statuses %+v, aborted %+v", res.Thresholds, res.Aborted)
				}
			}
		})
	}
}
