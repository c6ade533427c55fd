package recordings

import (
	"net/url"
	"regexp"
	"strings"
)

// Redacted stands in a recording (and in what scalelab prints) for a
// secret.
const Redacted = "REDACTED"

// sensitiveName matches header, query, fragment, path parameter and flag
// names whose values are credentials: anything containing pass, token,
// secret, key, auth, session (sess: PHPSESSID), sig or cookie, and a few
// more (pwd, credential, jwt, bearer, csrf, xsrf, the OAuth code).
var sensitiveName = regexp.MustCompile(`(?i)(pass|token|secret|key|auth|sess|sig|cookie|pwd|credential|jwt|bearer|csrf|xsrf|^code$)`)

// credentialValue matches values that look like credentials whatever their
// header: an authorization scheme, a JSON web token, well-known key
// prefixes, or a long run of token characters mixing letters and digits.
var credentialValue = regexp.MustCompile(`(?i)^\s*(bearer|basic|digest|token|negotiate|apikey|hoba|mutual|aws4-hmac-sha256)\s+\S|` +
	`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}|\b(sk|pk|rk)[-_][A-Za-z0-9_-]{12,}|\bgh[pousr]_[A-Za-z0-9]{20,}|\bxox[abposr]-|\bAKIA[0-9A-Z]{12,}`)

// longToken matches a run of 32 or more token characters (hex, base64,
// base64url; not dots and slashes, so that file paths go through).
var longToken = regexp.MustCompile(`[A-Za-z0-9_\-+=~]{32,}`)

// SensitiveName reports a header, query parameter, path parameter or flag
// name whose value is a credential: a name containing pass, token, secret,
// key, auth, session, sig or cookie (Authorization, Cookie, X-Pass,
// api_key, jsessionid, X-Amz-Signature, ...). It errs on the side of
// redacting: "author" and "keyword" match too.
func SensitiveName(name string) bool { return sensitiveName.MatchString(name) }

// looksSecret reports a value that looks like a credential.
func looksSecret(v string) bool {
	if credentialValue.MatchString(v) {
		return true
	}
	for _, m := range longToken.FindAllString(v, -1) {
		if strings.ContainsAny(m, "0123456789") && strings.IndexFunc(m, isLetter) >= 0 {
			return true
		}
	}
	return false
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// RedactHeader returns a header's value fit for a recording: Redacted for
// a sensitive header name or a value that looks like a credential; a value
// holding a URL (a Referer) is redacted as a URL.
func RedactHeader(name, value string) string {
	switch {
	case SensitiveName(unescape(name)) || looksSecret(value):
		return Redacted
	case strings.Contains(value, "://"):
		return RedactURL(value)
	}
	return value
}

// RedactHeaderLine redacts a "Name: value" header line.
func RedactHeaderLine(line string) string {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		if looksSecret(line) || SensitiveName(line) {
			return Redacted
		}
		return line
	}
	v := RedactHeader(strings.TrimSpace(name), strings.TrimSpace(value))
	return name + ": " + v
}

// RedactURL returns a URL fit for a recording, or for printing: the user
// information; the value of every query parameter, fragment parameter
// (#access_token=...) and path parameter (;jsessionid=...) whose name is
// sensitive (SensitiveName) or whose value looks like a credential; and a
// path segment or a bare parameter that looks like a credential are
// Redacted. Everything else is kept as written, in its order. It works on
// the text, so a URL that does not parse (a bad port, a stray space) is
// redacted too.
func RedactURL(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	rest := raw
	if scheme, after, ok := strings.Cut(raw, "://"); ok {
		b.WriteString(scheme + "://")
		auth, r := splitAuthority(after)
		b.WriteString(redactUserinfo(auth))
		rest = r
	} else if auth, r := splitAuthority(raw); strings.Contains(auth, "@") {
		b.WriteString(redactUserinfo(auth)) // user:pass@host/ without a scheme
		rest = r
	}
	rest, fragment, hasFragment := strings.Cut(rest, "#")
	path, query, hasQuery := strings.Cut(rest, "?")
	for i, seg := range strings.Split(path, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		name, params, hasParams := strings.Cut(seg, ";")
		if looksSecret(unescape(name)) {
			name = Redacted
		}
		b.WriteString(name)
		if hasParams {
			b.WriteByte(';')
			b.WriteString(redactPairs(params, ";"))
		}
	}
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(redactPairs(query, "&;"))
	}
	if hasFragment {
		b.WriteByte('#')
		b.WriteString(redactPairs(fragment, "&;"))
	}
	return b.String()
}

