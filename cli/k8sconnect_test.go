package cli

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunK8sConnectErrorsExit2 runs scalelab run --k8s against kubeconfig
// and connection problems, without a cluster (an unreachable server is a
// loopback port nothing listens on): each is exit 2 and one line naming
// the problem.
func TestRunK8sConnectErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "https://" + ln.Addr().String()
	ln.Close()
	unauthorized := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`))
	}))
	defer unauthorized.Close()

	kubeconfig := func(server string) string {
		return strings.ReplaceAll(kubeconfigYAML, "https://127.0.0.1:1", server)
	}
	good := write("good.yaml", kubeconfig(closed))
	garbage := write("garbage.yaml", "hello world\n")
	binary := write("binary.yaml", "\x00\x01\x02garbage")
	empty := write("empty.yaml", "")
	wrongKind := write("list.yaml", "- a\n- b\n")
	wrongField := write("field.yaml", "apiVersion: v1\nkind: Config\nclusters: 5\n")
	noCA := write("noca.yaml", strings.Replace(kubeconfig(closed), "  cluster:\n", "  cluster:\n    certificate-authority: "+filepath.Join(dir, "missing-ca.crt")+"\n", 1))
	noCert := write("nocert.yaml", strings.Replace(kubeconfig(closed), "    token: abc\n", "    client-certificate: "+filepath.Join(dir, "missing.crt")+"\n    client-key: "+filepath.Join(dir, "missing.key")+"\n", 1))
	badServer := write("badserver.yaml", kubeconfig("http://[::1"))
	noContext := write("nocontext.yaml", strings.Replace(kubeconfig(closed), "current-context: local\n", "", 1))
	unauth := write("unauth.yaml", kubeconfig(unauthorized.URL))

	run := []string{"run", "--k8s", "deployment/web", "--headless", "--duration", "1s", "--no-record"}
	for _, c := range []struct {
		name string
		args []string
		env  string // KUBECONFIG
		want []string
		not  []string
	}{
		{"no kubeconfig", nil, "", []string{"no kubeconfig", "~/.kube/config"}, nil},
		{"missing file", []string{"--kubeconfig", filepath.Join(dir, "nope.yaml")}, "", []string{"nope.yaml", "no such file"}, nil},
		{"garbage", []string{"--kubeconfig", garbage}, "", []string{"kubeconfig " + garbage, "not a kubeconfig"}, []string{"Go value", "struct"}},
		{"binary", []string{"--kubeconfig", binary}, "", []string{"kubeconfig " + binary}, []string{"Go value", "struct"}},
		{"a list", []string{"--kubeconfig", wrongKind}, "", []string{"kubeconfig " + wrongKind, "not a kubeconfig"}, []string{"Go value", "struct"}},
		{"a field", []string{"--kubeconfig", wrongField}, "", []string{"kubeconfig " + wrongField, "not a kubeconfig: clusters is a number"}, []string{"Go "}},
		{"garbage in $KUBECONFIG", nil, garbage, []string{"kubeconfig " + garbage, "not a kubeconfig"}, []string{"Go value"}},
		{"empty", []string{"--kubeconfig", empty}, "", []string{"kubeconfig " + empty, "empty"}, []string{"~/.kube/config"}},
		{"a folder", []string{"--kubeconfig", dir}, "", []string{"kubeconfig " + dir, "folder"}, nil},
		{"missing CA file", []string{"--kubeconfig", noCA}, "", []string{"certificate-authority", "missing-ca.crt", "no such file"}, []string{"kubeconfig " + noCA + ": no such file"}},
		{"missing client certificate", []string{"--kubeconfig", noCert}, "", []string{"client-certificate", "missing.crt", "no such file", "(and 1 more problem)"}, []string{"kubeconfig " + noCert + ": no such file"}},
		{"bad server", []string{"--kubeconfig", badServer}, "", []string{"server", "[::1"}, nil},
		{"no current context", []string{"--kubeconfig", noContext}, "", []string{"no current context", "--context"}, nil},
		{"unknown context", []string{"--kubeconfig", good, "--context", "nope"}, "", []string{`context "nope" not found`}, nil},
		{"unreachable", []string{"--kubeconfig", good}, "", []string{"API server " + closed, "unreachable"}, nil},
		{"unauthorized", []string{"--kubeconfig", unauth}, "", []string{"rejected the credentials"}, nil},
		// Names are checked before connecting: no kubeconfig here, so an
		// error about one would mean it connected first.
		{"bad namespace", []string{"-n", "Shop_1"}, "", []string{"--namespace", "Shop_1"}, []string{"kubeconfig"}},
		{"long namespace", []string{"-n", strings.Repeat("a", 64)}, "", []string{"--namespace"}, []string{"kubeconfig"}},
		{"bad service", []string{"--service", "web.svc"}, "", []string{"--service", "web.svc"}, []string{"kubeconfig"}},
		{"bad container", []string{"--container", "App Server"}, "", []string{"--container", "App Server"}, []string{"kubeconfig"}},
		{"bad context", []string{"--context", "a\nb"}, "", []string{"--context"}, []string{"kubeconfig"}},
	} {
		t.Setenv("KUBECONFIG", c.env)
		args := append(append([]string{}, run...), c.args...)
		code, out, errOut := scalelab(t.Context(), args...)
		msg := strings.TrimSpace(errOut)
		ok := code == exitUsage && out == "" && strings.HasPrefix(msg, "scalelab: ") && !strings.Contains(msg, "\n")
		for _, w := range c.want {
			ok = ok && strings.Contains(msg, w)
		}
		for _, n := range c.not {
			ok = ok && !strings.Contains(msg, n)
		}
		if !ok {
			t.Errorf("%s: exit %d, stdout %q, stderr %q: want exit 2 and one line with %q, without %q", c.name, code, out, errOut, c.want, c.not)
		}
	}

	// --k8s "" is --k8s's fault, not --kubeconfig's nor a missing URL's.
	for _, args := range [][]string{
		{"run", "--k8s", "", "--headless"},
		{"run", "--k8s", "", "--kubeconfig", good, "--headless"},
		{"run", "--k8s=", "http://127.0.0.1:1/", "--headless", "--duration", "1s"},
		{"run", "--k8s", " ", "--headless"},
	} {
		code, _, errOut := scalelab(t.Context(), args...)
		if code != exitUsage || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "--k8s") ||
			!strings.Contains(errOut, "deployment/NAME") || strings.Contains(errOut, "--kubeconfig") || strings.Contains(errOut, "URL") {
			t.Errorf("%q: exit %d, stderr %q: want exit 2, one line blaming --k8s", args, code, errOut)
		}
	}
}
