package cli

import (
	"strconv"
	"strings"
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

// parseHeader parses --header "Name: value" as the engine does, or
// returns a bad-input error naming the header.
func parseHeader(s string) (engine.Header, error) {
	h, err := engine.ParseHeader(s)
	if err != nil {
		return engine.Header{}, badInput("--header %q: %v", s, err)
	}
	return h, nil
}
