package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine/enginetest"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/session"
)

// judgedSummary is what these tests read of a summary: its verdict, its
// thresholds as written (compared byte for byte) and its abort.
type judgedSummary struct {
	Verdict    string            `json:"verdict"`
	Thresholds []json.RawMessage `json:"thresholds"`
	Aborted    json.RawMessage   `json:"aborted"`
}

func decodeJudged(t *testing.T, js string) judgedSummary {
	t.Helper()
	var s judgedSummary
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		t.Fatalf("summary: %v\n%s", err, js)
	}
	return s
}

// judgeLines are the judge's lines of a JSONL stream (--out jsonl=).
func judgeLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, `"source":"judge"`) {
			out = append(out, l)
		}
	}
	return out
}

// TestReplayJudgesAgain records real runs with --threshold against a
// loopback server (one passing and one failing threshold; an abortOnFail
// one in a run of its own) and replays them headless: the JSON summary
// is the live one byte for byte, the run judged again from the frames
// has the same verdict and the same thresholds to the last digit (no
// warning on stderr), the recording's header keeps the thresholds as the
// flags gave them, and --out jsonl= shows the judge's events the live
// run's stream had, at the same times.
func TestReplayJudgesAgain(t *testing.T) {
	srv := enginetest.NewServer(t)
	for _, c := range []struct {
		name     string
		flags    []string
		exit     int
		verdict  analysis.Verdict
		judgeEvs int
	}{
		{"fail", []string{"--duration", "1500ms", "--threshold", "latency: p(99)<5000", "--threshold", "latency: p(99)<0.001",
			"--threshold", "availability: rate>0.999"}, exitFailed, analysis.VerdictFail, 1},
		{"aborted", []string{"--duration", "5s", "--threshold", "availability: rate>0.5",
			"--threshold", "latency: p(99)<0.001, abortOnFail, delayAbortEval=500ms"}, report.ExitAborted, analysis.VerdictAborted, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			file, liveOut := filepath.Join(dir, "run.scalelab"), filepath.Join(dir, "live.jsonl")
			args := append([]string{"load", srv.URL, "--rate", "200", "--json", "--record", file, "--out", "jsonl=" + liveOut}, c.flags...)
			code, live, errOut := scalelab(t.Context(), args...)
			if code != c.exit {
				t.Fatalf("live run: exit %d, want %d: %s", code, c.exit, errOut)
			}
			if got := decodeJudged(t, live); got.Verdict != string(c.verdict) {
				t.Fatalf("live verdict %q, want %q", got.Verdict, c.verdict)
			}
			replayOut := filepath.Join(dir, "replay.jsonl")
			code, replayedOut, replayErr := scalelab(t.Context(), "replay", file, "--headless", "--json", "--out", "jsonl="+replayOut)
			if code != exitOK || replayErr != "" {
				t.Fatalf("replay: exit %d, stderr %q", code, replayErr)
			}
			if replayedOut != live {
				t.Fatalf("replayed summary differs from the live one:\nlive:     %s\nreplayed: %s", live, replayedOut)
			}
			// Judged again: the same verdict, statuses and abort as the live run.
			rec, err := recordings.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Close()
			if rec.Header.Format != "1.9" || len(rec.Header.Thresholds) != len(c.flags)/2-1 {
				t.Fatalf("format %s, thresholds %+v", rec.Header.Format, rec.Header.Thresholds)
			}
			res, err := replayed(t.Context(), rec) // as the replay command does
			if err != nil {
				t.Fatal(err)
			}
			want := decodeJudged(t, live)
			if res.Verdict != c.verdict || len(res.Thresholds) != len(want.Thresholds) {
				t.Fatalf("judged again: verdict %q, %d thresholds; live %s", res.Verdict, len(res.Thresholds), live)
			}
			for i, st := range res.Thresholds {
				got, _ := json.Marshal(report.NewThresholdResult(st))
				if !bytes.Equal(got, want.Thresholds[i]) {
					t.Fatalf("threshold %d judged again: %s, live %s", i, got, want.Thresholds[i])
				}
			}
			if c.verdict == analysis.VerdictAborted {
				got, _ := json.Marshal(abortResult(res.Aborted))
				if res.Aborted == nil || !bytes.Equal(got, want.Aborted) {
					t.Fatalf("abort judged again: %s, live %s", got, want.Aborted)
				}
			}
			liveJudge, replayJudge := judgeLines(t, liveOut), judgeLines(t, replayOut)
			if len(liveJudge) != c.judgeEvs || strings.Join(liveJudge, "\n") != strings.Join(replayJudge, "\n") {
				t.Fatalf("the judge's events: live\n%s\nreplayed\n%s", strings.Join(liveJudge, "\n"), strings.Join(replayJudge, "\n"))
			}
		})
	}
}

// killAndReplay SIGKILLs p after settle (frames past a flush) and
// replays its recording file headless: the JSON summary computed from
// the frames, after the warning that the session was killed (exit 0).
func killAndReplay(t *testing.T, p *process, file string, settle time.Duration) string {
	t.Helper()
	time.Sleep(settle)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.wait(t, 10*time.Second)
	code, out, errOut := scalelab(t.Context(), "replay", file, "--headless", "--json")
	if code != exitOK || !strings.Contains(errOut, "has no closing summary (the session was killed)") {
		t.Fatalf("replay of a killed session: exit %d, stderr %q", code, errOut)
	}
	return out
}

