package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/engine/enginetest"
)

// cliSecrets are the secrets of issue 12's command line.
var cliSecrets = []string{"hunter2pass", "SECRET456", "SECRET123", "SECRET789"}

// secretURL is srv's URL with a user's password, a session in a path
// parameter and a token in the query.
func secretURL(srv *enginetest.Server) string {
	return strings.Replace(srv.URL, "http://", "http://alice:hunter2pass@", 1) + "/;jsessionid=SECRET789?token=SECRET456&page=2"
}

// TestNoSecretIsPrinted runs the real CLI against a loopback server with a
// password and tokens in the URL and a bearer token in a header: neither
// stdout nor stderr holds any of them, in the text summary, the JSON
// summary, the live lines and the error messages; --show-secrets shows
// them.
func TestNoSecretIsPrinted(t *testing.T) {
	srv := enginetest.NewServer(t)
	url := secretURL(srv)
	for _, args := range [][]string{
		{"load", url, "-H", "Authorization: Bearer SECRET123", "--rate", "20", "--duration", "1100ms"},
		{"load", url, "-H", "Authorization: Bearer SECRET123", "--rate", "20", "--duration", "300ms", "--json"},
		{"run", url, "--header=Authorization: Bearer SECRET123", "--headless", "--rate", "20", "--duration", "300ms"},
		{"run", url, "-HAuthorization: Bearer SECRET123", "--headless", "--rate", "20", "--duration", "300ms", "--json"},
	} {
		code, out, errOut := scalelab(t.Context(), args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		for _, s := range cliSecrets {
			if strings.Contains(out+errOut, s) {
				t.Errorf("%v: %q printed:\nstdout %s\nstderr %s", args[:1], s, out, errOut)
			}
		}
		if !strings.Contains(out, "page=2") || !strings.Contains(errOut, "REDACTED@127.0.0.1") {
			t.Errorf("%v: the target is not shown redacted:\nstdout %s\nstderr %s", args[:1], out, errOut)
		}
		if strings.Contains(strings.Join(args, " "), "--json") {
			var rep struct{ Target string }
			if err := json.Unmarshal([]byte(out), &rep); err != nil ||
				!strings.HasPrefix(rep.Target, "http://REDACTED@127.0.0.1:") || !strings.HasSuffix(rep.Target, "/;jsessionid=REDACTED?token=REDACTED&page=2") {
				t.Errorf("%v: JSON target %q (%v)", args[:1], rep.Target, err)
			}
		}
	}

	// --show-secrets: the URL as given on stderr, in the text summary and
	// in the JSON target.
	code, out, errOut := scalelab(t.Context(), "load", url, "--rate", "20", "--duration", "300ms", "--show-secrets")
	if code != exitOK || !strings.Contains(out, url) || !strings.Contains(errOut, url) {
		t.Errorf("--show-secrets: exit %d, stdout %q, stderr %q: want %s in both", code, out, errOut, url)
	}
	code, out, errOut = scalelab(t.Context(), "load", url, "--rate", "20", "--duration", "300ms", "--show-secrets", "--json")
	var rep struct{ Target string }
	if err := json.Unmarshal([]byte(out), &rep); code != exitOK || err != nil || rep.Target != url {
		t.Errorf("--show-secrets --json: exit %d, target %q (%v), stderr %q: want %s", code, rep.Target, err, errOut, url)
	}
}

// TestBadInputHidesSecrets: errors that quote the URL or a header given
// show them redacted, unless --show-secrets.
func TestBadInputHidesSecrets(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"load", "http://alice:hunter2pass@127.0.0.1:99999/?token=SECRET456"}, "REDACTED@127.0.0.1:99999/?token=REDACTED"},
		{[]string{"load", "ftp://alice:hunter2pass@127.0.0.1/?token=SECRET456"}, "ftp://REDACTED@127.0.0.1/?token=REDACTED"},
		{[]string{"load", "http://127.0.0.1:1/", "-H", "Bearer SECRET123"}, "header"},
		{[]string{"load", "http://127.0.0.1:1/", "--header=Bearer SECRET123"}, "header"},
		{[]string{"run", "http://alice:hunter2pass@127.0.0.1:99999/#access_token=SECRET456", "--headless"}, "#access_token=REDACTED"},
	} {
		code, out, errOut := scalelab(t.Context(), c.args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q: want exit 2 with %q", c.args, code, out, errOut, c.want)
		}
		for _, s := range cliSecrets {
			if strings.Contains(errOut, s) {
				t.Errorf("%v: %q printed: %s", c.args, s, errOut)
			}
		}
		code, _, errOut = scalelab(t.Context(), append(c.args, "--show-secrets")...)
		if code != exitUsage || !strings.Contains(errOut, "SECRET") {
			t.Errorf("%v --show-secrets: exit %d, stderr %q: want the secret shown", c.args, code, errOut)
		}
	}
}
