package engine

import (
	"errors"
	"io"
	"strings"

	"github.com/valyala/fasthttp"
)

// ErrorCause says why a request ended in a class that does not say it by
// itself (ErrProtocol, ErrOther): one of a fixed set, so that counts by
// cause stay bounded whatever the target sends. Values are stable
// (recordings store counts by value): new causes are added at the end.
type ErrorCause uint8

// The causes, as fasthttp reports what it could not read.
const (
	// CauseUnclassified is an error the engine knows nothing more of.
	CauseUnclassified ErrorCause = iota
	// CauseBadStatusLine is a first line that is not an HTTP/1.x status
	// line (no status code, a bad version).
	CauseBadStatusLine
	// CauseHeaderTooLarge is a header section beyond 16 KB (maxHeaderSize).
	CauseHeaderTooLarge
	// CauseBadHeader is a header line fasthttp refuses: no colon, a control
	// or escape character in its name or value.
	CauseBadHeader
	// CauseBadFraming is a body length that cannot be read: a malformed or
	// duplicate Content-Length, an unsupported Transfer-Encoding.
	CauseBadFraming
	// CauseBadChunk is a malformed chunk of a chunked body.
	CauseBadChunk
	// CauseBadTrailer is a forbidden or malformed trailer.
	CauseBadTrailer
	// CauseBodyTooLarge is a body beyond the client's limit.
	CauseBodyTooLarge
	numErrorCauses
)

// NumErrorCauses is the number of causes: the length of each of
// Snapshot.Causes's rows.
const NumErrorCauses = int(numErrorCauses)

var errorCauseNames = [numErrorCauses]string{
	"unclassified", "bad status line", "header too large", "bad header", "bad framing", "bad chunk", "bad trailer",
	"body too large",
}

// String returns the cause's name as it appears in summaries.
func (c ErrorCause) String() string {
	if c < numErrorCauses {
		return errorCauseNames[c]
	}
	return errorCauseNames[CauseUnclassified]
}

// ErrorCauses lists every cause in report order (unclassified last).
func ErrorCauses() []ErrorCause {
	return []ErrorCause{CauseBadStatusLine, CauseHeaderTooLarge, CauseBadHeader, CauseBadFraming, CauseBadChunk,
		CauseBadTrailer, CauseBodyTooLarge, CauseUnclassified}
}

// Detailed reports whether requests of class c are counted by cause (see
// Snapshot.Causes): the classes that do not say why by themselves.
func (c ErrorClass) Detailed() bool { return c == ErrProtocol || c == ErrOther }

// causeTexts match fasthttp's errors that have no sentinel by their text,
// in order: a trailer's error is read with the headers, and every header
// error's text names "headers".
var causeTexts = []struct {
	text  string
	cause ErrorCause
}{
	{"small read buffer", CauseHeaderTooLarge},
	{"trailer", CauseBadTrailer},
	{"status code", CauseBadStatusLine},
	{"first line of response", CauseBadStatusLine},
	{"http version", CauseBadStatusLine},
	{"chunk", CauseBadChunk},
	{"hex number", CauseBadChunk},
	{"content-length", CauseBadFraming},
	{"transfer-encoding", CauseBadFraming},
	{"header key", CauseBadHeader},
	{"header value", CauseBadHeader},
	{"mime header", CauseBadHeader},
	{"body size exceeds", CauseBodyTooLarge},
}

// causeSentinels are fasthttp's errors that name a cause.
var causeSentinels = []struct {
	err   error
	cause ErrorCause
}{
	{fasthttp.ErrSmallReadBuffer, CauseHeaderTooLarge},
	{fasthttp.ErrBodyTooLarge, CauseBodyTooLarge},
	{fasthttp.ErrBadTrailer, CauseBadTrailer},
	{fasthttp.ErrDuplicateContentLength, CauseBadFraming},
	{fasthttp.ErrUnsupportedTransferEncoding, CauseBadFraming},
	{fasthttp.ErrNonNumericChars, CauseBadFraming},
	{fasthttp.ErrResponseFirstLineMissingSpace, CauseBadStatusLine},
	{fasthttp.ErrUnexpectedStatusCodeChar, CauseBadStatusLine},
}

// Cause names why err, an error of a Detailed class, happened: the first
// error of its tree, outermost first, that fasthttp's types, sentinels or
// texts (its own part, see ownText) name. A join's own text (which would
// be built) is not read. It allocates nothing for the errors fasthttp
// returns.
func Cause(err error) ErrorCause {
	for err != nil {
		switch e := err.(type) {
		case *fasthttp.ErrSmallBuffer:
			return CauseHeaderTooLarge
		case fasthttp.ErrBrokenChunk:
			return CauseBadChunk
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				if c := Cause(x); c != CauseUnclassified {
					return c
				}
			}
			return CauseUnclassified
		}
		for _, s := range causeSentinels {
			if err == s.err {
				return s.cause
			}
		}
		msg := ownText(err.Error())
		for _, t := range causeTexts {
			if containsFold(msg, t.text) {
				return t.cause
			}
		}
		err = errors.Unwrap(err)
	}
	return CauseUnclassified
}

// ownText cuts an error's text before what the target sent: fasthttp
// quotes the bytes it refused and appends the buffer's contents, which
// could hold any of causeTexts.
func ownText(msg string) string {
	if i := strings.IndexByte(msg, '"'); i >= 0 {
		msg = msg[:i]
	}
	if i := strings.Index(msg, "buffer size="); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// containsFold reports whether s holds sub, a lower-case ASCII text,
// ignoring ASCII case, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// truncated reports a broken chunk that is only a connection cut short:
// a reset, not a malformed body.
// (fasthttp wraps io.ErrUnexpectedEOF without Unwrap: its text is matched).
func truncated(b fasthttp.ErrBrokenChunk) bool {
	msg := b.Error()
	return msg == io.ErrUnexpectedEOF.Error() || msg == io.EOF.Error()
}
