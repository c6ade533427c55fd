package cli

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// TestReplayOutStreamsAsLive records a real load, run and demo with a
// step with --out jsonl= and csv=, then replays each recording headless
// with the same streams: in both, the tick lines' requests sum to the
// summary's; the replay's tick lines are the live ones (as many, the same
// requests, statuses, percentiles and generator figures, t_s to the ms),
// but for the CPU, which the recording keeps to four decimals (the stream
// rounds it to three: it may differ by 0.001); the CSV rows alike; the
// events and steps are the live ones, in the same order, their t_s the
// live ones but for the load's end and the steps' final lines, which a
// replay puts at the last frame's end (the load returned a little after
// it, its drain); and the replayed JSON summary is the live one. --out -
// with --json is refused, exit 2, as live.
func TestReplayOutStreamsAsLive(t *testing.T) {
	url := loopbackServer(t)
	for _, tc := range streamRuns(url) {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "run.scalelab")
			path := func(name string) string { return filepath.Join(dir, name) }
			args := append(tc.args, "--json", "--record", file, "--out", "jsonl="+path("live.jsonl"), "--out", "csv="+path("live.csv"))
			code, live, errOut := runCLI(t, t.Context(), args...)
			if code != 0 {
				t.Fatalf("%s: exit %d: %s", tc.name, code, errOut)
			}
			code, replayed, errOut := runCLI(t, t.Context(), "replay", file, "--headless", "--json",
				"--out", "jsonl="+path("replay.jsonl"), "--out", "csv="+path("replay.csv"))
			if code != 0 || replayed != live || errOut != "" {
				t.Fatalf("replay: exit %d\nstdout %s\nlive   %s\nstderr %s", code, replayed, live, errOut)
			}
			sum := decodeOne(t, live)
			liveTicks, liveOther := streamLines(t, path("live.jsonl"))
			replayTicks, replayOther := streamLines(t, path("replay.jsonl"))
			for _, name := range []string{"live", "replay"} {
				if n, _, _ := readJSONL(t, path(name+".jsonl")); n != sum.Requests || n == 0 {
					t.Fatalf("the %s stream's ticks sum to %d requests, the summary has %d", name, n, sum.Requests)
				}
			}
			if len(replayTicks) != len(liveTicks) {
				t.Fatalf("%d replayed tick lines, %d live", len(replayTicks), len(liveTicks))
			}
			for i := range liveTicks {
				l, r := withoutCPU(liveTicks[i]), withoutCPU(replayTicks[i])
				if !reflect.DeepEqual(l, r) {
					t.Fatalf("tick line %d:\nlive   %v\nreplay %v", i, l, r)
				}
			}
			if !slices.EqualFunc(liveOther, replayOther, sameEventLine) {
				t.Fatalf("events and steps:\nlive   %v\nreplay %v", liveOther, replayOther)
			}
			liveRows, replayRows := csvRows(t, path("live.csv")), csvRows(t, path("replay.csv"))
			cpu := slices.Index(liveRows[0], "cpu")
			if !slices.EqualFunc(liveRows, replayRows, func(a, b []string) bool {
				return slices.Equal(slices.Delete(slices.Clone(a), cpu, cpu+1), slices.Delete(slices.Clone(b), cpu, cpu+1))
			}) {
				t.Fatalf("CSV rows:\nlive   %v\nreplay %v", liveRows, replayRows)
			}
			if tc.name == "load" {
				code, out, errOut := runCLI(t, t.Context(), "replay", file, "--headless", "--json", "--out", "jsonl=-")
				if code != exitUsage || out != "" || errOut != "scalelab: --out jsonl=-: stdout carries the --json summary; write the stream to a file\n" {
					t.Fatalf("replay --json --out jsonl=-: exit %d, stdout %q, stderr %q; want exit 2 and one line", code, out, errOut)
				}
			}
			t.Logf("%d tick lines, %d events and steps, %d requests: the same", len(liveTicks), len(liveOther), sum.Requests)
		})
	}
}

// streamLines reads a JSONL stream: its tick lines, and the others.
func streamLines(t *testing.T, file string) (ticks, other []map[string]any) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		if l["type"] == "tick" {
			ticks = append(ticks, l)
		} else {
			other = append(other, l)
		}
	}
	return ticks, other
}

// withoutCPU is a tick line without the generator's CPU.
func withoutCPU(l map[string]any) map[string]any {
	out := without(l, "generator")
	gen, _ := l["generator"].(map[string]any)
	out["generator"] = without(gen, "cpu")
	return out
}

// sameEventLine compares an event's or a step's line of the live and the
// replayed stream: t_s aside for the load's end and the steps' final
// measurement, which a replay puts at the last frame's end.
func sameEventLine(live, replay map[string]any) bool {
	if live["kind"] == "load-ended" || live["state"] == "final" {
		live, replay = without(live, "t_s"), without(replay, "t_s")
	}
	return reflect.DeepEqual(live, replay)
}

// without is m without the key.
func without(m map[string]any, key string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// csvRows reads a CSV stream.
func csvRows(t *testing.T, file string) [][]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("CSV %v: %v", rows, err)
	}
	return rows
}
