package engine

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// client is what every worker shares to send the target's request: where
// to connect and how, and the request rendered once into the bytes each
// worker writes on its own connection.
type client struct {
	addr      string      // host:port from the URL, dialled without Balance
	tls       *tls.Config // nil for http
	dialer    *fasthttp.TCPDialer
	raw       []byte // the request as sent
	head      bool   // a HEAD request: answers carry no body
	keepAlive bool
	timeout   time.Duration
	bodySize  uint64
}

// newClient builds the client for t. Nothing is ever retried: every request
// the engine counts was sent exactly once. The one exception is a request
// that was not sent at all because its kept-alive connection had been
// closed by the server while idle (see staleAfter): it goes out on a new
// connection.
func newClient(t Target, cfg *config) (*client, error) {
	u, err := ParseURL(t.URL)
	if err != nil {
		return nil, err
	}
	if err := checkRequest(t); err != nil {
		return nil, err
	}
	tlsOn := u.Scheme == "https"
	port := u.Port()
	if port == "" {
		port = map[bool]string{true: "443", false: "80"}[tlsOn]
	}
	c := &client{
		addr:      net.JoinHostPort(u.Hostname(), port),
		dialer:    &fasthttp.TCPDialer{Concurrency: 0},
		keepAlive: cfg.keepAlive,
		timeout:   cfg.timeout,
		bodySize:  uint64(len(t.Body)),
	}
	if tlsOn {
		c.tls = &tls.Config{
			ServerName:         u.Hostname(),
			InsecureSkipVerify: cfg.insecure, //nolint:gosec // the operator asked for it
			ClientSessionCache: tls.NewLRUClientSessionCache(0),
		}
	}
	req := renderable(t, u.String(), cfg.keepAlive)
	c.head = req.Header.IsHead()
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	if err := req.Write(bw); err != nil {
		return nil, fmt.Errorf("request %s %s: %w", req.Header.Method(), t.URL, err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("request %s %s: %w", req.Header.Method(), t.URL, err)
	}
	c.raw = buf.Bytes()
	return c, nil
}

// renderable builds t's request for url as fasthttp writes it.
func renderable(t Target, url string, keepAlive bool) *fasthttp.Request {
	req := &fasthttp.Request{}
	req.SetRequestURI(url)
	req.URI().DisablePathNormalizing = true
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
	if !keepAlive {
		req.SetConnectionClose()
	}
	return req
}
