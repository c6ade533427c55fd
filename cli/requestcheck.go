package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/scalelab/scalelab/engine"
)

// checkURL returns a bad-input error for a target URL the engine cannot
// send to: what engine.ParseURL refuses (a scheme other than http and
// https, no host, a port beyond 65535), port 0 (nothing listens there:
// every request would be refused) and a host that is not ASCII (an
// internationalized name is written in its ASCII form, xn--…).
func checkURL(raw string) error {
	u, err := engine.ParseURL(raw)
	if err != nil {
		return usageError{err}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err == nil && n == 0 {
			return badInput("url %q: port 0: no server listens there; give the target's port", raw)
		}
	}
	if h := u.Hostname(); strings.IndexFunc(h, func(r rune) bool { return r >= utf8.RuneSelf }) >= 0 {
		return badInput("url %q: host %q is not ASCII: write an internationalized name in its ASCII form (xn--…)", raw, h)
	}
	return nil
}

// engineHeaders are the headers the engine writes itself from the
// request: one given as well would contradict it (a Content-Length with
// no such body makes every request wait until it times out).
var engineHeaders = map[string]bool{"content-length": true, "transfer-encoding": true}

// parseHeader parses --header "Name: value", or returns a bad-input error
// naming the header: the name an HTTP token, the value without control
// characters other than tab (CR and LF would end the header early) and
// valid UTF-8, no header the engine sets itself, and Host not empty.
func parseHeader(s string) (engine.Header, error) {
	bad := func(format string, args ...any) error {
		return badInput("--header %q: %s", s, fmt.Sprintf(format, args...))
	}
	name, value, ok := strings.Cut(s, ":")
	name = strings.Trim(name, " \t")
	if !ok || name == "" {
		return engine.Header{}, bad(`want "Name: value"`)
	}
	if err := checkToken(name); err != nil {
		return engine.Header{}, bad("header name %q: %v", name, err)
	}
	if engineHeaders[strings.ToLower(name)] {
		return engine.Header{}, bad("%s is set by the engine from the body; drop it", name)
	}
	if !utf8.ValidString(value) {
		return engine.Header{}, bad("header %s: the value is not valid UTF-8", name)
	}
	if i := strings.IndexFunc(value, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(value[i:])
		return engine.Header{}, bad("header %s: the value has a control character (%U); only tab is allowed", name, r)
	}
	value = strings.Trim(value, " \t")
	if strings.EqualFold(name, "Host") && value == "" {
		return engine.Header{}, bad("Host is empty; give a host name, or drop the header to send the URL's")
	}
	return engine.Header{Name: name, Value: value}, nil
}

// checkMethod returns what is wrong with m as an HTTP method, or nil: it
// must be a token (a space would split the request line).
func checkMethod(m string) error {
	if m == "" {
		return errors.New("empty; want a method such as GET or POST")
	}
	return checkToken(m)
}

// checkToken returns what is wrong with s as an HTTP token (RFC 9110
// section 5.6.2), or nil.
func checkToken(s string) error {
	for _, r := range s {
		if !isTokenChar(r) {
			return fmt.Errorf("%q is not allowed (letters, digits and !#$%%&'*+-.^_`|~ only)", r)
		}
	}
	return nil
}

// isTokenChar reports r allowed in an HTTP token.
func isTokenChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}
