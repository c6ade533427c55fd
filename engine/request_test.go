package engine

import (
	"strings"
	"testing"
)

// TestNewRefusesBrokenRequests: a library user gets the CLI's checks of
// the method and headers from New (a CR in a value, a space in the method
// or a Content-Length would break or stall every request).
func TestNewRefusesBrokenRequests(t *testing.T) {
	for _, tc := range []struct {
		target Target
		want   string
	}{
		{Target{URL: "http://127.0.0.1:1/", Method: "GE T"}, "method"},
		{Target{URL: "http://127.0.0.1:1/", Headers: []Header{{"X", "a\r\nY: b"}}}, "control character"},
		{Target{URL: "http://127.0.0.1:1/", Headers: []Header{{"X Y", "b"}}}, "header name"},
		{Target{URL: "http://127.0.0.1:1/", Headers: []Header{{"Content-Length", "5"}}}, "set by the engine"},
		{Target{URL: "http://127.0.0.1:1/", Headers: []Header{{"Host", " "}}}, "Host is empty"},
	} {
		if _, err := New(tc.target, Rate(1)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v): %v, want an error saying %q", tc.target, err, tc.want)
		}
	}
	if _, err := New(Target{URL: "http://127.0.0.1:1/", Method: "PATCH", Headers: []Header{{"X-Id", "a\tb é"}}}, Rate(1)); err != nil {
		t.Errorf("a good request refused: %v", err)
	}
	for _, s := range []string{"X: a\x01b", "X\x01: b", "Transfer-Encoding: chunked", ": b", "X"} {
		if _, err := ParseHeader(s); err == nil {
			t.Errorf("ParseHeader(%q): no error", s)
		}
	}
}
