package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/tmuxtest"
)

// replayWithin runs a command line in-process like scalelab, but fails the
// test when it has not returned within d (a replay that blocks on what it
// opened); unblock, when not nil, is called then to let it go.
func replayWithin(t *testing.T, d time.Duration, unblock func(), args ...string) (int, string, string) {
	t.Helper()
	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := scalelab(t.Context(), args...)
		done <- result{code, out, errOut}
	}()
	select {
	case r := <-done:
		return r.code, r.out, r.errOut
	case <-time.After(d):
		if unblock != nil {
			unblock()
		}
		t.Fatalf("%s: still running after %v", strings.Join(args, " "), d)
		return 0, "", ""
	}
}

// TestReplayRefusesWhatIsNotARegularFile: a FIFO (which blocked forever),
// a device (/dev/zero was "empty"), a directory and a socket are each
// refused in one line naming the file and what it is, exit 2, at once; a
// symbolic link to a recording replays.
func TestReplayRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.scalelab")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock.scalelab")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// A writer opened on the FIFO lets a blocked open return.
	unblockFIFO := func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = f.Close()
		}
	}
	for _, c := range []struct{ path, what string }{
		{fifo, "is a FIFO (a named pipe), not a recording file"},
		{"/dev/zero", "is a character device, not a recording file"},
		{dir, "is a directory, not a recording file"},
		{sock, "is a socket, not a recording file"},
	} {
		for _, headless := range []bool{true, false} {
			args := []string{"replay", c.path}
			if headless {
				args = append(args, "--headless")
			}
			code, out, errOut := replayWithin(t, 10*time.Second, unblockFIFO, args...)
			if code != exitUsage || out != "" || strings.Count(errOut, "\n") != 1 ||
				errOut != "scalelab: replay: "+c.path+": "+c.what+"\n" {
				t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and %q", strings.Join(args, " "), code, out, errOut, c.what)
			}
		}
	}

	file := filepath.Join(dir, "demo.scalelab")
	if code, _, errOut := scalelab(t.Context(), demoArgs("--duration", "500ms", "--record", file)...); code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	link := filepath.Join(dir, "link.scalelab")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := scalelab(t.Context(), "replay", link, "--headless"); code != exitOK || !strings.Contains(out, "availability") {
		t.Errorf("replay of a symbolic link to a recording: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestReplayDamagedHeader damages one byte of a recorded demo's header
// (it refused the whole file): the replay prints the live summary, with
// one warning line saying the header was damaged and what was lost, exit
// 0. Cut before its last block (the closing summary), the summary is
// computed from the frames, the lost command, target and model shown as
// unknown, and the steps as the events tell them.
func TestReplayDamagedHeader(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "demo.scalelab")
	code, live, errOut := scalelab(t.Context(), demoArgs("--json", "--step", "500ms:scale=3", "--record", file)...)
	if code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	line := len("scalelab recording 1.2\n")
	magic := []byte("\xd5SLR")
	if !bytes.HasPrefix(data[line:], magic) {
		t.Fatalf("no header record after the version line: %q", data[:line+4])
	}
	bad := bytes.Clone(data)
	bad[line+13+10] ^= 0x20 // a letter of the header's JSON changes case
	damaged := filepath.Join(dir, "damaged.scalelab")
	if err := os.WriteFile(damaged, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := scalelab(t.Context(), "replay", damaged, "--headless", "--json")
	want := "scalelab replay: " + damaged + ": the header is damaged (checksum mismatch): its command line and settings are lost; " +
		"the target and the load model are the closing summary's; the start time is the closing summary's; " +
		"a cluster was attached, of an unknown kind\n"
	if code != exitOK || out != live || errOut != want {
		t.Fatalf("replay: exit %d\nstdout %s\nlive   %s\nstderr %q\nwant   %q", code, out, live, errOut, want)
	}

	cut := filepath.Join(dir, "cut.scalelab")
	if err := os.WriteFile(cut, bad[:bytes.LastIndex(bad, magic)], 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = scalelab(t.Context(), "replay", cut, "--headless", "--json")
	var sum struct {
		Command, Target, Model string
		Start                  time.Time
		Requests               uint64
		Steps                  []struct {
			Spec      string
			Completed bool
		}
	}
	if code != exitOK || json.Unmarshal([]byte(out), &sum) != nil {
		t.Fatalf("replay of the cut file: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	if sum.Command != "unknown" || sum.Target != "unknown" || sum.Model != "unknown" || sum.Requests == 0 ||
		len(sum.Steps) != 1 || sum.Steps[0].Spec != "500ms:scale=3" || !sum.Steps[0].Completed {
		t.Errorf("computed summary: %s", out)
	}
	var liveSum struct{ Start time.Time }
	_ = json.Unmarshal([]byte(live), &liveSum)
	// The start estimated from the events is early by less than a frame,
	// or late by the time a frame takes to reach the file after its
	// window's end (an event of that instant is written before it).
	if early := liveSum.Start.Sub(sum.Start); early < -50*time.Millisecond || early > 250*time.Millisecond {
		t.Errorf("computed start %v, live %v: %v early", sum.Start, liveSum.Start, early)
	} else {
		t.Logf("start estimated %v early", early)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "the header is damaged (checksum mismatch): its command line and settings are lost, "+
		"and so are the target and the load model; the start time is estimated from the events' times (to within a frame)") ||
		!strings.Contains(lines[1], "has no closing summary") {
		t.Errorf("replay of the cut file: stderr\n%s", errOut)
	}
}

// TestReplayBadInput: what cannot be replayed (missing, foreign, newer,
// empty, cut in its header, zeros after its header, unreadable, the wrong
// number of arguments) is one line and exit 2, before any UI; what is
// damaged but readable (a cut block, a huge length field in a block)
// replays what is intact with a warning, exit 0.
func TestReplayBadInput(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "demo.scalelab")
	if code, _, errOut := scalelab(t.Context(), demoArgs("--duration", "1s", "--record", rec)...); code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	magic := []byte("\xd5SLR")
	line := len("scalelab recording 1.2\n")
	firstBlock := line + 4 + bytes.Index(data[line+4:], magic)
	lastBlock := bytes.LastIndex(data, magic)
	file := func(name string, b []byte) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	zeros := append(bytes.Clone(data[:firstBlock]), make([]byte, 4096)...)
	hugeBlock := bytes.Clone(data)
	copy(hugeBlock[firstBlock+5:], []byte{0xff, 0xff, 0xff, 0xff})
	missing := filepath.Join(dir, "missing.scalelab")
	foreign := file("notes.txt", []byte("hello\n"))
	newer := file("newer.scalelab", []byte("scalelab recording 2.0\n\xd5SLRH..."))
	empty := file("empty.scalelab", nil)
	allZeros := file("zeros.scalelab", make([]byte, 4096))
	cutLine := file("cut-line.scalelab", data[:10])
	cutHeader := file("cut-header.scalelab", data[:firstBlock-20])
	zeroed := file("zeroed.scalelab", zeros)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{missing, "--headless"}, "replay: stat " + missing + ": no such file or directory"},
		{[]string{foreign, "--headless"}, "replay: " + foreign + ": not a scalelab recording"},
		{[]string{newer, "--headless"}, "replay: " + newer + ": recording format 2.0 is newer than this scalelab reads (1.x): use a newer scalelab"},
		{[]string{newer}, "replay: " + newer + ": recording format 2.0 is newer than this scalelab reads (1.x): use a newer scalelab"},
		{[]string{empty, "--headless"}, "replay: " + empty + ": not a scalelab recording: the file is empty"},
		{[]string{allZeros, "--headless"}, "replay: " + allZeros + ": not a scalelab recording"},
		{[]string{cutLine, "--headless"}, "replay: " + cutLine + ": not a scalelab recording: truncated before its header"},
		{[]string{cutHeader, "--headless"}, "replay: " + cutHeader + ": header: truncated, and no block after it"},
		{[]string{zeroed, "--headless"}, "replay " + zeroed + ": no frames and no closing summary to show (frame 1: damaged block at byte " +
			strconv.Itoa(firstBlock) + " (no record starts here): 4096 bytes skipped)"},
		{[]string{zeroed}, "replay " + zeroed + ": no frames and no closing summary to show (frame 1: damaged block at byte " +
			strconv.Itoa(firstBlock) + " (no record starts here): 4096 bytes skipped)"},
		{nil, "replay: want exactly one recording file, got 0 arguments"},
		{[]string{rec, rec, "--headless"}, "replay: want exactly one recording file, got 2 arguments"},
	} {
		args := append([]string{"replay"}, c.args...)
		code, out, errOut := replayWithin(t, 10*time.Second, nil, args...)
		if code != exitUsage || out != "" || errOut != "scalelab: "+c.want+"\n" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and %q", strings.Join(args, " "), code, out, errOut, c.want)
		}
	}

	if os.Geteuid() != 0 { // root reads any file
		unreadable := file("unreadable.scalelab", data)
		if err := os.Chmod(unreadable, 0); err != nil {
			t.Fatal(err)
		}
		want := "scalelab: replay: open " + unreadable + ": permission denied\n"
		if code, out, errOut := scalelab(t.Context(), "replay", unreadable, "--headless"); code != exitUsage || out != "" || errOut != want {
			t.Errorf("unreadable: exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errOut, want)
		}
	}

	// Damaged but readable: what is intact replays, with a warning.
	for name, c := range map[string]struct {
		data []byte
		warn string
	}{
		"cut-block":  {data[:lastBlock+20], "truncated (the last "},
		"huge-block": {hugeBlock, "(record length 4294967295 out of range)"},
	} {
		path := file(name+".scalelab", c.data)
		code, out, errOut := replayWithin(t, 10*time.Second, nil, "replay", path, "--headless")
		if code != exitOK || !strings.Contains(out, "availability") || !strings.Contains(errOut, c.warn) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 0, a summary and a warning naming %q", name, code, out, errOut, c.warn)
		}
	}
}

// TestReplayOfAFailedStep: a demo whose step failed exits 99; its replay
// shows, it does not judge: exit 0, the live JSON byte for byte, the step
// shown failed in the text summary with the recorded run's verdict, and
// still failed in the summary computed from the frames and events of the
// file cut before its closing summary.
func TestReplayOfAFailedStep(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "failed.scalelab")
	code, live, errOut := scalelab(t.Context(), demoArgs("--json", "--step", failingStep, "--record", file)...)
	if code != exitFailed {
		t.Fatalf("demo: exit %d, want %d: %s", code, exitFailed, errOut)
	}
	if code, out, errOut := scalelab(t.Context(), "replay", file, "--headless", "--json"); code != exitOK || out != live || errOut != "" {
		t.Fatalf("replay --json: exit %d\nstdout %s\nlive   %s\nstderr %s", code, out, live, errOut)
	}
	why := "step failed: inject kill: no live replica replica-999"
	code, out, errOut := scalelab(t.Context(), "replay", file, "--headless")
	if row := lineOf(out, failingStep); code != exitOK || !strings.Contains(row, why) ||
		!strings.Contains(out, "1 of 1 steps failed: the recorded run's verdict failed (it exited 99)") {
		t.Fatalf("replay: exit %d, step row %q\nstdout %s\nstderr %s", code, row, out, errOut)
	}

	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.scalelab")
	if err := os.WriteFile(cut, data[:bytes.LastIndex(data, []byte("\xd5SLR"))], 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = scalelab(t.Context(), "replay", cut, "--headless")
	if row := lineOf(out, failingStep); code != exitOK || !strings.Contains(row, why) || !strings.Contains(errOut, "no closing summary") {
		t.Fatalf("replay of the cut file: exit %d, step row %q\nstdout %s\nstderr %s", code, row, out, errOut)
	}
}

// TestReplayDamagedHeaderInTerminal replays, in a real terminal, a demo's
// recording cut before its closing summary whose header is damaged: the
// UI plays it to its end with the unknown target shown as such and the
// fleet's events in their place, q quits with exit 0, the computed
// summary and the warning saying what the header lost.
func TestReplayDamagedHeaderInTerminal(t *testing.T) {
	bin := tuiBinary(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "demo.scalelab")
	if code, _, errOut := scalelab(t.Context(), demoArgs("--step", "500ms:scale=3", "--record", file)...); code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(data[:bytes.LastIndex(data, []byte("\xd5SLR"))])
	bad[len("scalelab recording 1.2\n")+13+10] ^= 0x20
	damaged := filepath.Join(dir, "damaged.scalelab")
	if err := os.WriteFile(damaged, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	x := tmuxtest.New(t, 300, 40, shellQuit(bin+" replay "+damaged)) // wide: the warning in one line
	x.WaitFor(10*time.Second, "● REPLAY", "scalelab unknown", "▶ replay damaged.scalelab")
	x.Keys("End")
	x.WaitFor(10*time.Second, "● REPLAY END", "scale 2 → 3", "replica-3 started (v1)")
	x.Keys("q")
	s := x.WaitFor(15*time.Second, "EXIT=0")
	if !strings.Contains(s, "the header is damaged (checksum mismatch): its command line and settings are lost") || !strings.Contains(s, "scalelab unknown") ||
		!strings.Contains(s, "availability") || !strings.Contains(s, "500ms:scale=3") {
		t.Fatalf("after the replay:\n%s", s)
	}
}
