package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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
