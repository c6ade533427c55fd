package cli

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// nginxTarget is the reference nginx (bench/nginx.conf's server: one
// worker, a small body, keep-alive forever) on a loopback port of its
// own, its access log one line per request answered.
type nginxTarget struct {
	URL string
	log string
	cmd *exec.Cmd
	// exited is closed once the master exited.
	exited chan struct{}
	// before is the lines logged before the test's load (startNginx's
	// own requests).
	before uint64
}

// startNginx runs the reference nginx on loopback in a temporary
// directory (CI installs nginx: .ci/run).
func startNginx(t *testing.T) *nginxTarget {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
		if _, err := os.Stat(bin); err != nil {
			t.Fatal("nginx is not installed (CI installs it: .ci/run)")
		}
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	n := &nginxTarget{URL: fmt.Sprintf("http://127.0.0.1:%d/", port), log: filepath.Join(dir, "access.log"), exited: make(chan struct{})}
	conf := fmt.Sprintf(`worker_processes 1;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 4096; }
http {
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  log_format lines '$status';
  access_log %[2]s lines;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:%[3]d backlog=4096;
    location / { return 200 "hello\n"; }
  }
}
`, dir, n.log, port)
	cf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	n.cmd = exec.Command(bin, "-c", cf, "-p", dir, "-e", filepath.Join(dir, "error.log"))
	n.cmd.Stderr = &errOut
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("nginx: %v", err)
	}
	go func() { _ = n.cmd.Wait(); close(n.exited) }()
	t.Cleanup(func() {
		_ = n.cmd.Process.Kill()
		<-n.exited
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(n.URL)
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-n.exited:
			errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx ended: %s%s", errOut.String(), errLog)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx not answering on %s after 10 s", n.URL)
		}
	}
	// The probe's requests are not the test's: count from the lines
	// logged once they settled.
	time.Sleep(200 * time.Millisecond)
	n.before = n.lines(t)
	return n
}

// lines is the access log's line count.
func (n *nginxTarget) lines(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile(n.log)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(bytes.Count(b, []byte("\n")))
}

// answered stops nginx gracefully (SIGQUIT: it finishes the requests it
// has) and returns its access log's lines: the requests it answered.
func (n *nginxTarget) answered(t *testing.T) uint64 {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("nginx did not stop within 20 s of SIGQUIT")
	}
	return n.lines(t) - n.before
}
