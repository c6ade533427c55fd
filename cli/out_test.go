package cli

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOutStreams runs load, run --headless and demo with --out jsonl= and
// --out csv=: the JSONL's tick lines, and the CSV's rows, sum exactly to
// the summary's requests; the demo's stream has its step and the fleet's
// events; --out - writes the stream on stdout beside the text summary.
func TestOutStreams(t *testing.T) {
	url := loopbackServer(t)
	for _, tc := range streamRuns(url) {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			jl, cs := filepath.Join(dir, "ticks.jsonl"), filepath.Join(dir, "ticks.csv")
			args := append(tc.args, "--json", "--no-record", "--out", "jsonl="+jl, "--out", "csv="+cs)
			code, stdout, stderr := runCLI(t, t.Context(), args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			sum := decodeOne(t, stdout)
			ticks, events, steps := readJSONL(t, jl)
			if ticks != sum.Requests || sum.Requests == 0 {
				t.Fatalf("JSONL ticks sum to %d requests, the summary has %d", ticks, sum.Requests)
			}
			if rows := csvRequests(t, cs); rows != sum.Requests {
				t.Fatalf("CSV rows sum to %d requests, the summary has %d", rows, sum.Requests)
			}
			if tc.step && (steps == 0 || events == 0) {
				t.Fatalf("the demo's stream has %d step lines and %d cluster events", steps, events)
			}
		})
	}
	t.Run("stdout", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, t.Context(), "load", url, "--rate", "100", "--duration", "500ms", "--no-record", "--out", "jsonl=-")
		if code != 0 || !strings.Contains(stdout, `{"type":"tick"`) || !strings.Contains(stdout, "availability") {
			t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
	})
}

// streamRun is a short headless run of a command that streams with --out.
type streamRun struct {
	name string
	args []string
	step bool // it has a step, and the fleet's events
}

// streamRuns are load, run --headless and a demo with a step, at 200
// requests a second against url (the demo: its fleet) for a second or two.
func streamRuns(url string) []streamRun {
	return []streamRun{
		{"load", []string{"load", url, "--rate", "200", "--duration", "1s"}, false},
		{"run", []string{"run", url, "--headless", "--rate", "200", "--duration", "1s"}, false},
		{"demo", []string{"demo", "--headless", "--replicas", "2", "--startup-delay", "10ms", "--rate", "200",
			"--duration", "1500ms", "--step", "300ms:scale=3"}, true},
	}
}

// readJSONL sums a stream's tick requests and counts its cluster events
// and step lines.
func readJSONL(t *testing.T, file string) (requests, events, steps uint64) {
	t.Helper()
	ticks, other := streamLines(t, file)
	for _, l := range ticks {
		requests += uint64(l["requests"].(float64))
	}
	for _, l := range other {
		switch {
		case l["type"] == "step":
			steps++
		case l["type"] == "event" && l["source"] == "cluster":
			events++
		}
	}
	return requests, events, steps
}

// csvRequests sums the requests column of a CSV stream.
func csvRequests(t *testing.T, file string) uint64 {
	t.Helper()
	rows := csvRows(t, file)
	if rows[0][2] != "requests" {
		t.Fatalf("CSV header %v: want requests third", rows[0])
	}
	var n uint64
	for _, r := range rows[1:] {
		v, err := strconv.ParseUint(r[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		n += v
	}
	return n
}
