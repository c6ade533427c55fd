package engine_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
	"github.com/valyala/fasthttp"
)

// TestCauseOfMalformedAnswers: answers fasthttp cannot read, sent by a real
// loopback server, are counted by class and by cause, in the snapshot and
// in the summary's error detail, whatever the bytes were (the cause is one
// of a fixed set: the detail stays bounded).
func TestCauseOfMalformedAnswers(t *testing.T) {
	t.Parallel()
	const ok = "HTTP/1.1 200 OK\r\n"
	for _, tc := range []struct {
		name   string
		answer string
		class  engine.ErrorClass
		cause  engine.ErrorCause
	}{
		{"bad status line", "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n", engine.ErrProtocol, engine.CauseBadStatusLine},
		{"not http", "SSH-2.0-OpenSSH_9.6\r\n\r\n", engine.ErrProtocol, engine.CauseBadStatusLine},
		{"status line without a space", "HTTP/1.1\r\n\r\n", engine.ErrProtocol, engine.CauseBadStatusLine},
		{"17 KB header", ok + "X-Big: " + strings.Repeat("a", 17<<10) + "\r\nContent-Length: 0\r\n\r\n", engine.ErrProtocol, engine.CauseHeaderTooLarge},
		{"1 MB header", ok + "X-Big: " + strings.Repeat("a", 1<<20) + "\r\nContent-Length: 0\r\n\r\n", engine.ErrProtocol, engine.CauseHeaderTooLarge},
		{"escape in a header value", ok + "X-Color: \x1b[31mred\r\nContent-Length: 0\r\n\r\n", engine.ErrProtocol, engine.CauseBadHeader},
		{"control character in a header name", ok + "X\x01Y: 1\r\nContent-Length: 0\r\n\r\n", engine.ErrProtocol, engine.CauseBadHeader},
		// What the target sent is not read as the cause.
		{"escape and a cause's words in a header value", ok + "X-Lie: \x1b chunk status code trailer\r\nContent-Length: 0\r\n\r\n", engine.ErrProtocol, engine.CauseBadHeader},
		{"header without a colon", ok + "NoColon\r\nContent-Length: 0\r\n\r\n", engine.ErrProtocol, engine.CauseBadHeader},
		{"bad content length", ok + "Content-Length: abc\r\n\r\n", engine.ErrProtocol, engine.CauseBadFraming},
		{"two content lengths", ok + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", engine.ErrProtocol, engine.CauseBadFraming},
		{"unsupported transfer encoding", ok + "Transfer-Encoding: gzip\r\n\r\n", engine.ErrProtocol, engine.CauseBadFraming},
		{"chunk size not hex", ok + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", engine.ErrProtocol, engine.CauseBadChunk},
		{"bad end of chunk size", ok + "Transfer-Encoding: chunked\r\n\r\n3x\r\nabc\r\n0\r\n\r\n", engine.ErrProtocol, engine.CauseBadChunk},
		{"forbidden trailer", ok + "Transfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\nContent-Length: 5\r\n\r\n", engine.ErrProtocol, engine.CauseBadTrailer},
		// A chunked body cut short is a reset, not a malformed answer.
		{"chunked body cut short", ok + "Transfer-Encoding: chunked\r\n\r\n10\r\nabc", engine.ErrReset, engine.CauseUnclassified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := enginetest.NewAnswerServer(t, tc.answer)
			res, _ := runLoad(t, srv.URL, engine.Rate(50), engine.Duration(200*time.Millisecond), engine.Timeout(2*time.Second))
			s := res.Total
			checkTotals(t, s)
			if s.Requests == 0 || s.Errors[tc.class] != s.Requests {
				t.Fatalf("requests %d, status %v, errors %v: want every one %s", s.Requests, s.Status, s.Errors, tc.class)
			}
			sum := engine.Summarize(s, res.Window.Seconds())
			if !tc.class.Detailed() {
				if s.Causes[tc.class] != [engine.NumErrorCauses]uint64{} || sum.ErrorDetail != nil {
					t.Errorf("class %s counted by cause: %v, detail %v", tc.class, s.Causes[tc.class], sum.ErrorDetail)
				}
				return
			}
			if got := s.Causes[tc.class][tc.cause]; got != s.Requests {
				t.Errorf("causes %v: %d %q, want all %d", s.Causes[tc.class], got, tc.cause, s.Requests)
			}
			want := map[string]map[string]uint64{tc.class.String(): {tc.cause.String(): s.Requests}}
			if len(sum.ErrorDetail) != 1 || len(sum.ErrorDetail[tc.class.String()]) != 1 ||
				sum.ErrorDetail[tc.class.String()][tc.cause.String()] != s.Requests {
				t.Errorf("error detail %v, want %v", sum.ErrorDetail, want)
			}
		})
	}
}

// TestCauseMadeErrors: errors a loopback answer does not produce, and the
// merge of counts by cause. Not parallel: it counts allocations.
func TestCauseMadeErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want engine.ErrorCause
	}{
		{fasthttp.ErrBodyTooLarge, engine.CauseBodyTooLarge},
		{fmt.Errorf("reading: %w", fasthttp.ErrBodyTooLarge), engine.CauseBodyTooLarge},
		{errors.Join(errors.New("not an HTTP answer"), fasthttp.ErrDuplicateContentLength), engine.CauseBadFraming},
		{errors.New("something else"), engine.CauseUnclassified},
		{nil, engine.CauseUnclassified},
	} {
		if got := engine.Cause(tc.err); got != tc.want {
			t.Errorf("Cause(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
	wrapped := errors.Join(errors.New("not an HTTP answer"),
		fmt.Errorf("error when reading response headers: %w", errors.New("invalid header value \"x\"")))
	if n := testing.AllocsPerRun(100, func() { _ = engine.Cause(wrapped) }); n != 0 {
		t.Errorf("Cause allocates %.0f times per error", n)
	}
	var names []string
	for _, c := range engine.ErrorCauses() {
		names = append(names, c.String())
	}
	if got, want := strings.Join(names, ","), "bad status line,header too large,bad header,bad framing,bad chunk,bad trailer,body too large,unclassified"; got != want {
		t.Errorf("causes %s, want %s", got, want)
	}
	a, b := engine.NewSnapshot(), engine.NewSnapshot()
	a.Requests, a.Errors[engine.ErrOther], a.Causes[engine.ErrOther][engine.CauseUnclassified] = 2, 2, 2
	b.Requests, b.Errors[engine.ErrProtocol], b.Causes[engine.ErrProtocol][engine.CauseBadHeader] = 3, 3, 3
	b.Errors[engine.ErrOther], b.Requests = 1, 4 // one without a cause, as read from an older recording
	a.Merge(b)
	sum := engine.Summarize(a, 1)
	if got := fmt.Sprint(sum.ErrorDetail); got != "map[other:map[unclassified:3] protocol:map[bad header:3]]" {
		t.Errorf("merged detail %s", got)
	}
	js, err := json.Marshal(sum)
	if err != nil || !strings.Contains(string(js), `"error_detail":{"other":{"unclassified":3},"protocol":{"bad header":3}}`) {
		t.Errorf("summary JSON %s (%v): want the error detail", js, err)
	}
	if js, _ := json.Marshal(engine.Summarize(engine.NewSnapshot(), 1)); strings.Contains(string(js), "error_detail") {
		t.Errorf("summary JSON %s: want no error detail without errors", js)
	}
}
