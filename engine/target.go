package engine

import (
	"fmt"
	"net"
	"net/url"
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