// splitAuthority splits what follows "scheme://" into the authority and
// the rest. The authority ends at the first '/', '?' or '#'; but when it
// holds a ':' not followed by a port number and an '@' comes later, the
// user information had one of those in it (user:pa/ss@host), and the
// authority runs to the end of the host after that '@'.
func splitAuthority(s string) (authority, rest string) {
	end := strings.IndexAny(s, "/?#")
	if end < 0 {
		return s, ""
	}
	auth := s[:end]
	if !strings.Contains(auth, "@") && !strings.HasPrefix(auth, "[") {
		if _, port, ok := strings.Cut(auth, ":"); ok && !allDigits(port) {
			if at := strings.IndexByte(s[end:], '@'); at >= 0 {
				at += end
				if next := strings.IndexAny(s[at:], "/?#"); next >= 0 {
					return s[:at+next], s[at+next:]
				}
				return s, ""
			}
		}
	}
	return auth, s[end:]
}

// redactUserinfo replaces the user information of an authority
// (user:password@host) with Redacted.
func redactUserinfo(authority string) string {
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		return Redacted + authority[at:]
	}
	return authority
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// redactPairs redacts name=value pairs separated by any of seps: the value
// when the (unescaped) name is sensitive or the (unescaped) value looks
// like a credential, a bare name when it looks like one.
func redactPairs(s, seps string) string {
	var b strings.Builder
	b.Grow(len(s))
	for s != "" {
		pair := s
		sep := ""
		if i := strings.IndexAny(s, seps); i >= 0 {
			pair, sep, s = s[:i], s[i:i+1], s[i+1:]
		} else {
			s = ""
		}
		name, value, hasValue := strings.Cut(pair, "=")
		switch {
		case hasValue && (SensitiveName(unescape(name)) || looksSecretOrURL(unescape(value))):
			pair = name + "=" + Redacted
		case !hasValue && looksSecret(unescape(name)):
			pair = Redacted
		}
		b.WriteString(pair + sep)
	}
	return b.String()
}

// looksSecretOrURL reports a value that looks like a credential or is a
// URL with a secret in it (?next=http://user:pass@host/).
func looksSecretOrURL(v string) bool {
	return looksSecret(v) || strings.Contains(v, "://") && RedactURL(v) != v
}

// unescape decodes a URL-encoded name or value ('+' as a space), leniently:
// what does not decode is kept as written.
func unescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// RedactFlag returns a flag's value fit for a recording: headers are
// redacted as headers, the request body is not kept, a sensitive flag's
// value is Redacted (not a boolean's: --show-secrets=true is no secret),
// URLs are redacted as URLs.
func RedactFlag(name, value string) string {
	name = strings.TrimLeft(name, "-")
	switch {
	case value == "" || value == "true" || value == "false":
		return value
	case name == "H" || name == "header":
		return RedactHeaderLine(value)
	case name == "body" || name == "d" || name == "data":
		return Redacted
	case SensitiveName(name):
		return Redacted
	case strings.Contains(value, "://"):
		return RedactURL(value)
	case looksSecret(value):
		return Redacted
	}
	return value
}

// RedactArgs returns a command line fit for a recording: flag values go
// through RedactFlag (--flag=value, --flag value, -Hvalue), URLs through
// RedactURL, and anything else that looks like a credential is Redacted.
func RedactArgs(args []string) []string {
	out := make([]string, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			out[i] = a
		case strings.HasPrefix(a, "--") && strings.Contains(a, "="):
			name, value, _ := strings.Cut(a, "=")
			out[i] = name + "=" + RedactFlag(name, value)
		case strings.HasPrefix(a, "-H") && len(a) > 2:
			out[i] = "-H" + RedactHeaderLine(a[2:])
		case strings.HasPrefix(a, "-") && takesSecretValue(a) && i+1 < len(args):
			out[i] = a
			i++
			out[i] = RedactFlag(a, args[i])
		case strings.Contains(a, "://"):
			out[i] = RedactURL(a)
		case looksSecret(a):
			out[i] = Redacted
		default:
			out[i] = a
		}
	}
	return out
}

// takesSecretValue reports a flag whose next argument must be redacted as
// its value.
func takesSecretValue(flag string) bool {
	name := strings.TrimLeft(flag, "-")
	return name == "H" || name == "header" || name == "body" || name == "d" || name == "data" || SensitiveName(name)
}
