package recordings

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestRedactHeader(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"Authorization", "Bearer abc.def", Redacted},
		{"authorization", "Basic dXNlcjpwYXNz", Redacted},
		{"Proxy-Authorization", "anything", Redacted},
		{"Cookie", "session=1", Redacted},
		{"Set-Cookie", "id=2; Path=/", Redacted},
		{"X-Api-Key", "k1", Redacted},
		{"X-Auth-Token", "t", Redacted},
		{"X-Custom", "Bearer zzz", Redacted},
		{"X-Custom", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", Redacted},
		{"X-Custom", "ghp_0123456789abcdefghijABCDEFGHIJ", Redacted},
		{"X-Custom", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Redacted},
		{"Content-Type", "application/json", "application/json"},
		{"Accept", "*/*", "*/*"},
		{"X-Run", "cli", "cli"},
		{"User-Agent", "scalelab/1.0 (linux)", "scalelab/1.0 (linux)"},
	} {
		if got := RedactHeader(tc.name, tc.value); got != tc.want {
			t.Errorf("RedactHeader(%q, %q) = %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
	if got := RedactHeaderLine("Authorization: Bearer s3cr3t"); got != "Authorization: "+Redacted {
		t.Errorf("RedactHeaderLine = %q", got)
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/"},
		{"http://127.0.0.1:8080/a/b?page=2&q=x#top", "http://127.0.0.1:8080/a/b?page=2&q=x#top"},
		{"http://user:pass@127.0.0.1:8080/x", "http://REDACTED@127.0.0.1:8080/x"},
		{"http://alice:hunter2pass@127.0.0.1:18081/?token=SECRET456", "http://REDACTED@127.0.0.1:18081/?token=REDACTED"},
		{"http://127.0.0.1/?token=abc&page=2", "http://127.0.0.1/?token=REDACTED&page=2"},
		{"http://127.0.0.1/?api_key=1&apikey=2&key=3&secret=4&password=5&sig=6&x=7",
			"http://127.0.0.1/?api_key=REDACTED&apikey=REDACTED&key=REDACTED&secret=REDACTED&password=REDACTED&sig=REDACTED&x=7"},
		{"http://127.0.0.1/?access_token=a&client_secret=b&X-Amz-Signature=c",
			"http://127.0.0.1/?access_token=REDACTED&client_secret=REDACTED&X-Amz-Signature=REDACTED"},
		{"http://127.0.0.1/?q=Bearer+xyz", "http://127.0.0.1/?q=REDACTED"},
		// What the recording used to miss (issue 12).
		{"http://127.0.0.1/cb#access_token=abc&state=1", "http://127.0.0.1/cb#access_token=REDACTED&state=1"},
		{"http://127.0.0.1/app;jsessionid=ABC123/x;v=2", "http://127.0.0.1/app;jsessionid=REDACTED/x;v=2"},
		{"http://127.0.0.1/?pass=hunter2", "http://127.0.0.1/?pass=REDACTED"},
		// It works on the text: a URL that does not parse is redacted too.
		{"http://alice:hunter2@127.0.0.1:abc/?token=t", "http://REDACTED@127.0.0.1:abc/?token=REDACTED"},
		{"http://alice:hun/ter2@127.0.0.1/x", "http://REDACTED@127.0.0.1/x"},
		{"http://alice:hun#ter2@127.0.0.1/x", "http://REDACTED@127.0.0.1/x"},
		{"http://127.0.0.1:8080/@scope/pkg", "http://127.0.0.1:8080/@scope/pkg"},
		{"alice:hunter2@127.0.0.1/", "REDACTED@127.0.0.1/"},
		{"http://[::1]:8080/?secret=x", "http://[::1]:8080/?secret=REDACTED"},
		{"http://127.0.0.1/reset/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08/done",
			"http://127.0.0.1/reset/REDACTED/done"},
		{"not a url", "not a url"},
		{"", ""},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// secretNames are names whose values must be redacted wherever they sit in
// a URL or a header: keep adding variants.
var secretNames = []string{
	"token", "Token", "TOKEN", "access_token", "access-token", "accessToken", "id_token", "refresh_token",
	"auth", "Authorization", "oauth_token", "x-auth", "pass", "Pass", "passwd", "password", "X-Pass",
	"passphrase", "pwd", "secret", "client_secret", "Secret-Key", "key", "api_key", "apiKey", "API-KEY",
	"x-api-key", "private_key", "session", "sessionid", "jsessionid", "JSESSIONID", "PHPSESSID",
	"session_token", "sig", "signature", "X-Amz-Signature", "X-Goog-Signature", "cookie", "Set-Cookie",
	"csrf_token", "xsrf", "credential", "credentials", "jwt", "bearer", "code",
	"%74oken", "pa%73s", "user[password]", "token[]", "Pass+Word",
}

// TestRedactSecretVariants puts a secret under each sensitive name in every
// place of a URL and in a header, and checks that it never survives while
// the rest does.
func TestRedactSecretVariants(t *testing.T) {
	const secret = "S3cretV4lue"
	places := []string{
		"http://127.0.0.1:8080/?%s=%s",
		"http://127.0.0.1:8080/?page=2&%s=%s",
		"http://127.0.0.1:8080/?%s=%s&page=2",
		"http://127.0.0.1:8080/?page=2;%s=%s",
		"http://127.0.0.1:8080/p#%s=%s",
		"http://127.0.0.1:8080/p#page=2&%s=%s",
		"http://127.0.0.1:8080/p;%s=%s",
		"http://127.0.0.1:8080/p;v=1;%s=%s/q",
		"https://127.0.0.1/x?page=2&%s=%s#top",
		"127.0.0.1:8080/?%s=%s",
	}
	for _, name := range secretNames {
		for _, place := range places {
			in := fmt.Sprintf(place, name, secret)
			got := RedactURL(in)
			if strings.Contains(got, secret) || !strings.Contains(got, "127.0.0.1") || !strings.Contains(got, name+"="+Redacted) ||
				(strings.Contains(in, "page=2") && !strings.Contains(got, "page=2")) {
				t.Errorf("RedactURL(%q) = %q", in, got)
			}
		}
		if got := RedactHeaderLine(name + ": " + secret); strings.Contains(got, secret) {
			t.Errorf("RedactHeaderLine(%q) = %q", name+": "+secret, got)
		}
	}
	for _, in := range []string{
		"http://alice:" + secret + "@127.0.0.1:8080/",
		"http://" + secret + "@127.0.0.1:8080/",
		"http://alice:" + secret + "@127.0.0.1:0/",
		"http://alice:" + secret + "@127.0.0.1:port/",
		"http://alice:a/" + secret + "@127.0.0.1/",
		"http://alice:a?" + secret + "@127.0.0.1/",
		"http://alice:a#" + secret + "@127.0.0.1/",
		"http://alice:" + secret + "@[::1]:8080/",
		"HTTP://alice:" + secret + "@127.0.0.1/",
		"http://127.0.0.1/?q=Bearer%20" + secret,
		"http://127.0.0.1/?next=" + url.QueryEscape("http://bob:"+secret+"@127.0.0.1/?token="+secret),
	} {
		if got := RedactURL(in); strings.Contains(got, secret) {
			t.Errorf("RedactURL(%q) = %q", in, got)
		}
	}
	for _, h := range []string{"Referer: http://bob:" + secret + "@127.0.0.1/", "X-Custom: Bearer " + secret, "X-Pass:" + secret} {
		if got := RedactHeaderLine(h); strings.Contains(got, secret) {
			t.Errorf("RedactHeaderLine(%q) = %q", h, got)
		}
	}
}

// FuzzRedactURL checks, for any name SensitiveName matches and any value,
// that the value does not survive in the query, the fragment or a path
// parameter.
func FuzzRedactURL(f *testing.F) {
	for _, name := range secretNames {
		f.Add(name, "S3cretV4lue")
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		if !SensitiveName(name) || len(value) < 6 || strings.ContainsAny(name+value, "&;#?/=%+") ||
			strings.Contains("http://127.0.0.1:8080/p?page=2&#"+name+Redacted, value) {
			return
		}
		for _, in := range []string{
			"http://127.0.0.1:8080/p?page=2&" + name + "=" + value,
			"http://127.0.0.1:8080/p#" + name + "=" + value,
			"http://127.0.0.1:8080/p;" + name + "=" + value,
		} {
			if got := RedactURL(in); strings.Contains(got, value) {
				t.Errorf("RedactURL(%q) = %q", in, got)
			}
		}
	})
}

func TestRedactArgs(t *testing.T) {
	in := []string{"scalelab", "load", "http://u:p@127.0.0.1:8080/?token=t1", "-H", "Authorization: Bearer t2",
		"--header=Cookie: c=t3", "-HX-Api-Key: t4", "--header", "X-Run: cli", "--body", `{"password":"t5"}`,
		"--token", "t6", "--password=t7", "--rate", "500", "--record", "recordings/20260304-101500-load.scalelab",
		"--step", "10s:scale=5"}
	got := RedactArgs(in)
	joined := strings.Join(got, " ")
	for _, secret := range []string{"u:p", "t1", "t2", "c=t3", "t4", "t5", "t6", "t7"} {
		if strings.Contains(joined, secret) {
			t.Errorf("%q survived: %s", secret, joined)
		}
	}
	for _, kept := range []string{"X-Run: cli", "--rate 500", "recordings/20260304-101500-load.scalelab", "10s:scale=5", "127.0.0.1:8080"} {
		if !strings.Contains(joined, kept) {
			t.Errorf("%q lost: %s", kept, joined)
		}
	}
	if len(got) != len(in) {
		t.Errorf("%d args, want %d", len(got), len(in))
	}
	if RedactFlag("header", "Authorization: x") != "Authorization: REDACTED" || RedactFlag("rate", "500") != "500" ||
		RedactFlag("kube-token", "x") != Redacted || RedactFlag("body", "") != "" {
		t.Error("RedactFlag")
	}
}

// TestSecretsNeverReachTheFile records a header built with the redaction
// helpers and checks the file's bytes.
func TestSecretsNeverReachTheFile(t *testing.T) {
	h := testHeader()
	h.Args = RedactArgs([]string{"scalelab", "load", "http://127.0.0.1/?token=SECRET1", "-H", "Authorization: Bearer SECRET2"})
	h.Target = RedactURL("http://admin:SECRET3@127.0.0.1/")
	h.Config = map[string]string{"header": RedactFlag("header", "Cookie: SECRET4")}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	w.Frame(newSession(100).frame())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("SECRET")) {
		t.Fatal("a secret reached the file")
	}
	r, err := ReadBytes(buf.Bytes())
	if err != nil || r.Header.Target != "http://REDACTED@127.0.0.1/" || r.Len() != 1 {
		t.Fatalf("%v %+v", err, r.Header)
	}
}
