package main

import (
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
