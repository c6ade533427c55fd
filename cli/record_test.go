package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/session"

	"github.com/scalelab/scalelab/internal/tmuxtest"
)

// TestReplayMatchesLiveDemo records a short fleet demo with an upgrade and
// a kill, then replays it headless: the JSON is the live one, byte for
// byte; the file holds the frames at four a second, the cluster's events,
// states and the steps.
func TestReplayMatchesLiveDemo(t *testing.T) {
	file := filepath.Join(t.TempDir(), "demo.scalelab")
	code, live, errOut := scalelab(t.Context(), "demo", "--headless", "--json", "--duration", "4s", "--rate", "200",
		"--replicas", "2", "--startup-delay", "50ms", "--drain", "300ms", "--latency", "1ms",
		"--step", "500ms:upgrade=v2", "--step", "2500ms:kill=1", "--record", file)
	if code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "scalelab demo: recording to "+file) || !strings.Contains(errOut, "recorded to "+file) {
		t.Fatalf("stderr does not say where the recording is:\n%s", errOut)
	}
	code, replayed, replayErr := scalelab(t.Context(), "replay", file, "--headless", "--json")
	if code != exitOK || replayErr != "" {
		t.Fatalf("replay: exit %d: %s", code, replayErr)
	}
	if replayed != live {
		t.Fatalf("replayed summary differs from the live one:\nlive:     %s\nreplayed: %s", live, replayed)
	}
	var sum struct {
		Command string `json:"command"`
		Steps   []struct {
			Spec      string `json:"spec"`
			Completed bool   `json:"completed"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(live), &sum); err != nil || sum.Command != "demo" || len(sum.Steps) != 2 || !sum.Steps[1].Completed {
		t.Fatalf("live summary %v: %s", err, live)
	}

	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	h := rec.Header
	if h.Command != "demo" || h.Cluster != "fleet" || h.Window != 4*time.Second || h.Tick != session.Interval ||
		!strings.HasPrefix(h.Target, "http://127.0.0.1:") || h.Config["step"] != "500ms:upgrade=v2; 2500ms:kill=1" ||
		len(rec.Problems) != 0 || !rec.Closed() {
		t.Fatalf("header %+v, problems %v", h, rec.Problems)
	}
	// The configuration as data (1.4): the steps in time order and the load.
	if !slices.Equal(h.Steps, []string{"500ms:upgrade=v2", "2500ms:kill=1"}) || h.Load == nil || h.Load.Rate <= 0 ||
		h.Load.DurationS != 4 || h.Load.Method != "GET" || h.Load.TimeoutS <= 0 {
		t.Fatalf("header's steps %q and load %+v: want the two steps and the load as data", h.Steps, h.Load)
	}
	// Four frames a second, unless a starved machine made the engine's
	// ticker merge ticks (each frame then covers a longer window and nothing
	// is lost): at least one a second, never more than four.
	if d := rec.Duration(); d < 4*time.Second || rec.Len() < 4 || rec.Len() > 20 {
		t.Fatalf("%d frames over %s: want up to four a second over the 4 s window", rec.Len(), d)
	}
	kinds := map[string]int{}
	for _, e := range rec.Events {
		kinds[string(e.Source)+" "+e.Kind]++
	}
	for _, want := range []string{"cluster replica-started", "cluster rollout-started", "cluster replica-killed",
		"step started", "step completed"} {
		if kinds[want] == 0 {
			t.Errorf("no %q event in the recording: %v", want, kinds)
		}
	}
	last, err := rec.Frame(rec.Len()-1, recordings.Full)
	if err != nil || last.State == nil || last.State.Version != "v2" || !last.CPUKnown {
		t.Fatalf("last frame: %v, state %+v", err, last.State)
	}
	checkByVersion(t, live, rec)

	code, text, _ := scalelab(t.Context(), "replay", file, "--headless")
	if code != exitOK || !strings.Contains(text, "scalelab demo http://127.0.0.1:") ||
		!strings.Contains(text, "2500ms:kill=1") || !strings.Contains(text, "availability") ||
		!regexp.MustCompile(`(?m)^  by version\n    version +requests +failed +errors +availability +p50 +p99 +max\n    v1 +\d+ +\d+ +\d+ +\d+\.\d{3}% .*\n    v2 +\d+`).MatchString(text) {
		t.Fatalf("text replay: exit %d:\n%s", code, text)
	}
}

// checkByVersion checks the live summary's by_version of a demo upgraded
// from v1 to v2: both versions, their requests summing to those a replica
// answered, and the same split computed from the recording's frames alone
// (what a replay of a killed session reports), to the last digit.
func checkByVersion(t *testing.T, live string, rec *recordings.Recording) {
	t.Helper()
	type versionSummary struct {
		Requests     uint64             `json:"requests"`
		Errors       uint64             `json:"errors"`
		Availability float64            `json:"availability"`
		LatencyMs    map[string]float64 `json:"latency_ms"`
	}
	var sum struct {
		Requests  uint64                    `json:"requests"`
		Status    map[string]uint64         `json:"status"`
		Errors    map[string]uint64         `json:"errors"`
		ByVersion map[string]versionSummary `json:"by_version"`
	}
	if err := json.Unmarshal([]byte(live), &sum); err != nil {
		t.Fatal(err)
	}
	v1, v2, unknown := sum.ByVersion["v1"], sum.ByVersion["v2"], sum.ByVersion[engine.UnknownVersion]
	if v1.Requests == 0 || v2.Requests == 0 || v1.LatencyMs["p50"] <= 0 || v2.LatencyMs["p99"] <= 0 {
		t.Fatalf("live by_version: %+v", sum.ByVersion)
	}
	// Requests without a version, under unknown: the balancer's own 502s
	// (the killed replica's) and transport errors.
	noVersion := sum.Status["502"]
	for _, n := range sum.Errors {
		noVersion += n
	}
	if unknown.Requests != noVersion || len(sum.ByVersion) != 2+min(int(noVersion), 1) ||
		v1.Requests+v2.Requests+unknown.Requests != sum.Requests {
		t.Fatalf("by_version sums to %d, unknown %d of the %d without a version, of %d requests: %s",
			v1.Requests+v2.Requests+unknown.Requests, unknown.Requests, noVersion, sum.Requests, live)
	}
	kept := rec.Summary
	rec.Summary = nil // as if killed: the summary computed from the frames
	defer func() { rec.Summary = kept }()
	res, err := replayed(t.Context(), rec)
	if err != nil || res.Partial != "" {
		t.Fatal(err, res.Partial)
	}
	js, _ := json.Marshal(res.Summary)
	var fromFrames struct {
		ByVersion json.RawMessage `json:"by_version"`
	}
	var fromLive struct {
		ByVersion json.RawMessage `json:"by_version"`
	}
	_ = json.Unmarshal(js, &fromFrames)
	_ = json.Unmarshal([]byte(live), &fromLive)
	if string(fromFrames.ByVersion) != string(fromLive.ByVersion) {
		t.Fatalf("by_version from the frames differs from the live one:\nlive:   %s\nframes: %s", fromLive.ByVersion, fromFrames.ByVersion)
	}
}

// TestRecordKilledSession SIGKILLs a recording demo mid-run: its file
// replays up to its last complete block, with a warning and a summary
// computed from the frames, exit 0.
func TestRecordKilledSession(t *testing.T) {
	bin := tuiBinary(t)
	file := filepath.Join(t.TempDir(), "killed.scalelab")
	p := start(t, bin, "demo", "--headless", "--rate", "100", "--replicas", "2", "--startup-delay", "50ms",
		"--drain", "200ms", "--step", "500ms:scale=3", "--step", "1m:scale=2", "--record", file)
	p.waitLine(t, "recording to "+file, 30*time.Second)
	p.waitLine(t, "step   500ms:scale=3 completed", 30*time.Second)
	p.waitLine(t, "inflight", 15*time.Second) // a live line: a second of frames
	p.waitLine(t, "inflight", 15*time.Second)
	time.Sleep(1500 * time.Millisecond) // past a flush
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.wait(t, 10*time.Second)

	code, out, errOut := scalelab(t.Context(), "replay", file, "--headless", "--json")
	if code != exitOK {
		t.Fatalf("replay of a killed session: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "has no closing summary (the session was killed): summary computed from its") {
		t.Fatalf("no warning on stderr: %q", errOut)
	}
	var sum struct {
		Command   string  `json:"command"`
		Requests  uint64  `json:"requests"`
		DurationS float64 `json:"duration_s"`
		Status    map[string]uint64
		LatencyMs map[string]float64 `json:"latency_ms"`
		ByVersion map[string]struct {
			Requests uint64 `json:"requests"`
		} `json:"by_version"`
		Steps []struct {
			Spec      string `json:"spec"`
			Completed bool   `json:"completed"`
			Error     string `json:"error"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	if sum.Command != "demo" || sum.Requests < 150 || sum.DurationS < 2 || sum.LatencyMs["p99"] <= 0 || len(sum.Steps) != 2 ||
		!sum.Steps[0].Completed || sum.Steps[1].Completed || !strings.Contains(sum.Steps[1].Error, "not reached") {
		t.Fatalf("computed summary: %s", out)
	}
	if v1 := sum.ByVersion["v1"].Requests; len(sum.ByVersion) != 1 || v1 == 0 || v1 > sum.Requests {
		t.Fatalf("computed by_version: %s", out)
	}
	if float64(sum.Requests) > 100*sum.DurationS*1.2+20 {
		t.Fatalf("%d requests in %.1f s at 100/s", sum.Requests, sum.DurationS)
	}
}

// TestRecordFlagsAndDefaults: a session records by default into the
// recordings folder without touching stdout's JSON; --no-record records
// nothing; bad recording flags are one line and exit 2.
func TestRecordFlagsAndDefaults(t *testing.T) {
	srv := enginetest.NewServer(t)
	code, out, errOut := scalelab(t.Context(), "load", srv.URL, "--rate", "100", "--duration", "600ms", "--json")
	if code != exitOK || strings.Count(out, "\n") != 1 || !json.Valid([]byte(out)) {
		t.Fatalf("load: exit %d, stdout %q", code, out)
	}
	dir := os.Getenv(recordDirEnv)
	var path string
	for _, l := range strings.Split(errOut, "\n") {
		if p, ok := strings.CutPrefix(l, "scalelab load: recording to "); ok {
			path = p
		}
	}
	if filepath.Dir(path) != dir || !strings.HasSuffix(path, "-load.scalelab") {
		t.Fatalf("recorded to %q, want %s/<start>-load.scalelab; stderr:\n%s", path, dir, errOut)
	}
	rec, err := recordings.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Len() < 2 || !rec.Closed() || rec.Header.Cluster != "" || rec.Header.Model != "open loop, 100 req/s" {
		t.Fatalf("%d frames, header %+v", rec.Len(), rec.Header)
	}
	rec.Close()

	_, _, errOut = scalelab(t.Context(), "load", srv.URL, "--rate", "50", "--duration", "200ms", "--no-record")
	if strings.Contains(errOut, "record") {
		t.Fatalf("--no-record: %s", errOut)
	}
	// A default folder that cannot be made: a warning, and the session goes on.
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(recordDirEnv, notDir)
	code, out, errOut = scalelab(t.Context(), "load", srv.URL, "--rate", "50", "--duration", "200ms", "--json")
	if code != exitOK || !json.Valid([]byte(out)) || !strings.Contains(errOut, "scalelab load: not recorded: ") {
		t.Fatalf("unwritable default folder: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, args := range [][]string{
		{"load", srv.URL, "--duration", "100ms", "--record", path},
		{"load", srv.URL, "--duration", "100ms", "--record", filepath.Join(t.TempDir(), "x.scalelab"), "--no-record"},
		{"demo", "--duration", "1s", "--record", path},
		{"load", srv.URL, "--duration", "100ms", "--record", "/proc/nowhere/x.scalelab"},
	} {
		code, out, errOut := scalelab(t.Context(), args...)
		if code != exitUsage || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "--record") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// TestRecordingHasNoSecrets loads with a token in the URL and credentials
// in headers: the header, the command line, the configuration and the
// summary in the file are redacted, also with --show-secrets (stdout then
// has the real URL).
func TestRecordingHasNoSecrets(t *testing.T) {
	srv := enginetest.NewServer(t)
	file := filepath.Join(t.TempDir(), "secret.scalelab")
	url := strings.Replace(srv.URL, "http://", "http://admin:hunter2@", 1) + "/?token=tok3n&page=1"
	code, out, errOut := scalelab(t.Context(), "load", url, "--rate", "50", "--duration", "300ms", "--json", "--record", file,
		"-H", "Authorization: Bearer s3cr3t-bearer", "-H", "Cookie: session=c00kie", "-H", "X-Api-Key: k3y", "-H", "X-Run: cli",
		"--body", `{"password":"pa55"}`, "--show-secrets")
	if code != exitOK || !strings.Contains(out, "tok3n") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	rec, err := recordings.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	hdr, _ := json.Marshal(rec.Header)
	everything := string(hdr) + string(rec.Summary)
	for _, secret := range []string{"hunter2", "tok3n", "s3cr3t", "c00kie", "k3y", "pa55"} {
		if strings.Contains(everything, secret) {
			t.Errorf("%q reached the recording:\n%s", secret, everything)
		}
	}
	for _, kept := range []string{"X-Run: cli", "page=1", "REDACTED"} {
		if !strings.Contains(everything, kept) {
			t.Errorf("%q missing:\n%s", kept, everything)
		}
	}
}

// TestRecordAndReplayInTerminal records `scalelab run` in a real terminal
// with a rate change and a note, then replays the file there: the same
// screen with the operator's events, the player's keys, and the summary
// after q.
func TestRecordAndReplayInTerminal(t *testing.T) {
	bin := tuiBinary(t)
	url := loopbackServer(t)
	dir := t.TempDir()
	file, summary := filepath.Join(dir, "run.scalelab"), filepath.Join(dir, "summary.json")
	x := tmuxtest.New(t, 120, 40, shellQuit(bin+" run "+url+" --rate 100 --duration 6s --json --record "+file+" > "+summary))
	x.WaitFor(20*time.Second, "● rec run.scalelab", "recording to "+file)
	x.WaitMatch(30*time.Second, achievedRE)
	x.Keys("Up")
	x.WaitFor(10*time.Second, "operator: rate → 120/s")
	x.Keys("n")
	x.WaitFor(5*time.Second, "Note: a marker on the charts")
	x.Text("mark one")
	x.Keys("Enter")
	x.WaitFor(5*time.Second, "note: mark one")
	s := x.WaitFor(30*time.Second, "EXIT=0")
	if !strings.Contains(s, "recorded to "+file) {
		t.Fatalf("no recorded-to line after the run:\n%s", s)
	}
	live, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if code, replayed, errOut := scalelab(t.Context(), "replay", file, "--headless", "--json"); code != exitOK || replayed != string(live) {
		t.Fatalf("replay: exit %d %s\nlive:     %s\nreplayed: %s", code, errOut, live, replayed)
	}

	y := tmuxtest.New(t, 120, 40, shellQuit(bin+" replay "+file))
	y.WaitFor(10*time.Second, "● REPLAY 1×", "▶ replay run.scalelab", "replay: space plays/pauses")
	y.Keys("End")
	y.WaitFor(10*time.Second, "● REPLAY END", "operator: rate → 120/s", "note: mark one", "target 120/s")
	y.Keys("+")
	y.WaitFor(5*time.Second, "replay: cluster actions are unavailable in a recording")
	y.Keys("Home")
	y.WaitFor(5*time.Second, "● REPLAY PAUSED", "❚❚ 1×  0:00")
	y.Keys("Space")
	y.WaitFor(5*time.Second, "● REPLAY 1×")
	y.Keys("q")
	s = y.WaitFor(15*time.Second, "EXIT=0")
	if !strings.Contains(s, "scalelab run "+url) || !strings.Contains(s, "availability") {
		t.Fatalf("no summary after the replay:\n%s", s)
	}
}

// TestRecordingFullDiskInTerminal records a `scalelab run` whose file
// cannot grow past 4 KB (ulimit -f: writes fail as on a full disk): the
// UI shows the warning, the session goes on to its end and exits 0, and
// the file replays up to its last complete block.
func TestRecordingFullDiskInTerminal(t *testing.T) {
	bin := tuiBinary(t)
	url := loopbackServer(t)
	file := filepath.Join(t.TempDir(), "full.scalelab")
	x := tmuxtest.New(t, 120, 40, shellQuit("ulimit -f 8; "+bin+" run "+url+" --rate 200 --duration 8s --record "+file))
	x.WaitFor(30*time.Second, "recording "+file+": file too large (the session goes on")
	x.WaitFor(5*time.Second, "● RUNNING")
	s := x.WaitFor(30*time.Second, "EXIT=0")
	if !strings.Contains(s, "is incomplete (file too large)") || !strings.Contains(s, "availability") {
		t.Fatalf("after the run:\n%s", s)
	}
	code, out, errOut := scalelab(t.Context(), "replay", file, "--headless", "--json")
	if code != exitOK || !json.Valid([]byte(out)) || !strings.Contains(errOut, "no closing summary") {
		t.Fatalf("replay: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if st, err := os.Stat(file); err != nil || st.Size() > 4096 {
		t.Fatalf("file: %v, %d bytes", err, st.Size())
	}
}

// TestComputedSummaryHasStepsWithACluster checks the summary computed for
// a killed session: with a cluster attached (run --k8s as the demo) it has
// the steps as recorded, without one it has none.
func TestComputedSummaryHasStepsWithACluster(t *testing.T) {
	done, _ := json.Marshal(experiments.Result{Spec: "1s:scale=3", Completed: true})
	rec := &recordings.Recording{
		Header: recordings.Header{Command: "run", Cluster: "kubernetes", Config: map[string]string{"step": "1s:scale=3; 1m:rollback"}},
		Events: []recordings.Event{{Source: recordings.FromStep, Kind: "completed", Data: done}},
	}
	res, err := replayed(t.Context(), rec)
	if err != nil || res.Partial != "" {
		t.Fatal(err, res.Partial)
	}
	v := res.Summary
	sum, ok := v.(report.WithSteps)
	if !ok || len(sum.Steps) != 2 || !sum.Steps[0].Completed || !strings.Contains(sum.Steps[1].Error, "not reached") {
		t.Fatalf("run --k8s: computed %+v, want its two steps", v)
	}
	rec.Header.Cluster, rec.Header.Config = "", nil
	if res, _ := replayed(t.Context(), rec); reflect.TypeOf(res.Summary) != reflect.TypeFor[report.Summary]() {
		t.Fatalf("run without a cluster: computed %+v, want no steps", res.Summary)
	}
}
