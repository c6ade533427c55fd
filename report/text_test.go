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

// TestTextShowsConnects: the text summary has a connect line when the
// run opened connections, and none otherwise.
func TestTextShowsConnects(t *testing.T) {
	s := engine.NewSnapshot()
	s.Requests, s.Status[200] = 4, 4
	var b bytes.Buffer
	Summary{Command: "load", Target: "http://127.0.0.1:1/", Model: "rate 1/s", Summary: engine.Summarize(s, 1)}.WriteText(&b)
	if strings.Contains(b.String(), "connect") {
		t.Errorf("text summary without connections opened:\n%s", b.String())
	}
	s.ConnectionsOpened, s.Connect = 2, engine.NewHistogram()
	_ = s.Connect.RecordValue(250)
	_ = s.Connect.RecordValue(1500)
	b.Reset()
	Summary{Command: "load", Target: "http://127.0.0.1:1/", Model: "rate 1/s", Summary: engine.Summarize(s, 1)}.WriteText(&b)
	if want := "  connect           p50 0.25ms"; !strings.Contains(b.String(), want) ||
		!strings.Contains(b.String(), "max 1.50ms") || !strings.Contains(b.String(), "(2 connections opened)\n") {
		t.Errorf("text summary:\n%s\nwant a line starting %q, max 1.50ms and 2 connections opened", b.String(), want)
	}
}
