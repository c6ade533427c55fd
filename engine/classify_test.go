package engine_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
	"github.com/valyala/fasthttp"
)

// hostPort strips the scheme from a test server's URL.
func hostPort(url string) string {
	return strings.TrimPrefix(strings.TrimPrefix(url, "http://"), "https://")
}

// rawGet sends one GET on a fresh connection to addr and reads the answer,
// returning the first error.
func rawGet(addr string, readTimeout time.Duration) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return err
	}
	if readTimeout > 0 {
		_ = c.SetReadDeadline(time.Now().Add(readTimeout))
	}
	_, err = c.Read(make([]byte, 1))
	return err
}

// fastGet sends one GET with a fasthttp client set up as the engine's.
func fastGet(url string, timeout time.Duration, tlsOn bool) error {
	hc := &fasthttp.HostClient{
		Addr:                      hostPort(url),
		IsTLS:                     tlsOn,
		MaxIdemponentCallAttempts: 1,
		RetryIfErr:                func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url)
	return hc.DoTimeout(req, resp, timeout)
}

// TestClassifyRealErrors classifies errors produced by real sockets on
// loopback, both from the net package and from fasthttp.
func TestClassifyRealErrors(t *testing.T) {
	t.Parallel()
	closed := enginetest.ClosedURL(t)
	reset := enginetest.NewResetServer(t)
	hang := enginetest.NewHangServer(t)
	plain := enginetest.NewServer(t)
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)

	cases := []struct {
		name string
		err  func() error
		want engine.ErrorClass
	}{
		{"net refused", func() error { return rawGet(hostPort(closed), 0) }, engine.ErrRefused},
		{"fasthttp refused", func() error { return fastGet(closed, time.Second, false) }, engine.ErrRefused},
		{"net reset", func() error { return rawGet(hostPort(reset.URL), 2*time.Second) }, engine.ErrReset},
		{"fasthttp reset", func() error { return fastGet(reset.URL, 2*time.Second, false) }, engine.ErrReset},
		{"net read deadline", func() error { return rawGet(hostPort(hang.URL), 50*time.Millisecond) }, engine.ErrTimeout},
		{"fasthttp timeout", func() error { return fastGet(hang.URL, 100*time.Millisecond, false) }, engine.ErrTimeout},
		{"tls to a plain server", func() error {
			c, err := tls.Dial("tcp", hostPort(plain.URL), &tls.Config{ServerName: "127.0.0.1"})
			if err == nil {
				c.Close()
			}
			return err
		}, engine.ErrTLS},
		{"tls untrusted certificate", func() error {
			c, err := tls.Dial("tcp", hostPort(tlsSrv.URL), &tls.Config{ServerName: "127.0.0.1"})
			if err == nil {
				c.Close()
			}
			return err
		}, engine.ErrTLS},
		{"fasthttp tls untrusted certificate", func() error { return fastGet(tlsSrv.URL, time.Second, true) }, engine.ErrTLS},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if err == nil {
				t.Fatal("no error")
			}
			if got := engine.Classify(err); got != tc.want {
				t.Errorf("Classify(%v) [%T] = %s, want %s", err, err, got, tc.want)
			}
			wrapped := fmt.Errorf("request: %w", err)
			if got := engine.Classify(wrapped); got != tc.want {
				t.Errorf("Classify(wrapped %v) = %s, want %s", err, got, tc.want)
			}
		})
	}
}

// TestClassifyMadeErrors covers the classes a loopback socket cannot
// produce (name resolution would leave the machine) and plain values.
func TestClassifyMadeErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		want engine.ErrorClass
	}{
		{&net.DNSError{Err: "no such host", Name: "service.invalid", IsNotFound: true}, engine.ErrDNS},
		{&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "server misbehaving", Name: "x.invalid"}}, engine.ErrDNS},
		{fasthttp.ErrTimeout, engine.ErrTimeout},
		{fasthttp.ErrDialTimeout, engine.ErrTimeout},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, engine.ErrRefused},
		{&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, engine.ErrReset},
		{syscall.EPIPE, engine.ErrReset},
		{io.EOF, engine.ErrReset},
		{io.ErrUnexpectedEOF, engine.ErrReset},
		{fasthttp.ErrConnectionClosed, engine.ErrReset},
		{errors.New("something else"), engine.ErrOther},
		{fasthttp.ErrBodyTooLarge, engine.ErrOther},
	}
	for _, tc := range cases {
		if got := engine.Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestErrorClassNames(t *testing.T) {
	t.Parallel()
	var names []string
	for _, c := range engine.ErrorClasses() {
		names = append(names, c.String())
	}
	if got, want := strings.Join(names, ","), "timeout,refused,reset,dns,tls,unreachable,address,protocol,abandoned,other"; got != want {
		t.Errorf("classes %s, want %s", got, want)
	}
	if got := engine.ErrorClass(200).String(); got != "other" {
		t.Errorf("out-of-range class named %q, want other", got)
	}
}

// TestClassifyNamedMadeErrors covers the classes that loopback cannot
// produce on every machine: unreachable networks and address errors.
func TestClassifyNamedMadeErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		want engine.ErrorClass
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ENETUNREACH}, engine.ErrUnreachable},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.EHOSTUNREACH}, engine.ErrUnreachable},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.EAFNOSUPPORT}, engine.ErrUnreachable},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.EADDRNOTAVAIL}, engine.ErrAddress},
		{&net.AddrError{Err: "missing port in address", Addr: "127.0.0.1"}, engine.ErrAddress},
		{errors.New("couldn't find dns entries for the given domain: try using dual-stack dialing"), engine.ErrDNS},
	}
	for _, tc := range cases {
		if got := engine.Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}
