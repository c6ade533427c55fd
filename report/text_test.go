package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/engine"
)

// TestOutcomeLineWords: the live line says transport errors for requests
// without an answer and failed for those and the 5xx, as the summary does.
func TestOutcomeLineWords(t *testing.T) {
	s := engine.NewSnapshot()
	s.Status[200], s.Status[502] = 7, 2
	s.Errors[engine.ErrRefused] = 1
	s.Requests = 10
	if got, want := outcomeLine(s), "2xx 7 5xx 2 transport errors 1  failed 3"; got != want {
		t.Errorf("outcome line %q, want %q", got, want)
	}
}

// TestTextShowsErrorCauses: the text summary names the causes of the
// protocol and other transport errors under the transport errors line.
func TestTextShowsErrorCauses(t *testing.T) {
	s := engine.NewSnapshot()
	s.Requests = 6
	s.Errors[engine.ErrProtocol], s.Errors[engine.ErrOther], s.Errors[engine.ErrTimeout] = 3, 2, 1
	s.Causes[engine.ErrProtocol][engine.CauseHeaderTooLarge] = 2
	s.Causes[engine.ErrProtocol][engine.CauseBadHeader] = 1
	s.Causes[engine.ErrOther][engine.CauseUnclassified] = 2
	var b bytes.Buffer
	Summary{Command: "load", Target: "http://127.0.0.1:1/", Model: "rate 1/s", Summary: engine.Summarize(s, 1)}.WriteText(&b)
	want := "  transport errors  other: 2  protocol: 3  timeout: 1\n" +
		"    other           unclassified: 2\n" +
		"    protocol        bad header: 1  header too large: 2\n" +
		"  failed "
	if !strings.Contains(b.String(), want) {
		t.Errorf("text summary:\n%s\nwant the lines:\n%s", b.String(), want)
	}
}
