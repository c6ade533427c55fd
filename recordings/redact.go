package recordings

import (
	"net/url"
	"regexp"
	"strings"
)

// Redacted stands in a recording for a secret.
const Redacted = "REDACTED"

// sensitiveName matches header, query parameter and flag names whose values
// are credentials.
var sensitiveName = regexp.MustCompile(`(?i)(auth|token|secret|passw|pwd|passphrase|api.?key|access.?key|private.?key|` +
	`session|cookie|credential|signature|jwt|bearer|^sig$|^key$|[-_.]key$|^code$)`)

// credentialValue matches values that look like credentials whatever their
// header: an authorization scheme, a JSON web token, well-known key
// prefixes, or a long run of token characters mixing letters and digits.
var credentialValue = regexp.MustCompile(`(?i)^\s*(bearer|basic|digest|token|negotiate|apikey|hoba|mutual|aws4-hmac-sha256)\s+\S|` +
	`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}|\b(sk|pk|rk)[-_][A-Za-z0-9_-]{12,}|\bgh[pousr]_[A-Za-z0-9]{20,}|\bxox[abposr]-|\bAKIA[0-9A-Z]{12,}`)

// longToken matches a run of 32 or more token characters (hex, base64,
// base64url; not dots and slashes, so that file paths go through).
var longToken = regexp.MustCompile(`[A-Za-z0-9_\-+=~]{32,}`)

// SensitiveName reports a header, query parameter or flag name whose value
// is a credential: Authorization, Proxy-Authorization, Cookie, Set-Cookie,
// and names mentioning a token, key, secret, password, session or the like.
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
// a sensitive header name or a value that looks like a credential.
func RedactHeader(name, value string) string {
	if SensitiveName(name) || looksSecret(value) {
		return Redacted
	}
	return value
}

// RedactHeaderLine redacts a "Name: value" header line.
func RedactHeaderLine(line string) string {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		if looksSecret(line) {
			return Redacted
		}
		return line
	}
	v := RedactHeader(strings.TrimSpace(name), strings.TrimSpace(value))
	return name + ": " + v
}

// RedactURL returns a URL fit for a recording: user information and the
// values of sensitive query parameters (token, key, secret, password, ...)
// or of credential-like values are Redacted. Text that does not parse as a
// URL is redacted whole when it looks like a credential.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		if looksSecret(raw) {
			return Redacted
		}
		return raw
	}
	if u.User != nil {
		u.User = url.User(Redacted)
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			u.RawQuery = Redacted
		} else {
			for k, vs := range q {
				for i, v := range vs {
					if SensitiveName(k) || looksSecret(v) {
						vs[i] = Redacted
					}
				}
			}
			u.RawQuery = q.Encode()
		}
	}
	if u.Fragment != "" && looksSecret(u.Fragment) {
		u.Fragment = Redacted
	}
	if looksSecret(u.Path) {
		u.Path, u.RawPath = "/"+Redacted, ""
	}
	return u.String()
}

// RedactFlag returns a flag's value fit for a recording: headers are
// redacted as headers, the request body is not kept, a sensitive flag's
// value is Redacted, URLs are redacted as URLs.
func RedactFlag(name, value string) string {
	name = strings.TrimLeft(name, "-")
	switch {
	case value == "":
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
