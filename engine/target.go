package engine

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Header is one request header.
type Header struct{ Name, Value string }

// Target is what the engine sends: one method, URL, header set and body.
type Target struct {
	URL     string
	Method  string // GET when empty
	Headers []Header
	Body    []byte
}

// ParseURL checks that raw is an absolute http or https URL with a host.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("url %q: malformed", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("url %q: scheme must be http or https", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("url %q: no host", raw)
	}
	if p := u.Port(); p != "" {
		if _, err := net.LookupPort("tcp", p); err != nil {
			return nil, fmt.Errorf("url %q: bad port %q", raw, p)
		}
	}
	return u, nil
}

// ParseHeader parses "Name: value".
func ParseHeader(s string) (Header, error) {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") {
		return Header{}, fmt.Errorf("header %q: want \"Name: value\"", s)
	}
	return Header{Name: name, Value: strings.TrimSpace(value)}, nil
}

// client is the engine's HTTP client: one fasthttp HostClient and the request
// every worker copies.
type client struct {
	hc       *fasthttp.HostClient
	tmpl     *fasthttp.Request
	timeout  time.Duration
	bodySize uint64
}

// newClient builds the client for t. Retries are off: every request the
// engine counts was sent exactly once. The one exception is a request that
// was not sent at all because its pooled connection had been closed by the
// server while idle (see idleCheckConn): it goes out on another connection.
func newClient(t Target, cfg *config) (*client, error) {
	u, err := ParseURL(t.URL)
	if err != nil {
		return nil, err
	}
	tlsOn := u.Scheme == "https"
	port := u.Port()
	if port == "" {
		port = map[bool]string{true: "443", false: "80"}[tlsOn]
	}
	dialer := &fasthttp.TCPDialer{Concurrency: 0}
	hc := &fasthttp.HostClient{
		Addr:  net.JoinHostPort(u.Hostname(), port),
		IsTLS: tlsOn,
		DialTimeout: func(addr string, timeout time.Duration) (net.Conn, error) {
			c, err := dialer.DialTimeout(addr, timeout)
			if err != nil {
				return nil, err
			}
			return newIdleCheckConn(c), nil
		},
		MaxConns:                  max(cfg.maxInflight, cfg.concurrency) + 16,
		MaxIdemponentCallAttempts: maxStaleRetries,
		RetryIfErr: func(_ *fasthttp.Request, _ int, err error) (bool, bool) {
			return false, isStaleConn(err)
		},
		StreamResponseBody:       true,
		ConnPoolStrategy:         fasthttp.LIFO,
		NoDefaultUserAgentHeader: true,
		DisablePathNormalizing:   true,
		MaxIdleConnDuration:      time.Minute,
		ReadBufferSize:           16 << 10,
	}
	if tlsOn {
		hc.TLSConfig = &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: cfg.insecure} //nolint:gosec // the operator asked for it
	}
	req := &fasthttp.Request{}
	req.SetRequestURI(u.String())
	method := t.Method
	if method == "" {
		method = fasthttp.MethodGet
	}
	req.Header.SetMethod(strings.ToUpper(method))
	req.Header.SetUserAgent("scalelab")
	for _, h := range t.Headers {
		if strings.EqualFold(h.Name, "Host") {
			req.Header.SetHost(h.Value)
			req.UseHostHeader = true // else the URL's host is sent
			continue
		}
		req.Header.Add(h.Name, h.Value)
	}
	if len(t.Body) > 0 {
		req.SetBodyRaw(t.Body)
	}
	if !cfg.keepAlive {
		req.SetConnectionClose()
	}
	return &client{hc: hc, tmpl: req, timeout: cfg.timeout, bodySize: uint64(len(t.Body))}, nil
}
