package engine

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// engineHeaders are the headers the engine writes itself from the body:
// another value would break the request's framing (every request would
// then time out).
var engineHeaders = map[string]bool{"content-length": true, "transfer-encoding": true}

// ParseHeader parses "Name: value" and checks it as checkHeader does.
func ParseHeader(s string) (Header, error) {
	name, value, ok := strings.Cut(s, ":")
	name = strings.Trim(name, " \t")
	if !ok || name == "" {
		return Header{}, errors.New(`want "Name: value"`)
	}
	h := Header{Name: name, Value: strings.Trim(value, " \t")}
	return h, checkHeader(h)
}

// checkHeader returns what is wrong with h as a request header: the name
// an HTTP token, the value valid UTF-8 without control characters other
// than tab (CR and LF would end the header early), no header the engine
// sets itself, and Host not empty.
func checkHeader(h Header) error {
	if err := checkToken(h.Name); err != nil {
		return fmt.Errorf("header name %q: %w", h.Name, err)
	}
	if engineHeaders[strings.ToLower(h.Name)] {
		return fmt.Errorf("%s is set by the engine from the body; drop it", h.Name)
	}
	if !utf8.ValidString(h.Value) {
		return fmt.Errorf("header %s: the value is not valid UTF-8", h.Name)
	}
	if i := strings.IndexFunc(h.Value, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(h.Value[i:])
		return fmt.Errorf("header %s: the value has a control character (%U); only tab is allowed", h.Name, r)
	}
	if strings.EqualFold(h.Name, "Host") && strings.Trim(h.Value, " \t") == "" {
		return errors.New("Host is empty; give a host name, or drop the header to send the URL's")
	}
	return nil
}

// CheckMethod returns what is wrong with m as an HTTP method, or nil: it
// must be a token (a space would split the request line).
func CheckMethod(m string) error {
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

// checkRequest returns every problem with t's method and headers, for New.
func checkRequest(t Target) error {
	var errs []error
	if t.Method != "" {
		if err := CheckMethod(t.Method); err != nil {
			errs = append(errs, fmt.Errorf("method %q: %w", t.Method, err))
		}
	}
	for _, h := range t.Headers {
		if err := checkHeader(h); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
