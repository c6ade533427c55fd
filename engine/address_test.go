package engine_test

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TestIPv6Literal sends to a real listener on [::1]: fasthttp's plain
// dial keeps only IPv4 addresses, which failed every request as other.
func TestIPv6Literal(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "http://[::1]:") {
		t.Fatalf("server URL %s, want an IPv6 literal", srv.URL)
	}
	res, _ := runLoad(t, srv.URL+"/", engine.Rate(100), engine.Duration(300*time.Millisecond), engine.Timeout(2*time.Second))
	s := res.Total
	checkTotals(t, s)
	if s.Requests == 0 || s.Status[200] != s.Requests {
		t.Fatalf("requests %d, status %v, errors %v: want every one answered 200", s.Requests, s.Status, s.Errors)
	}
}

// rawAnswerServer starts a loopback server that reads one request per
// connection and writes answer back, then closes the connection.
func rawAnswerServer(t *testing.T, answer string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						break
					}
				}
				_, _ = c.Write([]byte(answer))
				time.Sleep(50 * time.Millisecond) // let the answer arrive before the FIN
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

// TestClassifyNamedByEngine runs the engine against targets whose errors
// used to land in other: answers that are not HTTP, and endpoints whose
// address cannot be dialled.
func TestClassifyNamedByEngine(t *testing.T) {
	t.Parallel()
	bigHeader := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 20<<10) + "\r\nContent-Length: 0\r\n\r\n"
	cases := []struct {
		name   string
		url    string
		opts   []engine.Option
		want   engine.ErrorClass
		detail string
	}{
		{"not http", rawAnswerServer(t, "SSH-2.0-OpenSSH_9.6\r\n\r\n"), nil, engine.ErrProtocol, "an answer that is not HTTP"},
		{"bad status line", rawAnswerServer(t, "HTTP/1.1 abc\r\n\r\n"), nil, engine.ErrProtocol, "a malformed status line"},
		{"headers too large", rawAnswerServer(t, bigHeader), nil, engine.ErrProtocol, "headers over the read buffer"},
		{"endpoint without port", "http://example.test/",
			[]engine.Option{engine.Balance(engine.NewEndpoints(engine.Endpoint{Addr: "127.0.0.1"}))}, engine.ErrAddress, "an address without a port"},
		{"endpoint port out of range", "http://example.test/",
			[]engine.Option{engine.Balance(engine.NewEndpoints(engine.Endpoint{Addr: "127.0.0.1:99999"}))}, engine.ErrAddress, "a port beyond 65535"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := append([]engine.Option{engine.Rate(20), engine.Duration(200 * time.Millisecond), engine.Timeout(2 * time.Second)}, tc.opts...)
			res, _ := runLoad(t, tc.url, opts...)
			s := res.Total
			checkTotals(t, s)
			if s.Requests == 0 || s.Errors[tc.want] != s.Requests {
				t.Fatalf("%s: requests %d, status %v, errors %v; want every one %s", tc.detail, s.Requests, s.Status, s.Errors, tc.want)
			}
		})
	}
}