// TestReplayJudgesAKilledSession SIGKILLs a recording run with
// thresholds mid-run: the recording has no closing summary, and the one
// replay computes from its frames has the verdict and the thresholds
// judged again (one failing, one holding), with the killed-session
// warning and exit 0.
func TestReplayJudgesAKilledSession(t *testing.T) {
	srv := enginetest.NewServer(t)
	bin := tuiBinary(t)
	file := filepath.Join(t.TempDir(), "killed.scalelab")
	p := start(t, bin, "load", srv.URL, "--rate", "100", "--record", file,
		"--threshold", "latency: p(99)<5000", "--threshold", "latency: p(99)<0.001")
	p.waitLine(t, "recording to "+file, 30*time.Second)
	p.waitLine(t, "inflight", 15*time.Second) // a live line: a second of frames
	out := killAndReplay(t, p, file, 1500*time.Millisecond)
	var sum struct {
		Requests   uint64                   `json:"requests"`
		Verdict    string                   `json:"verdict"`
		Thresholds []report.ThresholdResult `json:"thresholds"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("stdout: %v\n%s", err, out)
	}
	if sum.Requests < 100 || sum.Verdict != string(analysis.VerdictFail) || len(sum.Thresholds) != 2 ||
		!sum.Thresholds[0].OK || sum.Thresholds[1].OK || sum.Thresholds[1].Value == nil || *sum.Thresholds[1].Value <= 0.001 ||
		sum.Thresholds[1].FirstFailedS == nil {
		t.Fatalf("computed summary: %s", out)
	}
	code, text, _ := scalelab(t.Context(), "replay", file, "--headless")
	if code != exitOK || !strings.Contains(text, "✗ latency") {
		t.Fatalf("text replay: exit %d:\n%s", code, text)
	}
}

// TestReplayOfAFormat14Recording replays a file format 1.4 wrote (a demo
// with a passing and a failing --threshold, testdata): its summary as
// recorded, byte for byte, no warning, and its recorded judge's event in
// the --out stream, once (a 1.4 header has no thresholds to judge again).
func TestReplayOfAFormat14Recording(t *testing.T) {
	const file = "testdata/format-1.4-thresholds.scalelab"
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if rec.Header.Format != "1.4" || rec.Header.Thresholds != nil || rec.Summary == nil {
		t.Fatalf("fixture: format %s, thresholds %v", rec.Header.Format, rec.Header.Thresholds)
	}
	stream := filepath.Join(t.TempDir(), "replay.jsonl")
	code, out, errOut := scalelab(t.Context(), "replay", file, "--headless", "--json", "--out", "jsonl="+stream)
	if code != exitOK || errOut != "" {
		t.Fatalf("replay: exit %d, stderr %q", code, errOut)
	}
	var recorded bytes.Buffer
	if err := json.Compact(&recorded, rec.Summary); err != nil {
		t.Fatal(err)
	}
	if out != recorded.String()+"\n" || !strings.Contains(out, `"verdict":"fail"`) {
		t.Fatalf("replayed:\n%s\nrecorded:\n%s", out, recorded.String())
	}
	judge := judgeLines(t, stream)
	if len(judge) != 1 || !strings.Contains(judge[0], `"kind":"threshold-failed","message":"threshold failed: ✗ latency p(99)\u003c1 p(99)=9.9ms"`) {
		t.Fatalf("the judge's events: %q", judge)
	}
}

// TestRejudgedSaysWhatDiffers: where a recording's closing summary and
// its frames judged again differ (a bug or a damaged file), one line each
// for the verdict and every threshold; nothing where they agree.
func TestRejudgedSaysWhatDiffers(t *testing.T) {
	th, err := analysis.ParseThreshold("latency", "p(99)<200")
	if err != nil {
		t.Fatal(err)
	}
	failed := analysis.Status{Threshold: th, Value: 312, Text: "p(99)=312ms", FirstFailed: 2 * time.Second}
	held := analysis.Status{Threshold: th, Value: 150, Text: "p(99)=150ms", OK: true, FirstFailed: analysis.Never}
	summary := func(v analysis.Verdict, st analysis.Status) json.RawMessage {
		var s report.Summary
		s.Judged(v, []analysis.Status{st}, nil)
		js, _ := json.Marshal(s)
		return js
	}
	res := &session.Result{Verdict: analysis.VerdictFail, Thresholds: []analysis.Status{failed}}
	if got := rejudged(summary(analysis.VerdictFail, failed), res, recordings.Header{}); len(got) != 0 {
		t.Fatalf("agreeing: %q", got)
	}
	got := rejudged(summary(analysis.VerdictPass, held), res, recordings.Header{})
	want := "the recording's verdict was pass, judged again from its frames: fail (1 of 1 thresholds failed: latency p(99)<200 = 312ms)"
	if len(got) != 2 || got[0] != want || !strings.HasPrefix(got[1], "threshold latency p(99)<200: the recording's summary has {") {
		t.Fatalf("differing: %q", got)
	}
	if got := rejudged(json.RawMessage(`{"verdict":`), res, recordings.Header{}); len(got) != 1 || !strings.Contains(got[0], "cannot be read") {
		t.Fatalf("unreadable: %q", got)
	}
}
