package recordings

import (
	"bytes"
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
		{"http://user:pass@127.0.0.1:8080/x", "http://REDACTED@127.0.0.1:8080/x"},
		{"http://127.0.0.1/?token=abc&page=2", "http://127.0.0.1/?page=2&token=REDACTED"},
		{"http://127.0.0.1/?api_key=1&apikey=2&key=3&secret=4&password=5&sig=6&x=7",
			"http://127.0.0.1/?api_key=REDACTED&apikey=REDACTED&key=REDACTED&password=REDACTED&secret=REDACTED&sig=REDACTED&x=7"},
		{"http://127.0.0.1/?access_token=a&client_secret=b&X-Amz-Signature=c",
			"http://127.0.0.1/?X-Amz-Signature=REDACTED&access_token=REDACTED&client_secret=REDACTED"},
		{"http://127.0.0.1/?q=Bearer+xyz", "http://127.0.0.1/?q=REDACTED"},
		{"not a url", "not a url"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
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
